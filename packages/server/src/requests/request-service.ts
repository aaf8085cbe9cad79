import type { Logger } from "pino";
import type {
  RequestState,
  AcceptMessage,
  EventAck,
  FileView,
  InferenceResultMessage,
  InlineOutputFile,
  ListRequestsQuery,
  ProgressMessage,
  RequestView,
  StreamMessage,
  SubmitBody,
  SubmitResponse,
} from "@wsspaces/protocol";
import { ACTIVE_STATES, ERROR_CODES, isTerminalState } from "@wsspaces/protocol";
import { isAdmin, type Principal } from "../auth/principal.js";
import { AppError } from "../http/app-error.js";
import type { SpaceRow } from "../spaces/space-store.js";
import type { WorkerRegistry } from "../workers/worker-registry.js";
import { newId } from "../util/ids.js";
import { parseStoredJson } from "../util/json.js";
import type { Clock } from "../util/time.js";
import type { Dispatcher } from "./dispatcher.js";
import type { EtaEstimator } from "../live/eta-estimator.js";
import type { RequestEvents } from "./request-events.js";
import { NON_TERMINAL_STATES, type RequestRow, type RequestStore } from "./request-store.js";
import { hasFiles, requestView } from "./request-view.js";
import type { ReceivedUpload } from "../files/file-service.js";
import type { SubmitLimiter } from "./submit-limiter.js";
import { validateSubmission } from "./submission.js";

export interface RequestServiceDeps {
  store: RequestStore;
  registry: WorkerRegistry;
  dispatcher: Dispatcher;
  events: RequestEvents;
  clock: Clock;
  log: Logger;
  maxAttempts: number;
  userQueueLimit: number;
  /** Throws when a webhook URL may not be used (SSRF policy). */
  vetWebhookUrl: (url: string) => Promise<unknown>;
  /** Submissions per user per minute (token bucket); 0 turns the limit off. */
  submitLimiter: SubmitLimiter;
  eta: EtaEstimator;
  /** Text the request's current attempt streamed (kept in memory by the live feeds). */
  streamedText: (requestId: string) => string | null;
  /** Called with every new deadline so the timer can wake up early enough. */
  onDeadline: (deadlineAt: number) => void;
  files: RequestFiles;
}

/** What the request lifecycle needs of the files domain. */
export interface RequestFiles {
  attachInputs(requestId: string, userId: string, uploads: readonly ReceivedUpload[]): Promise<void>;
  copyInputs(fromRequestId: string, toRequestId: string, userId: string): Promise<number>;
  viewsOf(row: RequestRow): Promise<FileView[]>;
  storeInlineOutputs(row: RequestRow, files: readonly InlineOutputFile[]): Promise<void>;
}

/** Files that come with a submission: fresh uploads, or a retried request's inputs. */
export interface SubmissionFiles {
  uploads?: readonly ReceivedUpload[];
  copyInputsFrom?: string;
}

const ok: EventAck = { ok: true };
const refuse = (code: "not_assigned" | "invalid_state", message?: string): EventAck => ({
  ok: false,
  error: { code, message: message ?? ERROR_CODES[code] },
});

/** The request lifecycle of DESIGN.md §4: every transition written before it is announced. */
export class RequestService {
  constructor(private readonly deps: RequestServiceDeps) {}

  // ---- users -------------------------------------------------------------------------------

