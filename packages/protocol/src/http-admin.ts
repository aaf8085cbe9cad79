import { z } from "zod";
import type { UserView } from "./http-auth.js";
import type { WorkerPresenceView } from "./http-spaces.js";
import { RequestStateSchema } from "./states.js";

/** A connected (or resuming) worker as admins see it, across all spaces. */
export interface AdminWorkerView extends WorkerPresenceView {
  spaces: { id: string; name: string }[];
  /** The worker's address as the server sees it. */
  address: string | null;
  /** Connection lost; the worker has the resume grace period to come back. */
  suspended: boolean;
  /** Shutting down: finishes what it holds, gets nothing new. */
  draining: boolean;
}

export interface AdminUserView extends UserView {
  disabled: boolean;
}

export const PatchUserBodySchema = z
  .object({
    role: z.enum(["admin", "user"]).optional(),
    /** A disabled user cannot sign in; their sessions and API keys stop working at once. */
    disabled: z.boolean().optional(),
  })
  .refine((p) => p.role !== undefined || p.disabled !== undefined, { message: "nothing to change" });
export type PatchUserBody = z.infer<typeof PatchUserBodySchema>;

export const AdminRequestsQuerySchema = z.object({
  space: z.string().min(1).max(64).optional(),
  state: RequestStateSchema.optional(),
  /** A username (exact, case-insensitive). */
  user: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AdminRequestsQuery = z.infer<typeof AdminRequestsQuerySchema>;

export const OverviewQuerySchema = z.object({
  /** How far back to look, in minutes (default the last hour). */
  minutes: z.coerce.number().int().min(5).max(1440).default(60),
});

/** One minute of the site's traffic. */
export interface OverviewMinute {
  /** Start of the minute (ISO time). */
  minute: string;
  submitted: number;
  completed: number;
  failed: number;
  timed_out: number;
  cancelled: number;
}

export interface OverviewSpace {
  space_id: string;
  name: string;
  submitted: number;
  completed: number;
  failed: number;
  timed_out: number;
  cancelled: number;
  /** Seconds; null without any dispatched (resp. finished) request in the window. */
  queue_wait_p50: number | null;
  queue_wait_p95: number | null;
  run_p50: number | null;
  run_p95: number | null;
  queue_length: number;
  workers: number;
}

/** `GET /api/v1/admin/overview`: what the admin overview page charts. */
export interface AdminOverview {
  minutes: number;
  generated_at: string;
  per_minute: OverviewMinute[];
  spaces: OverviewSpace[];
  workers_online: number;
  totals: { submitted: number; completed: number; failed: number; timed_out: number; cancelled: number };
}
