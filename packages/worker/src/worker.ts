import { EventEmitter } from "node:events";
import type { InferenceRequest } from "@wsspaces/protocol";
import { WorkerError, fromConnectError, toError } from "./errors.js";
import { isCancelRequest, normaliseInferenceRequest } from "./inbound.js";
import { JobRunner, type JobTransport } from "./job-runner.js";
import type { FileTransport } from "./job-files.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import { uploadOutputFile } from "./output-upload.js";
import { RegistrationAttempt, buildRegisterMessage, type RegistrationOutcome } from "./registration.js";
import { ResultOutbox } from "./result-outbox.js";
import { createWorkerSocket, type WorkerSocket } from "./socket.js";
import type {
  DisconnectReason,
  Handler,
  RegisterSuccess,
  StopOptions,
  WorkerEvents,
  WorkerLogger,
  WorkerOptions,
  WorkerStats,
} from "./types.js";

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/**
 * idle → starting (connecting, first registration) → running → stopping (draining) → closed.
 * A worker is single-use: once closed it stays closed.
 */
type WorkerState = "idle" | "starting" | "running" | "stopping" | "closed";

/**
 * A remote worker: dials out to the site, registers for its spaces, runs the handler for each
 * `inference_request` and reports back. Survives disconnects by reconnecting, registering again
 * and re-sending results the server had not acknowledged.
 */
export class Worker extends EventEmitter<WorkerEvents> {
  private readonly options: ResolvedOptions;
  private readonly log: WorkerLogger;
  private readonly jobs: JobRunner;
  private readonly outbox: ResultOutbox;
  private handler: Handler | undefined;
  private socket: WorkerSocket | undefined;
  private state: WorkerState = "idle";
  private registered = false;
  private lastConnectionId: string | undefined;
  private maxInlineFileBytes = 0;
  private registration: RegistrationAttempt | undefined;
  private startWaiter: { resolve: (r: RegisterSuccess) => void; reject: (e: Error) => void } | undefined;
  private startPromise: Promise<RegisterSuccess> | undefined;
  private stopPromise: Promise<void> | undefined;
  private wakeDrain: (() => void) | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private manualReconnects = 0;
  private received = 0;
  private refused = 0;
  private startedAt = new Date();

  constructor(options: WorkerOptions) {
    super();
    this.options = resolveOptions(options);
    this.log = this.options.logger;

    const transport: JobTransport = {
      accept: (requestId) => this.liveSocket()?.emit("accept", { request_id: requestId }),
      progress: (message) => this.liveSocket()?.emit("progress", message),
      stream: (message) => this.liveSocket()?.emit("stream", message),
      result: (message) => this.outbox.put(message),
    };
    const files: FileTransport = {
      inlineLimit: () => this.maxInlineFileBytes,
      upload: (requestId, name, body, size, mime, signal) => {
        const connectionId = this.lastConnectionId;
        if (connectionId === undefined) return Promise.reject(new Error("not registered: cannot upload an output file"));
        return uploadOutputFile({ server: this.options.server, token: this.options.token, connectionId }, requestId, name, body, size, mime, signal);
      },
    };
    this.jobs = new JobRunner(
      transport,
      {
        completed: (...args) => this.safeEmit("completed", ...args),
        failed: (...args) => this.safeEmit("failed", ...args),
        cancelled: (...args) => this.safeEmit("cancelled", ...args),
      },
      files,
    );
    this.outbox = new ResultOutbox(
      {
        canSend: () => this.liveSocket() !== undefined,
        send: (message, ack) => this.liveSocket()?.emit("inference_result", message, ack),
      },
      this.log,
      this.options.maxBufferedResults,
      (requestId, outcome) => this.safeEmit("delivered", requestId, outcome),
    );
  }

  /** The id the server gave this connection at the last successful registration. */
  get connectionId(): string | undefined {
    return this.lastConnectionId;
  }

