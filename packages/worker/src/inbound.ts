import type { CancelRequest, InferenceRequest } from "@wsspaces/protocol";

/*
 * The server's messages are typed, but they still arrive over a network from whatever is at
 * the other end (possibly a seed-era server). These checks cover only what the worker itself
 * relies on, so one odd message is logged and skipped instead of crashing the process.
 */

/** Seed-era servers send no deadline; their pages gave up after two minutes. */
const SEED_TIMEOUT_MS = 120_000;

function hasRequestId(value: unknown): value is { request_id: string } {
  if (typeof value !== "object" || value === null) return false;
  const id = (value as { request_id?: unknown }).request_id;
  return typeof id === "string" && id.length > 0;
}

/** Fills in what seed-era servers leave out (attempt, deadline, space fields). */
export function normaliseInferenceRequest(value: unknown): InferenceRequest | undefined {
  if (!hasRequestId(value)) return undefined;
  const request = value as Partial<InferenceRequest> & { request_id: string };
  const payload =
    typeof request.payload === "object" && request.payload !== null ? request.payload : {};
  return {
    ...request,
    username: request.username ?? "",
    payload,
    space_id: request.space_id ?? "",
    space_name: request.space_name ?? "",
    attempt: typeof request.attempt === "number" ? request.attempt : 1,
    deadline:
      typeof request.deadline === "string"
        ? request.deadline
        : new Date(Date.now() + SEED_TIMEOUT_MS).toISOString(),
  };
}

export function isCancelRequest(value: unknown): value is CancelRequest {
  return hasRequestId(value);
}
