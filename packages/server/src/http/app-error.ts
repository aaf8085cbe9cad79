import { ERROR_CODES, type ErrorCode } from "@wsspaces/protocol";

/** HTTP status of each error code. One table, so a code always means the same answer. */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  csrf_failed: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  registration_closed: 403,
  space_offline: 503,
  space_paused: 503,
  queue_full: 429,
  rate_limited: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_state: 409,
  unavailable: 503,
  internal: 500,
  invalid_token: 401,
  invalid_event: 400,
  not_registered: 409,
  not_assigned: 409,
  space_not_found: 404,
  space_not_allowed: 403,
  too_many_events: 429,
  worker_stopping: 503,
  worker_lost: 502,
  worker_error: 502,
  timed_out: 504,
  cancelled: 409,
};

/** An error whose code and message are safe to show to the client. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  /** Sent as `Retry-After` (seconds) when set. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message?: string, options?: { details?: unknown; cause?: unknown; retryAfterSeconds?: number }) {
    super(message ?? ERROR_CODES[code], { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
