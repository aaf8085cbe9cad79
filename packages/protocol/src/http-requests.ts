import { z } from "zod";
import type { RequestState } from "./states.js";
import { RequestStateSchema } from "./states.js";

export const MAX_PROMPT_LENGTH = 20_000;

export const SubmitBodySchema = z.object({
  prompt: z.string().max(MAX_PROMPT_LENGTH, `at most ${MAX_PROMPT_LENGTH} characters`).optional(),
  inputs: z.record(z.string().min(1).max(64), z.unknown()).optional(),
  /** POSTed the request's final view when it ends in one of `events` (default: all endings). */
  webhook: z
    .object({
      url: z.url({ protocol: /^https?$/, error: "an http(s) URL" }).max(2000),
      events: z.array(z.enum(["completed", "failed", "cancelled", "timed_out"])).min(1).max(4).optional(),
    })
    .optional(),
  /** Dispatched before lower priorities; above 0 only admins may set it. */
  priority: z.number().int().min(-10).max(10).optional(),
});
export type SubmitBody = z.infer<typeof SubmitBodySchema>;

/** `?wait=N`: hold the answer up to N seconds for a terminal state. */
export const WaitQuerySchema = z.object({
  wait: z.coerce.number().min(0).max(60).optional(),
});

export const ListRequestsQuerySchema = z.object({
  space: z.string().min(1).max(64).optional(),
  state: RequestStateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListRequestsQuery = z.infer<typeof ListRequestsQuerySchema>;

export interface WebhookDeliveryView {
  id: string;
  event: string;
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  outcome: "delivered" | "retrying" | "gave_up";
  duration_ms: number;
  attempted_at: string;
  next_attempt_at: string | null;
}

export interface RequestError {
  code: string;
  message: string;
}

export interface RequestView {
  id: string;
  space_id: string;
  state: RequestState;
  /** What was asked (only the owner and admins ever see a request). */
  prompt: string | null;
  /** 1-based place in the space's queue while queued, else null. */
  position: number | null;
  progress: number | null;
  progress_message: string | null;
  result: unknown;
  error: RequestError | null;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  deadline: string;
  /** Seconds until a result is expected (queued or running); null without history to go by. */
  eta_seconds: number | null;
  /** Who submitted it (in request listings). */
  username?: string;
  /** Uploaded inputs and the worker's output files (of the latest attempt). */
  files: FileView[];
}

/** A stored file of a request; `url` needs the caller's credentials (owner or admin). */
export interface FileView {
  id: string;
  kind: "input" | "output";
  /** For inputs, the form field ("audio", "video", "file"); for outputs, null. */
  field: string | null;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  /** `/api/v1/files/<id>`: Range requests supported. */
  url: string;
}

export interface SubmitResponse {
  request_id: string;
  state: RequestState;
  position: number | null;
}

/** Seed compatibility (`/websockets/*`): the shapes the original Flask site answered with. */
export const SeedSubmitBodySchema = z.object({
  prompt: z.string().max(MAX_PROMPT_LENGTH).optional().default(""),
});
export const SeedStatusQuerySchema = z.object({ request_id: z.string().min(1).max(64) });

export interface SeedStatusResponse {
  success: boolean;
  status?: RequestState;
  result?: unknown;
  error?: string | null;
  created_at?: string;
  updated_at?: string;
}
