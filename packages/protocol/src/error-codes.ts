/**
 * Every error code a client can see, over HTTP (`{error: {code, message}}`) or in a socket
 * acknowledgement (`{ok: false, error: {code, message}}`). One meaning per code.
 */
export const ERROR_CODES = {
  bad_request: "The request is malformed.",
  validation_failed: "Some fields are missing or invalid.",
  unauthenticated: "You need to sign in first.",
  invalid_credentials: "Wrong username or password.",
  csrf_failed: "Missing or wrong CSRF token; reload the page and try again.",
  forbidden: "You are not allowed to do that.",
  not_found: "Not found.",
  conflict: "That conflicts with something that already exists.",
  registration_closed: "Registration is closed on this site.",
  space_offline: "No worker is connected to this space right now.",
  space_paused: "This space is paused and takes no requests right now.",
  queue_full: "This space's queue is full; try again later.",
  rate_limited: "Too many requests; slow down and try again later.",
  payload_too_large: "The request body is too large.",
  unsupported_media_type: "That kind of file is not accepted here.",
  invalid_state: "The request is not in a state that allows this.",
  unavailable: "The service is temporarily unavailable; try again shortly.",
  internal: "Something went wrong on our side.",
  // Worker-facing codes (socket acknowledgements and disconnect reasons).
  invalid_token: "The worker token is missing, wrong or revoked.",
  invalid_event: "The event's data does not match the protocol.",
  not_registered: "Register for a space before sending this event.",
  not_assigned: "This worker does not hold that request.",
  space_not_found: "No space with that name.",
  space_not_allowed: "This token does not open that space.",
  too_many_events: "Too many events; the connection is being closed.",
  worker_stopping: "The worker is shutting down and hands the request back.",
  // Terminal failure codes recorded on requests.
  worker_lost: "The worker running this request disconnected too many times.",
  worker_error: "The worker reported an error.",
  timed_out: "The request did not finish before its deadline.",
  cancelled: "The request was cancelled.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; correlation_id?: string };
}