  async submit(principal: Principal, space: SpaceRow, body: SubmitBody, files: SubmissionFiles = {}): Promise<SubmitResponse> {
    const { store, clock } = this.deps;
    const uploads = files.uploads ?? [];
    const submission = validateSubmission(space, body, uploads.length > 0 || files.copyInputsFrom !== undefined);
    const wait = this.deps.submitLimiter.take(principal.userId);
    if (wait > 0) {
      throw new AppError("rate_limited", `You are submitting too fast; try again in ${wait} s.`, { retryAfterSeconds: wait });
    }
    await this.checkAdmission(principal, space);
    const priority = body.priority ?? 0;
    if (priority > 0 && !isAdmin(principal)) throw new AppError("forbidden", "Only admins can raise a request's priority.");
    if (body.webhook) await this.deps.vetWebhookUrl(body.webhook.url);
    const now = clock.now();
    const id = newId("req");
    // Files first: a crash before the request row leaves files of no request, which the sweep removes.
    if (uploads.length > 0) await this.deps.files.attachInputs(id, principal.userId, uploads);
    const inputFiles = files.copyInputsFrom !== undefined ? await this.deps.files.copyInputs(files.copyInputsFrom, id, principal.userId) : uploads.length;
    const row = await store.insert({
      id,
      space_id: space.id,
      user_id: principal.userId,
      state: "queued",
      priority,
      fair_tag: await store.fairTagFor(space.id, principal.userId, priority),
      webhook: body.webhook ? JSON.stringify({ url: body.webhook.url, events: body.webhook.events ?? ["completed", "failed", "cancelled", "timed_out"] }) : null,
      prompt: submission.prompt,
      inputs: JSON.stringify(submission.inputs),
      attempt: 0,
      max_attempts: this.deps.maxAttempts,
      worker_session_id: null,
      progress: null,
      progress_message: null,
      result: null,
      error_code: null,
      error_message: null,
      created_at: now,
      updated_at: now,
      dispatched_at: null,
      started_at: null,
      finished_at: null,
      deadline_at: now + space.timeout_seconds * 1000,
      input_files: inputFiles,
      output_files: 0,
    });
    this.deps.events.publish({ type: "state", requestId: row.id, spaceId: space.id, state: "queued", row });
    this.deps.onDeadline(row.deadline_at);
    void this.deps.dispatcher.pump(space.id);
    return { request_id: row.id, state: "queued", position: await store.positionOf(row).catch(() => null) };
  }

  /**
   * Whether the space takes a request from this user now (connected or queueing offline, not
   * full, not paused). Checked again on submit; uploads check it first so that nobody sends a
   * large file only to be told the space is offline.
   */
  async checkAdmission(principal: Principal, space: SpaceRow): Promise<void> {
    const { store, registry } = this.deps;
    if (registry.connectedCount(space.id) === 0 && !space.queue_offline) {
      throw new AppError("space_offline", `No worker is connected to "${space.name}" right now; try again when it is back.`);
    }
    // Bounded checks ("is there an n-th one?"), not counts: their cost does not grow with the queue.
    if (await store.queueAtLeast(space.id, space.max_queue)) {
      throw new AppError("queue_full", `The queue of "${space.name}" is full (${space.max_queue} waiting); try again later.`);
    }
    // A user's queued requests are some of the space's, fewer than max_queue by now: a per-user
    // limit of max_queue or more cannot be reached, and needs no query.
    const userLimit = this.deps.userQueueLimit;
    if (userLimit < space.max_queue && (await store.queuedForUserAtLeast(space.id, principal.userId, userLimit))) {
      throw new AppError("rate_limited", `You already have ${userLimit} requests waiting in this space; wait for some to finish.`);
    }
    if (space.pause === "reject") throw new AppError("space_paused", `"${space.name}" is paused and takes no requests right now.`);
  }

  /** The request if the caller may see it; others' requests are "not found", not "forbidden". */
  async getVisible(principal: Principal, id: string): Promise<RequestRow> {
    const row = await this.deps.store.byId(id);
    if (!row || (row.user_id !== principal.userId && !isAdmin(principal))) throw new AppError("not_found", "No such request.");
    return row;
  }

  async view(row: RequestRow): Promise<RequestView> {
    const position = row.state === "queued" ? await this.deps.store.positionOf(row) : null;
    const files = hasFiles(row) ? await this.deps.files.viewsOf(row) : [];
    return requestView(row, position, await this.deps.eta.etaSeconds(row, position), files);
  }

  /** Holds until the request is terminal or `seconds` pass, then returns its current view. */
  async waitAndView(id: string, seconds: number): Promise<RequestView> {
    let terminal: RequestRow | undefined;
    if (seconds > 0) {
      terminal = await this.deps.events.waitForTerminal(id, seconds * 1000, async () => {
        const row = await this.deps.store.byId(id);
        return !row || isTerminalState(row.state);
      });
    }
    // The terminal transition's own row (it never changes afterwards) saves reading it back.
    const row = terminal ?? (await this.deps.store.byId(id));
    if (!row) throw new AppError("not_found", "No such request.");
    return this.view(row);
  }

