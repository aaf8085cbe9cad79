import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { PatchSpaceBody } from "@wsspaces/protocol";
import { api } from "../../api/endpoints";
import { toApiError, type ApiError } from "../../api/api-error";
import { ConnectionStatus } from "../../components/badges";
import { ConfirmButton } from "../../components/confirm-button";
import { ErrorMessage } from "../../components/error-message";
import { useI18n } from "../../i18n/i18n";
import { useSpaceStatus } from "../../live/use-space-status";
import { useTitle } from "../../util/use-title";
import { changedFields, NEW_SPACE, SpaceForm, valuesOf } from "./space-form";
import { WorkerTokens } from "./worker-tokens";

/** `/admin/spaces/new`. */
export function AdminNewSpacePage() {
  const { t } = useI18n();
  useTitle(t("admin.createTitle"));
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return (
    <section aria-labelledby="new-space-title">
      <p className="crumbs">
        <Link to="/admin/spaces">← {t("admin.backToSpaces")}</Link>
      </p>
      <h2 id="new-space-title">{t("admin.createTitle")}</h2>
      <SpaceForm
        initial={NEW_SPACE}
        submitLabel={t("admin.createSpace")}
        busy={busy}
        error={error}
        onSubmit={(values) => {
          setBusy(true);
          setError(null);
          api.spaces.create(values).then(
            (space) => void navigate(`/admin/spaces/${encodeURIComponent(space.id)}`),
            (err: unknown) => {
              setError(toApiError(err));
              setBusy(false);
            },
          );
        }}
      />
    </section>
  );
}

/** `/admin/spaces/:id`: edit, worker tokens, delete. */
export function AdminEditSpacePage() {
  const { id = "" } = useParams();
  return <EditSpace key={id} spaceId={id} />;
}

function EditSpace({ spaceId }: { spaceId: string }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const status = useSpaceStatus(spaceId, true);
  const space = status.space;
  useTitle(space ? t("admin.editTitle", { name: space.name }) : t("admin.title"));
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (status.error) return <ErrorMessage error={status.error} />;
  if (!space) return <p className="muted">{t("common.loading")}</p>;

  return (
    <>
      <p className="crumbs">
        <Link to="/admin/spaces">← {t("admin.backToSpaces")}</Link>
      </p>
      <div className="section-head">
        <h2>{t("admin.editTitle", { name: space.name })}</h2>
        <ConnectionStatus connected={space.connected} workers={space.workers} />
        <Link className="button button--small" to={`/spaces/${encodeURIComponent(space.id)}`}>
          {t("admin.open")}
        </Link>
      </div>
      {saved && (
        <p className="alert alert--success" role="status">
          {t("admin.saved")}
        </p>
      )}
      <SpaceForm
        // Starts again from the space whenever its settings change (after a save, or another admin's).
        key={JSON.stringify(valuesOf(space))}
        initial={valuesOf(space)}
        submitLabel={t("common.save")}
        busy={busy}
        error={error}
        onSubmit={(values) => {
          const patch = changedFields(valuesOf(space), values) as PatchSpaceBody;
          setSaved(false);
          setError(null);
          if (Object.keys(patch).length === 0) {
            setSaved(true);
            return;
          }
          setBusy(true);
          api.spaces.update(space.id, patch).then(
            () => {
              setBusy(false);
              setSaved(true);
              status.refresh();
            },
            (err: unknown) => {
              setError(toApiError(err));
              setBusy(false);
            },
          );
        }}
      />
      <WorkerTokens space={space} />
      <section className="panel panel--danger" aria-labelledby="delete-title">
        <h2 id="delete-title">{t("admin.deleteSpace")}</h2>
        <ConfirmButton
          small={false}
          label={t("admin.deleteSpace")}
          question={t("admin.deleteConfirm")}
          onConfirm={() => {
            setError(null);
            api.spaces.remove(space.id).then(
              () => void navigate("/admin/spaces"),
              (err: unknown) => setError(toApiError(err)),
            );
          }}
        />
      </section>
    </>
  );
}