  /** Sets the function that runs each request; may be replaced at any time. */
  handle<Result>(handler: Handler<Result>): this {
    this.handler = handler;
    return this;
  }

  /**
   * Connects and registers. Resolves with the server's answer; rejects with a WorkerError
   * (`.code` from the server where it gave one) if the first connection or registration fails.
   * Later disconnects are retried by themselves.
   */
  start(): Promise<RegisterSuccess> {
    if (this.state === "closed" || this.stopPromise) {
      return Promise.reject(new WorkerError("this worker was stopped; create a new one", "worker_stopped"));
    }
    if (this.startPromise) return this.startPromise;
    if (!this.handler) return Promise.reject(new TypeError("call handle() before start()"));

    this.state = "starting";
    this.startedAt = new Date();
    this.startPromise = new Promise<RegisterSuccess>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    const socket = createWorkerSocket(this.options);
    this.socket = socket;
    this.listen(socket);
    this.log.debug("connecting", { server: this.options.server });
    socket.connect();
    return this.startPromise;
  }

  /**
   * Stops taking work, lets in-flight requests finish (and their results be acknowledged) for
   * up to `drainTimeoutMs`, aborts what is left, then disconnects. Idempotent.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopPromise ??= this.drainAndClose(options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    return this.stopPromise;
  }

  stats(): WorkerStats {
    return {
      received: this.received,
      ...this.jobs.getCounts(),
      refused: this.refused,
      inFlight: this.jobs.inFlight,
      startedAt: new Date(this.startedAt),
    };
  }

  // ---- connection lifecycle ------------------------------------------------------------------

  private listen(socket: WorkerSocket): void {
    // "connect" fires again after every reconnection, so registering here re-registers too.
    socket.on("connect", () => this.register(socket));
    socket.on("connect_error", (error) => this.onConnectError(socket, error));
    socket.on("disconnect", (reason) => this.onDisconnect(reason));
    socket.on("register_response", (response) => this.registration?.answer(response));
    socket.on("inference_request", (request) => this.onInferenceRequest(request));
    socket.on("cancel_request", (cancel) => this.onCancelRequest(cancel));
    socket.io.on("reconnect_attempt", (attempt) => {
      if (this.state !== "closed") this.safeEmit("reconnecting", attempt);
    });
  }

  private register(socket: WorkerSocket): void {
    this.registration?.cancel();
    this.registered = false;
    const attempt = new RegistrationAttempt(this.options.registerTimeoutMs, (outcome) =>
      this.onRegistration(outcome),
    );
    this.registration = attempt;
    const message = buildRegisterMessage(this.options, this.lastConnectionId);
    this.log.debug("registering", { spaces: this.options.spaces, capacity: this.options.capacity });
    socket.emit("register", message, (response) => attempt.answer(response));
  }

  private onRegistration(outcome: RegistrationOutcome): void {
    this.registration = undefined;
    if (this.state === "closed") return;

    if (outcome.kind === "timeout") {
      const error = new WorkerError(
        `the server did not answer register within ${this.options.registerTimeoutMs} ms`,
        "register_timeout",
      );
      if (this.state === "starting") return this.failStart(error);
      this.reportError(error);
      return this.reconnectLater();
    }

    const response = outcome.response;
    if (!response.success) {
      // Seed-era servers give no code, whatever the type says.
      const error = new WorkerError(response.message || "registration refused", response.code ?? "register_failed");
      // The server disconnects after a refusal, and the same request would be refused again,
      // unless the server was only briefly unable to answer.
      if (this.state === "starting") return this.failStart(error);
      if (error.code === "unavailable") {
        this.reportError(error);
        return this.reconnectLater();
      }
      return this.failFatally(error);
    }

    this.registered = true;
    this.lastConnectionId = response.connection_id;
    // Servers before file support send no limit: nothing goes inline there.
    this.maxInlineFileBytes = response.max_inline_file_bytes ?? 0;
    this.manualReconnects = 0;
    this.log.debug("registered", { connection_id: response.connection_id });
    if (this.state === "starting") {
      this.state = "running";
      this.startWaiter?.resolve(response);
      this.startWaiter = undefined;
    }
    this.safeEmit("registered", response);
    this.outbox.flush();
  }

  private onConnectError(socket: WorkerSocket, cause: Error & { data?: unknown }): void {
    if (this.state === "closed") return;
    const error = fromConnectError(cause, this.options.server);
    if (this.state === "starting") return this.failStart(error);
    // An inactive socket was refused by the server (e.g. a revoked token): retrying cannot help,
    // unless the refusal says the server was only briefly unavailable.
    if (!socket.active) {
      if (error.code === "unavailable") {
        this.reportError(error);
        return this.reconnectLater();
      }
      return this.failFatally(error);
    }
    this.log.debug("reconnection failed", { error: error.message });
  }

  private onDisconnect(reason: DisconnectReason): void {
    this.registered = false;
    this.registration?.cancel();
    this.registration = undefined;
    // "io client disconnect" is our own doing (stop, or reconnectLater), already accounted for.
    if (this.state === "closed" || reason === "io client disconnect") return;

    if (this.state === "starting") {
      if (reason === "io server disconnect") {
        this.failStart(new WorkerError("the server closed the connection before registration", "server_disconnect"));
      }
      return;
    }

    this.log.debug("disconnected", { reason });
    this.safeEmit("disconnected", reason);
    // socket.io reconnects by itself only after network failures; a disconnect the server chose
    // (a gateway restart, a flood limit) leaves reconnecting to us.
    if (reason === "io server disconnect") this.reconnectLater();
  }

  /** Drops the current connection (if any) and connects again after a backoff delay. */
  private reconnectLater(): void {
    const socket = this.socket;
    if (!socket || this.state === "closed") return;
    if (socket.connected) socket.disconnect();
    clearTimeout(this.reconnectTimer);
    this.manualReconnects += 1;
    const attempt = this.manualReconnects;
    // Jittered (±50 %) so that workers dropped together do not all come back at once.
    const delay = Math.min(this.options.reconnectDelayMs * 2 ** (attempt - 1), this.options.reconnectDelayMaxMs) * (0.5 + Math.random());
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === "closed") return;
      this.safeEmit("reconnecting", attempt);
      socket.connect();
    }, delay);
  }

  // ---- requests ------------------------------------------------------------------------------

  private onInferenceRequest(message: unknown): void {
    this.received += 1;
    const request = normaliseInferenceRequest(message);
    if (!request) {
      this.log.warn("ignored an inference_request without a request_id");
      return;
    }
    const id = request.request_id;

    // The server may repeat a request after a reconnect; answer from what we already have.
    if (this.jobs.has(id)) {
      this.log.debug("request already running", { request_id: id });
      this.liveSocket()?.emit("accept", { request_id: id });
      return;
    }
    if (this.outbox.has(id)) {
      this.outbox.resend(id);
      return;
    }

    const handler = this.handler;
    if (this.state !== "running" || !handler) return this.refuse(request);

    this.safeEmit("request", request);
    if (this.jobs.inFlight >= this.options.capacity) {
      // The server enforces capacity, so this means it disagrees with us; run it anyway.
      this.log.warn("running more requests than the registered capacity", {
        request_id: id,
        in_flight: this.jobs.inFlight + 1,
        capacity: this.options.capacity,
      });
    }
    this.jobs.run(request, handler).catch((error: unknown) => {
      this.log.error("internal error while running a request", {
        request_id: id,
        error: toError(error).message,
      });
    });
  }

  /** Answers at once so the server can hand the request to another worker. */
  private refuse(request: InferenceRequest): void {
    this.refused += 1;
    const message = "the worker is stopping and takes no new requests";
    this.log.debug("refused a request while stopping", { request_id: request.request_id });
    this.outbox.put({
      request_id: request.request_id,
      status: "failed",
      error: { code: "worker_stopping", message },
      result: { error: message },
    });
  }

  private onCancelRequest(cancel: unknown): void {
    if (!isCancelRequest(cancel)) return;
    const id = cancel.request_id;
    if (this.jobs.abort(id, cancel.reason)) {
      this.log.debug("request cancelled by the server", { request_id: id, reason: cancel.reason });
    } else if (this.outbox.has(id)) {
      // Finished but not yet acknowledged: the server no longer wants the result.
      this.outbox.drop(id);
    }
  }

  // ---- shutdown ------------------------------------------------------------------------------

  private async drainAndClose(drainTimeoutMs: number): Promise<void> {
    switch (this.state) {
      case "idle":
        return this.close(undefined);
      case "starting":
        return this.failStart(new WorkerError("the worker was stopped before it registered", "worker_stopping"));
      case "stopping":
      case "closed":
        return;
      case "running":
        break;
    }

    this.state = "stopping";
    this.log.debug("stopping", { in_flight: this.jobs.inFlight, unacknowledged: this.outbox.size });
    const drained = await this.waitUntilIdle(drainTimeoutMs);
    if (!drained) {
      this.log.warn("drain timeout reached; aborting the requests still running", {
        in_flight: this.jobs.inFlight,
        unacknowledged: this.outbox.size,
      });
    }
    this.close(undefined);
  }

  /** Resolves true once no handler runs and every result is acknowledged, false on timeout. */
  private waitUntilIdle(timeoutMs: number): Promise<boolean> {
    const idle = (): boolean =>
      this.state === "closed" || (this.jobs.inFlight === 0 && this.outbox.size === 0);
    if (idle()) return Promise.resolve(true);

    return new Promise<boolean>((resolve) => {
      const finish = (drained: boolean): void => {
        clearTimeout(timer);
        offJobs();
        offOutbox();
        this.wakeDrain = undefined;
        resolve(drained);
      };
      const check = (): void => {
        if (idle()) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const offJobs = this.jobs.onSettled(check);
      const offOutbox = this.outbox.onSettled(check);
      this.wakeDrain = check;
    });
  }

  private failStart(error: WorkerError): void {
    const waiter = this.startWaiter;
    this.startWaiter = undefined;
    this.close(error);
    waiter?.reject(error);
  }

  private failFatally(error: Error): void {
    this.reportError(error);
    this.close(error);
  }

  /** Final: aborts what still runs, disconnects, and emits "closed". */
  private close(error: Error | undefined): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.registered = false;
    this.registration?.cancel();
    this.registration = undefined;
    clearTimeout(this.reconnectTimer);
    this.jobs.abortAll("worker_stopping");
    this.socket?.disconnect();
    this.wakeDrain?.();
    this.safeEmit("closed", error);
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The socket, only while it is connected and registered: events sent earlier are refused. */
  private liveSocket(): WorkerSocket | undefined {
    return this.registered && this.socket?.connected ? this.socket : undefined;
  }

  /** node:events throws on an unheard "error"; a library should log it instead. */
  private reportError(error: Error): void {
    if (this.listenerCount("error") > 0) this.safeEmit("error", error);
    else this.log.error(error.message, error instanceof WorkerError ? { code: error.code } : undefined);
  }

  /**
   * Emits from socket and job callbacks, where a throwing listener would otherwise become an
   * uncaught exception inside socket.io or an unhandled rejection.
   */
  private safeEmit<K extends keyof WorkerEvents>(event: K, ...args: WorkerEvents[K]): void {
    // node:events' conditional argument types cannot follow a generic K; the signature above
    // already ties the arguments to the event.
    const emit = this.emit.bind(this) as (event: K, ...args: WorkerEvents[K]) => boolean;
    try {
      emit(event, ...args);
    } catch (error) {
      this.log.error(`a "${event}" listener threw`, { error: toError(error).message });
    }
  }
}