  /** The caller's own requests; admins see everyone's, optionally those of `userId`. */
  async list(principal: Principal, query: ListRequestsQuery & { userId?: string }): Promise<RequestView[]> {
    const userId = isAdmin(principal) ? query.userId : principal.userId;
    const rows = await this.deps.store.list({
      ...(userId !== undefined ? { userId } : {}),
      ...(query.space !== undefined ? { spaceId: query.space } : {}),
      ...(query.state !== undefined ? { state: query.state } : {}),
      limit: query.limit,
    });
    return Promise.all(rows.map(async (row) => ({ ...(await this.view(row)), username: row.username })));
  }

  async cancel(principal: Principal, id: string): Promise<RequestView> {
    const row = await this.getVisible(principal, id);
    if (isTerminalState(row.state)) throw new AppError("invalid_state", `The request is already ${row.state}.`);
    const cancelled = await this.finish(row, "cancelled", { code: "cancelled", message: "Cancelled by the user." });
    if (!cancelled) throw new AppError("invalid_state", "The request finished before it could be cancelled.");
    return this.view(cancelled);
  }

  /**
   * Submits a failed, timed-out or cancelled request again: a new request with the same inputs
   * (and priority, where the caller may set it), through every check a submission passes.
   */
  async retry(principal: Principal, id: string, space: SpaceRow): Promise<SubmitResponse & { retry_of: string }> {
    const row = await this.getVisible(principal, id);
    if (row.state !== "failed" && row.state !== "timed_out" && row.state !== "cancelled") {
      throw new AppError("invalid_state", `Only failed, timed-out or cancelled requests can be retried; this one is ${row.state}.`);
    }
    const priority = isAdmin(principal) ? row.priority : Math.min(0, row.priority);
    const inputs = parseStoredJson<Record<string, unknown>>(row.inputs, {});
    const submitted = await this.submit(principal, space, { ...(row.prompt !== null ? { prompt: row.prompt } : {}), inputs, priority }, row.input_files > 0 ? { copyInputsFrom: row.id } : {});
    return { ...submitted, retry_of: row.id };
  }

  /** Removes every queued (not yet dispatched) request of a space; returns how many. */
  async purgeQueue(spaceId: string): Promise<number> {
    let purged = 0;
    for (const row of await this.deps.store.nonTerminalForSpace(spaceId)) {
      if (row.state !== "queued") continue;
      if (await this.finish(row, "cancelled", { code: "cancelled", message: "Removed from the queue by an admin." })) purged++;
    }
    return purged;
  }

  /** Cancels everything still pending in a space (the space is being deleted). */
  async cancelAllInSpace(spaceId: string): Promise<void> {
    for (const row of await this.deps.store.nonTerminalForSpace(spaceId)) {
      await this.finish(row, "cancelled", { code: "cancelled", message: "The space was deleted." });
    }
  }

  // ---- workers -----------------------------------------------------------------------------

  async accept(workerId: string, msg: AcceptMessage): Promise<EventAck> {
    const now = this.deps.clock.now();
    const row = await this.deps.store.transition(msg.request_id, ["dispatched"], { state: "running", started_at: now, updated_at: now }, { workerSessionId: workerId });
    if (row) {
      this.deps.events.publish({ type: "state", requestId: row.id, spaceId: row.space_id, state: "running", row });
      return ok;
    }
    return this.holdsRunning(workerId, msg.request_id);
  }

  async progress(workerId: string, msg: ProgressMessage): Promise<EventAck> {
    const now = this.deps.clock.now();
    const changes = {
      progress: msg.progress ?? null,
      progress_message: msg.message ?? null,
      updated_at: now,
    };
    // The first progress report also means "running" for workers that never send `accept`.
    const started = await this.deps.store.transition(msg.request_id, ["dispatched"], { ...changes, state: "running", started_at: now }, { workerSessionId: workerId });
    if (started) this.deps.events.publish({ type: "state", requestId: started.id, spaceId: started.space_id, state: "running", row: started });
    const row = started ?? (await this.deps.store.transition(msg.request_id, ["running"], changes, { workerSessionId: workerId }));
    if (!row) return this.holdsRunning(workerId, msg.request_id);
    this.deps.events.publish({ type: "progress", requestId: row.id, spaceId: row.space_id, progress: row.progress, message: row.progress_message });
    return ok;
  }

