/** An error answer from the API: `status` is the HTTP status, `code` the API's error code. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The request did not reach a terminal state within the time the caller allowed. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}
