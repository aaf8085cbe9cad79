import { Link } from "react-router";
import { api } from "../api/endpoints";
import { useSession } from "../auth/session";
import { ConfirmButton } from "../components/confirm-button";
import { CodeBlock } from "../components/copy-button";
import { ErrorMessage } from "../components/error-message";
import { Field } from "../components/field";
import { RequestTable } from "../components/request-table";
import { useI18n } from "../i18n/i18n";
import { useIssuedSecrets } from "../util/use-issued-secrets";
import { useLoad } from "../util/use-load";
import { useTitle } from "../util/use-title";
import { DataTable } from "../components/data-table";

function ApiKeys() {
  const { t, formatDateTime } = useI18n();
  const keys = useLoad("api-keys", (signal) => api.apiKeys.list(signal));
  const { name, setName, created, busy, error, create, revoke } = useIssuedSecrets({
    create: (keyName) => api.apiKeys.create(keyName),
    revoke: (id) => api.apiKeys.revoke(id),
    reload: keys.reload,
  });

  return (
    <section className="panel" aria-labelledby="keys-title">
      <h2 id="keys-title">{t("account.keysTitle")}</h2>
      <p className="muted">{t("account.keysIntro")}</p>
      <form className="inline-form" onSubmit={create}>
        <Field label={t("account.keyName")} value={name} onChange={(e) => setName(e.target.value)} placeholder={t("account.keyNamePlaceholder")} maxLength={100} />
        <button type="submit" className="button button--primary" disabled={busy}>
          {t("account.createKey")}
        </button>
      </form>
      {created && (
        <div className="secret" role="status" data-testid="created-key">
          <p>
            <strong>{t("account.keyCreated")}</strong>
          </p>
          <CodeBlock code={created.key} label={t("api.key")} />
        </div>
      )}
      {error && <ErrorMessage error={error} />}
      {keys.error && <ErrorMessage error={keys.error} />}
      {keys.value && keys.value.api_keys.length === 0 && <p className="muted">{t("account.keysEmpty")}</p>}
      {keys.value && keys.value.api_keys.length > 0 && (
        <DataTable headings={[t("common.name"), t("account.keyPrefix"), t("common.created"), t("common.lastUsed")]} testId="api-keys" actions>
          {keys.value.api_keys.map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}…</code>
              </td>
              <td>{formatDateTime(key.created_at)}</td>
              <td>{key.last_used_at ? formatDateTime(key.last_used_at) : t("common.never")}</td>
              <td>
                <ConfirmButton label={t("account.revoke")} question={t("account.revokeConfirm", { name: key.name })} onConfirm={() => revoke(key.id)} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

function MyRequests() {
  const { t } = useI18n();
  const requests = useLoad("my-requests", (signal) => api.requests.list({ limit: 100 }, signal));
  const spaces = useLoad("spaces", (signal) => api.spaces.list(signal));
  const names = new Map((spaces.value?.spaces ?? []).map((s) => [s.id, s.name]));
  const list = requests.value?.requests ?? [];
  return (
    <section className="panel" aria-labelledby="my-requests-title">
      <h2 id="my-requests-title">{t("account.requestsTitle")}</h2>
      {requests.error && <ErrorMessage error={requests.error} />}
      {requests.value && list.length === 0 && <p className="muted">{t("account.requestsEmpty")}</p>}
      {list.length > 0 && (
        <RequestTable
          testId="my-requests"
          requests={list}
          extraColumns={[
            {
              header: t("common.space"),
              cell: (r) =>
                names.has(r.space_id) ? <Link to={`/spaces/${encodeURIComponent(r.space_id)}`}>{names.get(r.space_id)}</Link> : <span className="muted">{t("common.deletedSpace")}</span>,
            },
          ]}
        />
      )}
    </section>
  );
}

/** `/account`: API keys and the caller's requests across spaces. */
export function AccountPage() {
  const { t } = useI18n();
  const { me } = useSession();
  useTitle(t("account.title"));
  return (
    <div className="page">
      <h1>{t("account.title")}</h1>
      {me && <p className="muted">{t("account.profile", { name: me.username, role: t(`role.${me.role}`) })}</p>}
      <ApiKeys />
      <MyRequests />
    </div>
  );
}
