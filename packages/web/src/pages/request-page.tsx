import { Link, useParams } from "react-router";
import { api } from "../api/endpoints";
import { ErrorMessage } from "../components/error-message";
import { RequestPanel } from "../components/request-panel";
import { useI18n } from "../i18n/i18n";
import { useRequestFeed } from "../live/use-request-feed";
import { recallPrompt } from "../util/prompt-memory";
import { useLoad } from "../util/use-load";
import { useTitle } from "../util/use-title";

/** `/requests/:id`: one of the caller's requests (an admin's: anyone's), live. */
export function RequestPage() {
  const { t } = useI18n();
  const { id = "" } = useParams();
  useTitle(`${t("request.pageTitle")} ${id}`);
  const live = useRequestFeed(id);
  const spaceId = live.feed?.view?.space_id ?? null;
  const space = useLoad(spaceId, (signal) => api.spaces.get(spaceId ?? "", signal));

  if (live.error?.code === "not_found") {
    return (
      <div className="page page--narrow">
        <h1>{t("request.pageTitle")}</h1>
        <p className="alert alert--error" role="alert" data-testid="request-not-found">
          {t("request.notFound")}
        </p>
        <p>
          <Link to="/">{t("notFound.home")}</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="page page--narrow">
      {spaceId && (
        <p className="crumbs">
          <Link to={`/spaces/${encodeURIComponent(spaceId)}`}>← {t("request.inSpace", { name: space.value?.name ?? spaceId })}</Link>
        </p>
      )}
      {live.error && !live.feed?.view && <ErrorMessage error={live.error} />}
      {!live.error || live.feed?.view ? <RequestPanel live={live} title={t("request.pageTitle")} prompt={recallPrompt(id)} /> : null}
    </div>
  );
}
