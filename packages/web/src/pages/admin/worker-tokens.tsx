import type { SpaceSummary } from "@wsspaces/protocol";
import { api } from "../../api/endpoints";
import { ConfirmButton } from "../../components/confirm-button";
import { CodeBlock } from "../../components/copy-button";
import { ErrorMessage } from "../../components/error-message";
import { Field } from "../../components/field";
import { useI18n } from "../../i18n/i18n";
import { workerCommand } from "../../util/shell";
import { useIssuedSecrets } from "../../util/use-issued-secrets";
import { useLoad } from "../../util/use-load";
import { DataTable } from "../../components/data-table";

/** A space's worker tokens: create (shown once, with the connect command), list, revoke. */
export function WorkerTokens({ space }: { space: SpaceSummary }) {
  const { t, formatDateTime } = useI18n();
  const tokens = useLoad(`tokens:${space.id}`, (signal) => api.spaces.tokens(space.id, signal));
  const { name, setName, created, busy, error, create, revoke } = useIssuedSecrets({
    create: (tokenName) => api.spaces.createToken(space.id, tokenName),
    revoke: (id) => api.spaces.revokeToken(space.id, id),
    reload: tokens.reload,
  });

  const list = tokens.value?.worker_tokens ?? [];
  return (
    <section className="panel" aria-labelledby="tokens-title" data-testid="worker-tokens">
      <h2 id="tokens-title">{t("admin.tokensTitle")}</h2>
      <p className="muted">{t("admin.tokensIntro")}</p>
      <form className="inline-form" onSubmit={create}>
        <Field label={t("admin.tokenName")} value={name} onChange={(e) => setName(e.target.value)} placeholder={t("admin.tokenNamePlaceholder")} maxLength={100} />
        <button type="submit" className="button button--primary" disabled={busy}>
          {t("admin.createToken")}
        </button>
      </form>
      {created && (
        <div className="secret" role="status" data-testid="created-token">
          <p>
            <strong>{t("admin.tokenCreated")}</strong>
          </p>
          <CodeBlock code={created.token} label={t("admin.tokensTitle")} />
          <p>{t("admin.tokenCommand")}</p>
          <CodeBlock code={workerCommand(window.location.origin, space.name, created.token)} label={t("space.connectTitle")} className="code--command" />
        </div>
      )}
      {error && <ErrorMessage error={error} />}
      {tokens.error && <ErrorMessage error={tokens.error} />}
      {tokens.value && list.length === 0 && <p className="muted">{t("admin.tokensEmpty")}</p>}
      {list.length > 0 && (
        <DataTable headings={[t("common.name"), t("account.keyPrefix"), t("common.created"), t("common.lastUsed"), t("admin.col.status")]} actions>
          {list.map((token) => (
            <tr key={token.id}>
              <td>{token.name}</td>
              <td>
                <code>{token.prefix}…</code>
              </td>
              <td>{formatDateTime(token.created_at)}</td>
              <td>{token.last_used_at ? formatDateTime(token.last_used_at) : t("common.never")}</td>
              <td>{token.revoked_at ? `${t("admin.tokenRevoked")} ${formatDateTime(token.revoked_at)}` : t("admin.tokenActive")}</td>
              <td>
                {!token.revoked_at && (
                  <ConfirmButton label={t("account.revoke")} question={t("admin.revokeTokenConfirm", { name: token.name })} onConfirm={() => revoke(token.id)} />
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
