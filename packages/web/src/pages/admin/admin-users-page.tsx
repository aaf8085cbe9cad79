import { useState } from "react";
import type { AdminUserView, PatchUserBody } from "@wsspaces/protocol";
import { api } from "../../api/endpoints";
import { toApiError, type ApiError } from "../../api/api-error";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { useI18n } from "../../i18n/i18n";
import { useLoad } from "../../util/use-load";
import { useTitle } from "../../util/use-title";
import { DataTable } from "../../components/data-table";

/** `/admin/users`: make admins, disable accounts. */
export function AdminUsersPage() {
  const { t, formatDateTime } = useI18n();
  useTitle(`${t("admin.title")} · ${t("admin.tab.users")}`);
  const { me } = useSession();
  const users = useLoad("admin-users", (signal) => api.admin.users(signal));
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const update = (user: AdminUserView, patch: PatchUserBody) => {
    setBusy(user.id);
    setError(null);
    api.admin.updateUser(user.id, patch).then(
      () => {
        setBusy(null);
        users.reload();
      },
      (err: unknown) => {
        setError(toApiError(err));
        setBusy(null);
      },
    );
  };

  const list = users.value?.users ?? [];
  return (
    <section aria-labelledby="admin-users-title">
      <h2 id="admin-users-title">{t("admin.usersTitle")}</h2>
      {error && <ErrorMessage error={error} />}
      {users.error && <ErrorMessage error={users.error} />}
      {users.value && list.length === 0 && <p className="muted">{t("admin.usersEmpty")}</p>}
      {list.length > 0 && (
        <DataTable headings={[t("admin.col.username"), t("admin.col.role"), t("common.created"), t("admin.col.status")]} testId="admin-users" actions>
          {list.map((user) => {
            const self = user.id === me?.id;
            return (
              <tr key={user.id} data-username={user.username}>
                <td>
                  {user.username}
                  {self && <span className="muted small"> ({t("common.you")})</span>}
                </td>
                <td>{t(`role.${user.role}`)}</td>
                <td>{formatDateTime(user.created_at)}</td>
                <td>{user.disabled ? <span className="badge badge--failed">{t("admin.userDisabled")}</span> : t("admin.userActive")}</td>
                <td className="cell-actions">
                  <button
                    type="button"
                    className="button button--small"
                    disabled={self || busy === user.id}
                    onClick={() => update(user, { role: user.role === "admin" ? "user" : "admin" })}
                  >
                    {user.role === "admin" ? t("admin.makeUser") : t("admin.makeAdmin")}
                  </button>
                  <button
                    type="button"
                    className={`button button--small${user.disabled ? "" : " button--danger"}`}
                    disabled={self || busy === user.id}
                    onClick={() => update(user, { disabled: !user.disabled })}
                  >
                    {user.disabled ? t("admin.enable") : t("admin.disable")}
                  </button>
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </section>
  );
}
