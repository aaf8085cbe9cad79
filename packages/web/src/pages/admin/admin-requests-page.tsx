import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import type { RequestState } from "@wsspaces/protocol";
import { api } from "../../api/endpoints";
import { StateBadge } from "../../components/badges";
import { ErrorMessage } from "../../components/error-message";
import { JsonTree } from "../../components/json-tree";
import { RequestTable } from "../../components/request-table";
import { ResultView } from "../../components/result-view";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../util/use-load";
import { useTitle } from "../../util/use-title";

const STATES = ["queued", "dispatched", "running", "completed", "failed", "cancelled", "timed_out"] as const satisfies readonly RequestState[];

function asState(value: string | null): RequestState | "" {
  return STATES.find((s) => s === value) ?? "";
}

/** `/admin/requests`: everyone's requests, filtered by space, state and user (kept in the address). */
export function AdminRequestsPage() {
  const { t, formatDateTime } = useI18n();
  useTitle(`${t("admin.title")} · ${t("admin.tab.requests")}`);
  const [params, setParams] = useSearchParams();
  const filter = { space: params.get("space") ?? "", state: asState(params.get("state")), user: params.get("user") ?? "" };
  const spaces = useLoad("admin-request-spaces", (signal) => api.spaces.list(signal));
  const requests = useLoad(`admin-requests?${params.toString()}`, (signal) =>
    api.admin.requests({ space: filter.space, state: filter.state, user: filter.user.trim(), limit: 200 }, signal),
  );
  const [selected, setSelected] = useState<string | null>(null);
  const names = new Map((spaces.value?.spaces ?? []).map((s) => [s.id, s.name]));
  const list = requests.value?.requests ?? [];
  const detail = list.find((r) => r.id === selected);

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of ["space", "state", "user"]) {
      const value = data.get(key);
      if (typeof value === "string" && value.trim() !== "") next.set(key, value.trim());
    }
    setSelected(null);
    setParams(next);
  };

  return (
    <section aria-labelledby="admin-requests-title">
      <h2 id="admin-requests-title">{t("admin.requestsTitle")}</h2>
      <form className="filters" onSubmit={apply} key={params.toString()}>
        <div className="field">
          <label htmlFor="filter-space">{t("admin.filterSpace")}</label>
          <select id="filter-space" name="space" defaultValue={filter.space}>
            <option value="">{t("admin.filterAll")}</option>
            {(spaces.value?.spaces ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-state">{t("admin.filterState")}</label>
          <select id="filter-state" name="state" defaultValue={filter.state}>
            <option value="">{t("admin.filterAll")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`state.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-user">{t("admin.filterUser")}</label>
          <input id="filter-user" name="user" defaultValue={filter.user} autoComplete="off" />
        </div>
        <button type="submit" className="button">
          {t("admin.filter")}
        </button>
      </form>
      {requests.error && <ErrorMessage error={requests.error} />}
      {requests.value && list.length === 0 && <p className="muted">{t("admin.requestsEmpty")}</p>}
      {list.length > 0 && (
        <RequestTable
          testId="admin-requests"
          requests={list}
          highlight={selected}
          extraColumns={[
            { header: t("common.user"), cell: (r) => r.username ?? t("common.none") },
            { header: t("common.space"), cell: (r) => names.get(r.space_id) ?? <span className="muted">{t("common.deletedSpace")}</span> },
          ]}
          action={(r) => (
            <button type="button" className="button button--small" aria-expanded={selected === r.id} onClick={() => setSelected(selected === r.id ? null : r.id)}>
              {selected === r.id ? t("common.hideDetails") : t("common.details")}
            </button>
          )}
        />
      )}
      {detail && (
        <section className="panel" aria-labelledby="request-detail-title" data-testid="admin-request-detail">
          <div className="section-head">
            <h3 id="request-detail-title">
              <code>{detail.id}</code>
            </h3>
            <StateBadge state={detail.state} />
            <Link className="button button--small" to={`/requests/${encodeURIComponent(detail.id)}`}>
              {t("request.open")}
            </Link>
          </div>
          <dl className="facts">
            <dt>{t("common.user")}</dt>
            <dd>{detail.username ?? t("common.none")}</dd>
            <dt>{t("common.space")}</dt>
            <dd>{names.get(detail.space_id) ?? detail.space_id}</dd>
            <dt>{t("request.created")}</dt>
            <dd>{formatDateTime(detail.created_at)}</dd>
            <dt>{t("request.finished")}</dt>
            <dd>{detail.finished_at ? formatDateTime(detail.finished_at) : t("common.none")}</dd>
          </dl>
          {detail.error && (
            <p className="alert alert--error">
              <strong>{detail.error.code}</strong>: {detail.error.message}
            </p>
          )}
          {detail.result !== null && detail.result !== undefined && (
            <>
              <h4 className="small-heading">{t("request.result")}</h4>
              <ResultView result={detail.result} />
            </>
          )}
          <details>
            <summary>{t("request.viewJson")}</summary>
            <JsonTree value={detail} label={t("request.viewJson")} />
          </details>
        </section>
      )}
    </section>
  );
}
