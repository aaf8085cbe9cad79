import type { JobAbortReason } from "./types.js";

/**
 * An error with a stable code: the server's code where it gave one (`invalid_token`,
 * `space_not_found`, …) or one of the worker's own (`connect_failed`, `register_timeout`,
 * `worker_stopping`), so callers can branch without parsing messages.
 */
export class WorkerError extends Error {
  override readonly name = "WorkerError";

  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The reason of an aborted job's signal. Named "AbortError" like the platform's own aborts, so
 * handlers that already recognise those (fetch, timers/promises) treat it the same way.
 */
export class JobAbortedError extends Error {
  override readonly name = "AbortError";

  constructor(readonly reason: JobAbortReason) {
    super(
      reason === "worker_stopping"
        ? "the worker is stopping"
        : `the server withdrew the request (${reason})`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * A `connect_error` either carries the server's refusal in `data` ({code, message}) or is a
 * transport failure whose own message ("xhr poll error") means little without the address.
 */
export function fromConnectError(error: Error & { data?: unknown }, server: string): WorkerError {
  const data = error.data;
  if (isRecord(data) && typeof data.message === "string") {
    const code = typeof data.code === "string" ? data.code : "connect_refused";
    return new WorkerError(data.message, code, { cause: error });
  }
  return new WorkerError(`could not connect to ${server}: ${error.message}`, "connect_failed", {
    cause: error,
  });
}

/** Handlers may throw anything; the wire and the events want an Error with a message. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  let text: string | undefined;
  try {
    text = JSON.stringify(thrown);
  } catch {
    // Circular or BigInt values: fall back to the generic description below.
  }
  return new Error(text ?? `non-error value thrown: ${typeof thrown}`);
}
