import type { ErrorCode } from "@wsspaces/protocol";

/** One bad field of a `validation_failed` answer. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** Codes the browser adds for failures that never reached a server answer. */
export type ClientErrorCode = "network_error" | "bad_response";

/** Every code the app can show: the server's catalogue plus the browser's own. */
export type AppErrorCode = ErrorCode | ClientErrorCode;

/**
 * A failed API call: the server's `{"error": {code, message, details?}}` body, or a network
 * failure, as one typed error. `message` is the server's human text (English).
 */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    /** The server's code; an unknown code is kept as is and shown with the server's message. */
    readonly code: AppErrorCode | (string & {}),
    message: string,
    readonly details: readonly FieldIssue[] = [],
    readonly correlationId: string | null = null,
    /** Seconds, from a `Retry-After` header. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }

  /** The issue for one field of a validation failure, if the server named it. */
  detailFor(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseDetails(value: unknown): FieldIssue[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) =>
    isRecord(item) && typeof item.field === "string" && typeof item.message === "string" ? [{ field: item.field, message: item.message }] : [],
  );
}

/** Turns an error answer (any body) into an ApiError. */
export function errorFromResponse(status: number, body: unknown, headers: Headers): ApiError {
  const retryHeader = headers.get("retry-after");
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  const error = isRecord(body) ? body.error : undefined;
  if (isRecord(error) && typeof error.code === "string") {
    return new ApiError(
      status,
      error.code,
      typeof error.message === "string" ? error.message : error.code,
      parseDetails(error.details),
      typeof error.correlation_id === "string" ? error.correlation_id : null,
      retryAfter,
    );
  }
  return new ApiError(status, "bad_response", `The server answered ${status}.`, [], null, retryAfter);
}

/** Anything thrown by an API call, as an ApiError (network failures included). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, "network_error", err instanceof Error ? err.message : String(err));
}
