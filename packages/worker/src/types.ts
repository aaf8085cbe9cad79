import type { CancelReason, InferenceRequest, RegisterResponse } from "@wsspaces/protocol";
import type { Socket } from "socket.io-client";
import type { AttachOptions, InputFile } from "./job-files.js";

/** Structured fields attached to a log line (request ids, codes, durations). */
export type LogFields = Record<string, unknown>;

/** The logger the SDK writes to; the default is silent so a library never prints on its own. */
export interface WorkerLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type TransportName = "websocket" | "polling";

export interface WorkerOptions {
  /** Base URL of the site, e.g. `http://127.0.0.1:5001` (a path prefix is kept for reverse proxies). */
  server: string;
  /** Worker token (`wss_…`); leave out for spaces with open worker registration. */
  token?: string;
  /** Names of the spaces to serve; leave out (or empty) to serve the worker token's own space. */
  spaces?: string[];
  /** Requests the server may hand this worker at once, 1..64; default 1. */
  capacity?: number;
  /** Shown to admins; defaults to the host name. */
  name?: string;
  /** Version of the model or app, shown to admins. */
  version?: string;
  logger?: WorkerLogger;
  /** First reconnection delay; default 1000 ms (the seed apps' value). */
  reconnectDelayMs?: number;
  /** Longest reconnection delay; default 5000 ms (the seed apps' value). */
  reconnectDelayMaxMs?: number;
  /** How long to wait for the answer to `register`; default 10000 ms. */
  registerTimeoutMs?: number;
  /**
   * Results kept while disconnected, to deliver on reconnect; default 1000. Past that the
   * oldest is dropped (the server re-queues its request once the resume grace period ends).
   */
  maxBufferedResults?: number;
  /** Default `["websocket", "polling"]`: WebSocket first, long-polling as a fallback. */
  transports?: TransportName[];
}

/** Why a running job was aborted: the server's reasons plus our own shutdown. */
export type JobAbortReason = CancelReason | "worker_stopping";

/** What a handler gets besides the request. */
export interface JobContext {
  readonly request_id: string;
  readonly attempt: number;
  /** After this the server no longer accepts the result. */
  readonly deadline: Date;
  /** Aborted on `cancel_request` or when `stop()` runs out of drain time; reason is a {@link JobAbortedError}. */
  readonly signal: AbortSignal;
  /** Reports progress (0..1) and/or a status line; a no-op once the job is cancelled or finished. */
  progress(progress?: number, message?: string): void;
  /** Sends partial output (a text delta or JSON); a no-op once the job is cancelled or finished. */
  stream(chunk: unknown): void;
  /** The request's uploaded files; each can be downloaded to a temporary path (removed after the job). */
  readonly files: readonly InputFile[];
  /**
   * Adds an output file (bytes, or the path of a file on disk). The SDK sends small ones inline
   * with the result and uploads larger ones; they are listed with the request's result.
   */
  attach(name: string, data: Uint8Array | string, options?: AttachOptions): Promise<void>;
}

/** Turns a request into a JSON-serialisable result, or throws to fail it. */
export type Handler<Result = unknown> = (
  request: InferenceRequest,
  ctx: JobContext,
) => Promise<Result> | Result;

export interface WorkerStats {
  /** Every `inference_request` seen, including refused ones. */
  received: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Requests refused because the worker was stopping. */
  refused: number;
  /** Handlers still running (a cancelled handler counts until it returns). */
  inFlight: number;
  startedAt: Date;
}

export interface StopOptions {
  /** How long in-flight requests may take to finish before they are aborted; default 10000 ms. */
  drainTimeoutMs?: number;
}

export type RegisterSuccess = Extract<RegisterResponse, { success: true }>;

export type DisconnectReason = Socket.DisconnectReason;

/** Events of {@link Worker}, as node:events argument tuples. */
export type DeliveryOutcome = "accepted" | "duplicate" | "refused";

export interface WorkerEvents {
  registered: [response: RegisterSuccess];
  disconnected: [reason: DisconnectReason];
  reconnecting: [attempt: number];
  request: [request: InferenceRequest];
  completed: [request: InferenceRequest, result: unknown, ms: number];
  failed: [request: InferenceRequest, error: Error, ms: number];
  cancelled: [request: InferenceRequest, reason: JobAbortReason];
  /**
   * The server answered a result: "accepted" (recorded), "duplicate" (it already had one for
   * this request) or "refused" (this worker no longer holds the request).
   */
  delivered: [requestId: string, outcome: DeliveryOutcome];
  /** Only emitted when someone listens; otherwise the error is logged. */
  error: [error: Error];
  /** The worker is done for good: after `stop()` (no error) or a fatal error such as a revoked token. */
  closed: [error: Error | undefined];
}
