import { Link } from "react-router";
import { api } from "../../api/endpoints";
import { ConnectionDot } from "../../components/badges";
import { ErrorMessage } from "../../components/error-message";
import { useI18n } from "../../i18n/i18n";
import { mergeLive, useLiveSpaces } from "../../live/use-space-status";
import { useLoad } from "../../util/use-load";
import { useTitle } from "../../util/use-title";
import { DataTable } from "../../components/data-table";

/** `/admin/spaces`: every space with its live status, and the way to create one. */
export function AdminSpacesPage() {
  const { t } = useI18n();
  useTitle(`${t("admin.title")} · ${t("admin.tab.spaces")}`);
  const list = useLoad("admin-spaces", (signal) => api.spaces.list(signal));
  const loaded = list.value?.spaces ?? [];
  const spaces = mergeLive(loaded, useLiveSpaces(loaded.map((s) => s.id)));

  return (
    <section aria-labelledby="admin-spaces-title">
      <div className="section-head">
        <h2 id="admin-spaces-title">{t("admin.tab.spaces")}</h2>
        <Link className="button button--primary" to="/admin/spaces/new">
          {t("admin.newSpace")}
        </Link>
      </div>
      {list.error && <ErrorMessage error={list.error} />}
      {list.value && spaces.length === 0 && <p className="muted">{t("admin.spacesEmpty")}</p>}
      {spaces.length > 0 && (
        <DataTable headings={[t("common.name"), t("admin.col.status"), t("admin.tab.workers"), t("space.queueTitle"), t("admin.inputs")]} testId="admin-spaces" actions>
          {spaces.map((space) => (
            <tr key={space.id}>
              <td>
                <Link to={`/spaces/${encodeURIComponent(space.id)}`}>{space.name}</Link>
              </td>
              <td>
                <ConnectionDot connected={space.connected} />
              </td>
              <td>{space.workers}</td>
              <td>
                {space.queue_length} / {space.max_queue}
              </td>
              <td>{space.inputs.join(", ")}</td>
              <td>
                <Link className="button button--small" to={`/admin/spaces/${encodeURIComponent(space.id)}`} aria-label={`${t("admin.edit")} ${space.name}`}>
                  {t("admin.edit")}
                </Link>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
