import type { ReactNode } from "react";
import { Link } from "react-router";
import type { RequestView } from "@wsspaces/protocol";
import { useI18n } from "../i18n/i18n";
import { StateBadge } from "./badges";

export function requestDuration(r: RequestView): number | null {
  if (!r.finished_at) return null;
  return new Date(r.finished_at).getTime() - new Date(r.created_at).getTime();
}

interface Column {
  header: string;
  cell: (r: RequestView) => ReactNode;
}

/** A list of requests: when, state, how long, plus the columns and action a page adds. */
export function RequestTable({
  requests,
  extraColumns = [],
  action,
  highlight,
  testId,
}: {
  requests: readonly RequestView[];
  extraColumns?: Column[];
  action?: (r: RequestView) => ReactNode;
  highlight?: string | null;
  testId?: string;
}) {
  const { t, formatDateTime, formatDuration } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">{t("request.created")}</th>
            {extraColumns.map((c) => (
              <th scope="col" key={c.header}>
                {c.header}
              </th>
            ))}
            <th scope="col">{t("common.state")}</th>
            <th scope="col">{t("common.elapsed")}</th>
            <th scope="col">
              <span className="visually-hidden">{t("common.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {requests.map((r) => {
            const duration = requestDuration(r);
            return (
              <tr key={r.id} className={r.id === highlight ? "row--mine" : undefined} data-request-id={r.id}>
                <td>
                  <Link to={`/requests/${encodeURIComponent(r.id)}`}>{formatDateTime(r.created_at)}</Link>
                </td>
                {extraColumns.map((c) => (
                  <td key={c.header}>{c.cell(r)}</td>
                ))}
                <td>
                  <StateBadge state={r.state} />
                </td>
                <td>{duration === null ? t("common.none") : formatDuration(duration)}</td>
                <td>{action?.(r)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