  /** Stream chunks are relayed, not stored: a database write per token would be the bottleneck. */
  stream(workerId: string, msg: StreamMessage): EventAck {
    const worker = this.deps.registry.get(workerId);
    if (!worker?.inFlight.has(msg.request_id)) return refuse("not_assigned");
    const spaceId = worker.inFlight.get(msg.request_id) ?? "";
    this.deps.events.publish({ type: "stream", requestId: msg.request_id, spaceId, chunk: msg.chunk, seq: msg.seq ?? null });
    return ok;
  }

  async result(workerId: string, msg: InferenceResultMessage): Promise<EventAck> {
    const row = await this.deps.store.byId(msg.request_id);
    if (!row || row.worker_session_id !== workerId) return refuse("not_assigned");
    if (isTerminalState(row.state)) return this.duplicate(workerId, row.id);
    if (msg.status === "failed" && typeof msg.error === "object" && msg.error.code === "worker_stopping") {
      return (await this.handBack(row, workerId)) ? ok : this.duplicate(workerId, row.id);
    }
    // Guarded on the holder: if the request was handed elsewhere since the read, this loses.
    const guard = { workerSessionId: workerId };
    const result = msg.result ?? this.streamedResult(row.id);
    if (msg.files && msg.files.length > 0) await this.deps.files.storeInlineOutputs(row, msg.files);
    // Uploads (PUT, through any node) were counted on the row as they were stored; inline ones now.
    const outputs = row.output_files + (msg.files?.length ?? 0);
    const finished =
      msg.status === "completed"
        ? await this.finish(row, "completed", null, result, guard, outputs)
        : await this.finish(row, "failed", workerError(msg), result, guard, outputs);
    return finished ? ok : this.duplicate(workerId, row.id);
  }

  /** The worker is gone: its requests go back to the queue, or fail once out of attempts. */
  async workerLost(workerId: string): Promise<void> {
    for (const row of await this.deps.store.activeForWorker(workerId)) {
      await this.requeueOrFail(row, workerId);
    }
  }

  /**
   * A worker that is shutting down refused the request: it goes back to the head of the queue
   * without using up an attempt, and the worker gets no more work.
   */
  private async handBack(row: RequestRow, workerId: string): Promise<boolean> {
    const worker = this.deps.registry.get(workerId);
    if (worker) worker.draining = true;
    return this.requeue(row, workerId, Math.max(0, row.attempt - 1));
  }

  // ---- time and recovery -------------------------------------------------------------------

  /** Times out every request whose deadline has passed. Returns how many it timed out. */
  async expireDue(): Promise<number> {
    let count = 0;
    for (;;) {
      const due = await this.deps.store.expired(this.deps.clock.now(), 100);
      for (const row of due) {
        if (await this.finish(row, "timed_out", { code: "timed_out", message: `No result within the space's deadline.` })) count++;
      }
      if (due.length < 100) return count;
    }
  }

  /**
   * Start-up: whatever was dispatched before the restart goes back to the queue (or fails, out
   * of attempts), except what `resumable` workers hold. Deadlines are checked by the caller next.
   */
  async recover(resumable: ReadonlySet<string> = new Set()): Promise<{ requeued: number; failed: number }> {
    let requeued = 0;
    let failed = 0;
    for (const row of await this.deps.store.allActive()) {
      // Held by a worker that may resume; its grace timer hands the request back otherwise.
      if (row.worker_session_id !== null && resumable.has(row.worker_session_id)) continue;
      const outcome = await this.requeueOrFail(row, row.worker_session_id ?? "");
      if (outcome === "queued") requeued++;
      if (outcome === "failed") failed++;
    }
    return { requeued, failed };
  }

  // ---- helpers -----------------------------------------------------------------------------

  private async requeueOrFail(row: RequestRow, workerId: string): Promise<"queued" | "failed" | "lost_race"> {
    const guard = { workerSessionId: workerId };
    if (row.attempt >= row.max_attempts) {
      const failed = await this.finish(row, "failed", { code: "worker_lost", message: `The worker disconnected during each of ${row.attempt} attempts.` }, null, guard);
      return failed ? "failed" : "lost_race";
    }
    return (await this.requeue(row, workerId, row.attempt)) ? "queued" : "lost_race";
  }

