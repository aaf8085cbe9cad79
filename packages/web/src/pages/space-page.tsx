import { useState } from "react";
import { Link, useParams } from "react-router";
import type { QueueEntryView, RequestView } from "@wsspaces/protocol";
import { api } from "../api/endpoints";
import { toApiError, type ApiError } from "../api/api-error";
import { useSession } from "../auth/session";
import { ApiPanel } from "../components/api-panel";
import { ConnectionStatus } from "../components/badges";
import { CodeBlock } from "../components/copy-button";
import { ErrorMessage } from "../components/error-message";
import { QueueList } from "../components/queue-list";
import { RequestPanel } from "../components/request-panel";
import { RequestTable } from "../components/request-table";
import { SubmitForm, type PickedFile } from "../components/submit-form";
import { WorkerList } from "../components/worker-list";
import { useI18n } from "../i18n/i18n";
import { isTerminal } from "../live/request-feed";
import { useRequestFeed } from "../live/use-request-feed";
import { useSpaceStatus } from "../live/use-space-status";
import { recallPrompt, rememberPrompt } from "../util/prompt-memory";
import { workerCommand } from "../util/shell";
import { useLoad } from "../util/use-load";
import { useTitle } from "../util/use-title";

/** The caller's newest unfinished request here: from their history, else from the live queue. */
function findActive(history: readonly RequestView[] | undefined, queue: readonly QueueEntryView[] | undefined): string | null {
  const fromHistory = history?.find((r) => !isTerminal(r.state));
  if (fromHistory) return fromHistory.id;
  const own = (queue ?? []).filter((e) => e.request_id !== undefined);
  return own.at(-1)?.request_id ?? null;
}

interface Shown {
  /** The request shown in the request panel. */
  requestId: string | null;
  /** The last unfinished request adopted automatically (so it is adopted only once). */
  adopted: string | null;
}

/** `/spaces/:id`. Keyed by the id so that every space starts with fresh state. */
export function SpacePage() {
  const { id = "" } = useParams();
  return <SpaceView key={id} spaceId={id} />;
}

