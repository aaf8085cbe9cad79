import { Link } from "react-router";
import { api } from "../../api/endpoints";
import { ErrorMessage } from "../../components/error-message";
import { useI18n } from "../../i18n/i18n";
import { useSpaceChanges } from "../../live/use-space-status";
import { useLoad } from "../../util/use-load";
import { useNow } from "../../util/use-now";
import { useTitle } from "../../util/use-title";
import { DataTable } from "../../components/data-table";

/** `/admin/workers`: every connected (or reconnecting) worker, refreshed when any space changes. */
export function AdminWorkersPage() {
  const { t, formatDateTime, formatRelative } = useI18n();
  useTitle(`${t("admin.title")} · ${t("admin.tab.workers")}`);
  const spaces = useLoad("admin-worker-spaces", (signal) => api.spaces.list(signal));
  const workers = useLoad("admin-workers", (signal) => api.admin.workers(signal));
  useSpaceChanges(
    (spaces.value?.spaces ?? []).map((s) => s.id),
    workers.reload,
  );
  const now = useNow(5000);
  const list = workers.value?.workers ?? [];

  return (
    <section aria-labelledby="admin-workers-title">
      <div className="section-head">
        <h2 id="admin-workers-title">{t("admin.workersTitle")}</h2>
        <button type="button" className="button button--small" onClick={workers.reload}>
          {t("common.refresh")}
        </button>
      </div>
      {workers.error && <ErrorMessage error={workers.error} />}
      {workers.value && list.length === 0 && <p className="muted">{t("admin.workersEmpty")}</p>}
      {list.length > 0 && (
        <DataTable headings={[t("common.name"), t("admin.col.spaces"), t("admin.col.version"), t("admin.col.capacity"), t("admin.col.inFlight"), t("admin.col.since"), t("admin.col.lastSeen"), t("admin.col.address"), t("admin.col.connection")]} testId="admin-workers">
          {list.map((w, i) => {
            const lastSeen = w.last_seen_at ?? null;
            return (
              <tr key={w.connection_id ?? `${w.connected_at}:${i}`}>
                <td>
                  {w.name ?? t("space.workerUnnamed")}
                  {w.connection_id && (
                    <div className="muted small">
                      <code>{w.connection_id}</code>
                    </div>
                  )}
                </td>
                <td>
                  {w.spaces.map((s, j) => (
                    <span key={s.id}>
                      {j > 0 && ", "}
                      <Link to={`/spaces/${encodeURIComponent(s.id)}`}>{s.name}</Link>
                    </span>
                  ))}
                </td>
                <td>{w.version ?? t("common.none")}</td>
                <td>{w.capacity}</td>
                <td>{w.in_flight}</td>
                <td title={formatDateTime(w.connected_at)}>{formatRelative(w.connected_at, now)}</td>
                <td>{lastSeen ? <span title={formatDateTime(lastSeen)}>{formatRelative(lastSeen, now)}</span> : t("common.none")}</td>
                <td>{w.address ? <code>{w.address}</code> : t("common.none")}</td>
                <td>{w.suspended ? t("admin.worker.suspended") : w.draining ? t("admin.worker.draining") : t("admin.worker.active")}</td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </section>
  );
}