  /** Puts an active request back in the queue (compare-and-set on its holder) and pumps. */
  private async requeue(row: RequestRow, workerId: string, attempt: number): Promise<boolean> {
    const queued = await this.deps.store.transition(
      row.id,
      ACTIVE_STATES,
      // Outputs of the abandoned attempt are not listed (files are per attempt).
      { state: "queued", worker_session_id: null, attempt, progress: null, progress_message: null, output_files: 0, updated_at: this.deps.clock.now() },
      { workerSessionId: workerId },
    );
    if (!queued) return false;
    this.release(workerId, row.id);
    this.deps.events.publish({ type: "state", requestId: row.id, spaceId: row.space_id, state: "queued", row: queued });
    void this.deps.dispatcher.pump(row.space_id);
    return true;
  }

  /**
   * Moves a non-terminal request to a terminal state (compare-and-set), tells its worker if
   * it was running somewhere, frees the slot and pumps the queue. Undefined if it lost a race.
   */
  private async finish(
    row: RequestRow,
    state: "completed" | "failed" | "cancelled" | "timed_out",
    error: { code: string; message: string } | null,
    result: unknown = null,
    guard: { workerSessionId?: string } = {},
    outputFiles = 0,
  ): Promise<RequestRow | undefined> {
    const now = this.deps.clock.now();
    const finished = await this.deps.store.transition(
      row.id,
      NON_TERMINAL_STATES,
      {
        state,
        result: result === null || result === undefined ? null : JSON.stringify(result),
        error_code: error?.code ?? null,
        error_message: error?.message ?? null,
        finished_at: now,
        updated_at: now,
        ...(state === "completed" ? { progress: 1 } : {}),
        ...(outputFiles > 0 ? { output_files: outputFiles } : {}),
      },
      guard,
    );
    if (!finished) return undefined;
    // The holder as of the write, not as of the earlier read: the request may have been
    // dispatched in between. A cancel for a request a worker never got is ignored by it.
    const holder = finished.worker_session_id;
    if (holder) this.holderFinished(holder, row.id, state);
    this.deps.events.publish({ type: "state", requestId: row.id, spaceId: row.space_id, state, row: finished });
    this.deps.log.info({ requestId: row.id, spaceId: row.space_id, workerId: holder, state, attempts: finished.attempt }, "request finished");
    return finished;
  }

  /**
   * A request a worker of this node holds has ended (here, or on another node): tell the worker
   * if it should stop, and free its slot. Unknown workers (another node's) are ignored.
   */
  holderFinished(workerId: string, requestId: string, state: RequestState): void {
    if (state === "cancelled" || state === "timed_out") this.deps.registry.get(workerId)?.channel.sendCancel(requestId, state);
    this.release(workerId, requestId);
  }

  /** A worker that streamed its answer may send no result: the streamed text is the result. */
  private streamedResult(requestId: string): { text_output: string } | null {
    const text = this.deps.streamedText(requestId);
    return text === null ? null : { text_output: text };
  }

  private release(workerId: string, requestId: string): void {
    const worker = this.deps.registry.get(workerId);
    if (worker?.inFlight.delete(requestId)) void this.deps.dispatcher.pumpWorkerSpaces(worker);
  }

  private async holdsRunning(workerId: string, requestId: string): Promise<EventAck> {
    const row = await this.deps.store.byId(requestId);
    if (!row || row.worker_session_id !== workerId) return refuse("not_assigned");
    if (isTerminalState(row.state)) return this.duplicate(workerId, requestId);
    return ok;
  }

  /**
   * The same worker answering twice, or after a cancel or timeout: acknowledged and ignored.
   * Its slot is freed in case the finishing side could not tell who held the request.
   */
  private duplicate(workerId: string, requestId: string): EventAck {
    this.release(workerId, requestId);
    return { ok: true, duplicate: true };
  }
}

function workerError(msg: InferenceResultMessage): { code: string; message: string } {
  const fromError = typeof msg.error === "string" ? msg.error : msg.error?.message;
  // Seed-era apps put the message in `result.error`.
  const fromResult =
    typeof msg.result === "object" && msg.result !== null && "error" in msg.result && typeof msg.result.error === "string" ? msg.result.error : undefined;
  return { code: "worker_error", message: (fromError ?? fromResult ?? "The worker reported a failure.").slice(0, 2000) };
}
