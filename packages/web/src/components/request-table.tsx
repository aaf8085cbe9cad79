import type { ReactNode } from "react";
import { Link } from "react-router";
import type { RequestView } from "@wsspaces/protocol";
import { useI18n } from "../i18n/i18n";
import { StateBadge } from "./badges";
import { DataTable } from "./data-table";

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
    <DataTable headings={[t("request.created"), ...extraColumns.map((c) => c.header), t("common.state"), t("common.elapsed")]} testId={testId} actions>
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
    </DataTable>
  );
}
