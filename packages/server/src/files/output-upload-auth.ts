import { AppError } from "../http/app-error.js";
import type { RequestRow, RequestStore } from "../requests/request-store.js";
import type { WorkerTokenStore } from "../spaces/worker-token-store.js";
import type { Clock } from "../util/time.js";
import { verifyWorkerToken } from "../workers/worker-auth.js";
import type { WorkerSessionStore } from "../workers/worker-session-store.js";

export interface OutputUploadAuthDeps {
  requests: RequestStore;
  sessions: WorkerSessionStore;
  tokens: WorkerTokenStore;
  clock: Clock;
}

/**
 * Only the worker connection holding a request may upload its outputs: it names itself with its
 * connection id (the resume handle only it and admins know) and, unless it came in through open
 * registration, proves it with the same worker token it connected with.
 */
export async function authorizeOutputUpload(
  deps: OutputUploadAuthDeps,
  requestId: string,
  connectionId: string | undefined,
  bearer: string | undefined,
): Promise<RequestRow> {
  if (!connectionId) throw new AppError("unauthenticated", "Send the X-Wsspaces-Connection header with your connection id.");
  const session = await deps.sessions.byId(connectionId);
  if (!session) throw new AppError("unauthenticated", "Unknown worker connection.");
  if (session.token_id !== null) {
    const credential = bearer ? await verifyWorkerToken(deps.tokens, deps.clock, bearer) : undefined;
    if (!credential || credential.tokenId !== session.token_id) throw new AppError("invalid_token");
  }
  const row = await deps.requests.byId(requestId);
  if (!row || row.worker_session_id !== connectionId) throw new AppError("not_assigned");
  if (row.state !== "dispatched" && row.state !== "running") throw new AppError("invalid_state", `The request is ${row.state}; it takes no more files.`);
  return row;
}