function SpaceView({ spaceId }: { spaceId: string }) {
  const i18n = useI18n();
  const { t, formatDuration } = i18n;
  const { me } = useSession();
  const status = useSpaceStatus(spaceId, me !== null);
  const space = status.space;
  useTitle(space?.name);

  const history = useLoad(me ? `history:${spaceId}:${me.id}` : null, (signal) => api.requests.list({ space: spaceId, limit: 20 }, signal));
  const [shown, setShown] = useState<Shown>({ requestId: null, adopted: null });
  const [prompt, setPrompt] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<ApiError | null>(null);

  // Re-attach: a reload or a second tab picks up the request still running here.
  const active = me ? findActive(history.value?.requests, space?.queue) : null;
  if (active !== null && active !== shown.adopted) setShown({ requestId: active, adopted: active });

  const feed = useRequestFeed(shown.requestId, history.reload);

  const submit = (text: string, files: PickedFile[] = []) => {
    setSubmitting(true);
    setSubmitError(null);
    const form = new FormData();
    if (files.length > 0) {
      if (text !== "") form.set("prompt", text);
      for (const picked of files) form.append(picked.field, picked.file, picked.file.name);
    }
    const sent = files.length > 0 ? api.requests.submitWithFiles(spaceId, form) : api.requests.submit(spaceId, { prompt: text });
    sent.then(
      (res) => {
        rememberPrompt(res.request_id, text);
        setShown({ requestId: res.request_id, adopted: res.request_id });
        setSubmitting(false);
        history.reload();
      },
      (err: unknown) => {
        setSubmitError(toApiError(err));
        setSubmitting(false);
      },
    );
  };

  // With files, the server's retry sends them again; a prompt alone is simply sent again.
  const retry = (text: string, view: RequestView) => {
    if (!view.files.some((f) => f.kind === "input")) return submit(text);
    setSubmitting(true);
    setSubmitError(null);
    api.requests.retry(view.id).then(
      (res) => {
        rememberPrompt(res.request_id, text);
        setShown({ requestId: res.request_id, adopted: res.request_id });
        setSubmitting(false);
        history.reload();
      },
      (err: unknown) => {
        setSubmitError(toApiError(err));
        setSubmitting(false);
      },
    );
  };

  if (status.error) {
    return (
      <div className="page">
        <p>
          <Link to="/">← {t("space.back")}</Link>
        </p>
        {status.error.code === "not_found" ? (
          <div className="empty" role="alert">
            <p>{t("space.notFound")}</p>
          </div>
        ) : (
          <ErrorMessage error={status.error} />
        )}
      </div>
    );
  }
  if (!space) return <p className="page muted">{t("common.loading")}</p>;

  const shownPrompt = shown.requestId ? recallPrompt(shown.requestId) : undefined;
  const requests = history.value?.requests ?? [];

  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/">← {t("space.back")}</Link>
      </p>
      <div className="space-head">
        <div>
          <h1>{space.name}</h1>
          {space.description && <p className="space-head__desc prewrap">{space.description}</p>}
          <p className="muted small">
            {t("space.timeout", { time: formatDuration(space.timeout_seconds * 1000) })}
          </p>
        </div>
        <div className="space-head__status" role="status" aria-live="polite">
          <ConnectionStatus connected={space.connected} workers={space.workers} />
        </div>
      </div>
      {status.removed && (
        <p className="alert alert--error" role="alert">
          {t("space.removed")}
        </p>
      )}

      <div className="space-grid">
        <div className="space-grid__main">
          {me ? (
            <SubmitForm
              inputs={space.inputs}
              maxFileMb={space.max_file_mb}
              maxUploadMb={space.max_upload_mb}
              prompt={prompt}
              onPromptChange={setPrompt}
              onSubmit={submit}
              submitting={submitting}
              error={submitError}
              queuesWhileOffline={space.queue_offline && !space.connected}
            />
          ) : (
            <div className="panel">
              <p>
                <Link to={`/signin?next=${encodeURIComponent(`/spaces/${spaceId}`)}`}>{t("auth.signInToSubmit")}</Link>
              </p>
            </div>
          )}

          {shown.requestId !== null && (
            <RequestPanel live={feed} title={t("request.title")} prompt={shownPrompt} onRetry={retry} retrying={submitting} showPageLink />
          )}

          {me && (
            <section className="panel" aria-labelledby="history-title">
              <h2 id="history-title">{t("space.historyTitle")}</h2>
              {history.error && <ErrorMessage error={history.error} />}
              {history.value && requests.length === 0 && <p className="muted">{t("space.historyEmpty")}</p>}
              {requests.length > 0 && (
                <RequestTable
                  testId="history"
                  requests={requests}
                  highlight={shown.requestId}
                  action={(r) =>
                    r.id === shown.requestId ? (
                      <span className="muted small">{t("space.historyShown")}</span>
                    ) : (
                      <button type="button" className="button button--small" onClick={() => setShown((s) => ({ ...s, requestId: r.id }))}>
                        {t("space.historyShow")}
                      </button>
                    )
                  }
                />
              )}
            </section>
          )}
        </div>

        <aside className="space-grid__side">
          <QueueList queue={space.queue} queueLength={space.queue_length} />
          <WorkerList workers={space.worker_list} />
          {me && <ApiPanel spaceId={space.id} spaceName={space.name} prompt={prompt} />}
          {me?.role === "admin" && (
            <section className="panel" aria-labelledby="connect-title" data-testid="connect-worker">
              <h2 id="connect-title">{t("space.connectTitle")}</h2>
              <p className="muted">{t("space.connectBody")}</p>
              <CodeBlock code={workerCommand(window.location.origin, space.name, "<TOKEN>")} />
              {space.open_workers && <p className="muted small">{t("space.connectOpen")}</p>}
              <p>
                <Link to={`/admin/spaces/${encodeURIComponent(space.id)}`}>{t("space.manageTokens")}</Link>
              </p>
            </section>
          )}
        </aside>
      </div>
    </div>
  );
}
