import { useState } from "react";
import { Link } from "react-router";
import type { RequestView } from "@wsspaces/protocol";
import { api } from "../api/endpoints";
import { toApiError, type ApiError } from "../api/api-error";
import { useI18n } from "../i18n/i18n";
import type { RequestFeed } from "../live/use-request-feed";
import { isTerminal } from "../live/request-feed";
import { useNow } from "../util/use-now";
import { StateBadge } from "./badges";
import { ErrorMessage, errorText } from "./error-message";
import { ResultView } from "./result-view";

export interface RequestPanelProps {
  live: RequestFeed;
  title: string;
  /** The prompt, when this browser sent it. */
  prompt?: string | undefined;
  /**
   * Sends the request again, once it has ended: its prompt, and its files (the server's retry
   * keeps them; it takes failed, timed-out and cancelled requests).
   */
  onRetry?: ((prompt: string, view: RequestView) => void) | undefined;
  retrying?: boolean;
  /** Link to the request's own page. */
  showPageLink?: boolean;
}

/**
 * One request as it happens: place in the queue and ETA, progress with the worker's message,
 * streamed output growing, then the result or what went wrong; elapsed time, cancel, retry.
 */
export function RequestPanel({ live, title, prompt, onRetry, retrying = false, showPageLink = false }: RequestPanelProps) {
  const i18n = useI18n();
  const { t, formatDuration, formatBytes } = i18n;
  const { feed } = live;
  const [cancelling, setCancelling] = useState(false);
  const [actionError, setActionError] = useState<{ id: string; error: ApiError } | null>(null);
  const running = feed?.state != null && !isTerminal(feed.state);
  const now = useNow(250, running);

  if (live.error && !feed?.view) return <ErrorMessage error={live.error} />;
  if (!feed?.view || feed.state === null) {
    return (
      <section className="panel request" aria-busy="true">
        <h2>{title}</h2>
        <p className="muted">{t("common.loading")}</p>
      </section>
    );
  }

  const view = feed.view;
  const state = feed.state;
  const terminal = isTerminal(state);
  const createdAt = new Date(view.created_at).getTime();
  const finishedAt = terminal && view.finished_at ? new Date(view.finished_at).getTime() : now;
  const elapsed = Math.max(0, finishedAt - createdAt);
  const progress = feed.progress;
  const eta = !terminal && feed.etaAt !== null ? feed.etaAt - now : null;
  const error = terminal ? view.error : null;
  const cancelError = actionError?.id === view.id ? actionError.error : null;

  const cancel = () => {
    setCancelling(true);
    setActionError(null);
    api.requests.cancel(view.id).then(
      (updated) => {
        live.apply({ type: "snapshot", view: updated, at: Date.now() });
        setCancelling(false);
      },
      (err: unknown) => {
        setActionError({ id: view.id, error: toApiError(err) });
        setCancelling(false);
      },
    );
  };

  const inputs = (view.files ?? []).filter((f) => f.kind === "input");

  return (
    <section className="panel request" aria-labelledby={`request-${view.id}`} data-testid="request-panel" data-state={state}>
      <div className="request__head">
        <h2 id={`request-${view.id}`}>{title}</h2>
        <StateBadge state={state} />
        {feed.attempt > 1 && <span className="muted small">{t("request.attempt", { n: feed.attempt })}</span>}
      </div>
      <p className="muted small">
        {t("request.idLabel")}: <code>{view.id}</code>
      </p>
      {prompt !== undefined && (
        <div className="request__prompt">
          <h3 className="small-heading">{t("request.promptLabel")}</h3>
          <p className="prewrap">{prompt}</p>
        </div>
      )}

      {inputs.length > 0 && (
        <div className="request__inputs" data-testid="request-inputs">
          <h3 className="small-heading">{t("request.inputFiles")}</h3>
          <ul className="plain-list">
            {inputs.map((f) => (
              <li key={f.id}>
                <a href={`${f.url}?download=1`} download={f.name}>
                  {f.name}
                </a>{" "}
                <span className="muted small">
                  {t(`space.input.${f.field === "audio" || f.field === "video" ? f.field : "file"}`)} · {formatBytes(f.size)}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}

      <div className="request__live" role="status" aria-live="polite">
        {state === "queued" && (
          <p data-testid="request-position">
            {feed.position !== null ? t("request.position", { n: feed.position }) : t("state.queued")}
          </p>
        )}
        {state === "dispatched" && progress === null && <p>{t("request.waiting")}</p>}
        {eta !== null && (
          <p className="request__eta" data-testid="request-eta">
            {eta > 1000 ? t("request.eta", { time: formatDuration(Math.ceil(eta / 1000) * 1000) }) : t("request.etaSoon")}
          </p>
        )}
      </div>

      {(state === "running" || (state === "dispatched" && progress !== null)) && (
        <div className="progress" data-testid="request-progress">
          <label htmlFor={`progress-${view.id}`}>{t("request.progress")}</label>
          <progress id={`progress-${view.id}`} max={1} value={progress ?? undefined} aria-valuetext={feed.message ?? undefined} />
          <span className="progress__text">
            {progress !== null && `${Math.round(progress * 100)}%`}
            {feed.message !== null && <span data-testid="progress-message"> {feed.message}</span>}
          </span>
        </div>
      )}

      {feed.output !== "" && !(state === "completed" && view.result !== null) && (
        <div className="request__output">
          <h3 className="small-heading">{t("request.output")}</h3>
          <pre className="result-text result-text--partial" data-testid="partial-output">
            {feed.output}
          </pre>
        </div>
      )}

      {state === "completed" && (
        <div className="request__result" data-testid="request-result">
          <h3 className="small-heading">{t("request.result")}</h3>
          <ResultView result={view.result} files={view.files} />
        </div>
      )}

      {error && (
        <div className="alert alert--error" role="alert" data-testid="request-error">
          <p>
            <strong>{i18n.maybe(`error.${error.code}`) ?? error.code}</strong>
          </p>
          {error.message && error.message !== i18n.maybe(`error.${error.code}`) && <p className="prewrap">{error.message}</p>}
        </div>
      )}
      {terminal && state !== "completed" && view.result !== null && view.result !== undefined && (
        <details className="result-json">
          <summary>{t("request.json")}</summary>
          <ResultView result={view.result} />
        </details>
      )}

      <p className="request__elapsed muted" data-testid="request-elapsed">
        {t("request.elapsed", { time: formatDuration(elapsed) })}
      </p>

      {cancelError && <ErrorMessage error={cancelError} />}
      {live.error && <p className="muted small">{errorText(live.error, i18n)}</p>}

      <div className="actions">
        {!terminal && (
          <button type="button" className="button button--danger" onClick={cancel} disabled={cancelling}>
            {cancelling ? t("request.cancelling") : t("request.cancel")}
          </button>
        )}
        {terminal && prompt !== undefined && onRetry && (inputs.length === 0 || state !== "completed") && (
          <button type="button" className="button" onClick={() => onRetry(prompt, view)} disabled={retrying}>
            {t("request.retry")}
          </button>
        )}
        {showPageLink && (
          <Link className="button button--ghost" to={`/requests/${encodeURIComponent(view.id)}`}>
            {t("request.open")}
          </Link>
        )}
      </div>
    </section>
  );
}
