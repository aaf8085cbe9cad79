import { z } from "zod";

/** Request states of DESIGN.md §4. The names are part of the public contract. */
export const REQUEST_STATES = [
  "queued",
  "dispatched",
  "running",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
] as const;

export const RequestStateSchema = z.enum(REQUEST_STATES);
export type RequestState = z.infer<typeof RequestStateSchema>;

export const TERMINAL_STATES = ["completed", "failed", "cancelled", "timed_out"] as const satisfies readonly RequestState[];
export type TerminalState = (typeof TERMINAL_STATES)[number];

export const ACTIVE_STATES = ["dispatched", "running"] as const satisfies readonly RequestState[];
export type ActiveState = (typeof ACTIVE_STATES)[number];

export function isTerminalState(state: RequestState): state is TerminalState {
  return (TERMINAL_STATES as readonly RequestState[]).includes(state);
}
