import { z } from "zod";
import type { RequestState } from "./states.js";

export const INPUT_KINDS = ["prompt", "audio", "video", "file"] as const;
export const InputKindSchema = z.enum(INPUT_KINDS);
export type InputKind = z.infer<typeof InputKindSchema>;

export const SpaceName = z
  .string()
  .trim()
  .min(1, "required")
  .max(64, "at most 64 characters")
  .regex(/^[^\p{Cc}/\\]+$/u, "no control characters or slashes");

/** Upper bound an admin may set for one file or one submission's files (16 GiB). */
export const MAX_FILE_MB = 16_384;

/**
 * What the `file` input accepts: a MIME type ("application/pdf"), a family ("image/*") or an
 * extension ("pdf", ".csv"). Matched against the type sniffed from the content, never the name.
 */
const FileTypeRule = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\.?[a-z0-9]{1,10}|[a-z]+\/([a-z0-9.+-]+|\*))$/, "a MIME type (image/png, image/*) or an extension (pdf)")
  .transform((rule) => rule.replace(/^\./, ""));

const SpaceFields = {
  name: SpaceName,
  description: z.string().max(2000),
  inputs: z.array(InputKindSchema).max(4).transform((kinds) => [...new Set(kinds)]),
  timeout_seconds: z.number().int().min(1).max(86_400),
  max_queue: z.number().int().min(1).max(100_000),
  queue_offline: z.boolean(),
  open_workers: z.boolean(),
  pause: z.enum(["off", "queue", "reject"]),
  user_in_flight_limit: z.number().int().min(0).max(10_000),
  max_file_mb: z.number().int().min(1).max(MAX_FILE_MB),
  max_upload_mb: z.number().int().min(1).max(MAX_FILE_MB),
  file_types: z.array(FileTypeRule).max(50),
};

export const CreateSpaceBodySchema = z.object({
  name: SpaceFields.name,
  description: SpaceFields.description.default(""),
  inputs: SpaceFields.inputs.default(["prompt"]),
  timeout_seconds: SpaceFields.timeout_seconds.default(120),
  max_queue: SpaceFields.max_queue.default(100),
  queue_offline: SpaceFields.queue_offline.default(false),
  open_workers: SpaceFields.open_workers.default(false),
  pause: SpaceFields.pause.default("off"),
  user_in_flight_limit: SpaceFields.user_in_flight_limit.default(0),
  max_file_mb: SpaceFields.max_file_mb.default(100),
  max_upload_mb: SpaceFields.max_upload_mb.default(200),
  file_types: SpaceFields.file_types.default([]),
});
export type CreateSpaceBody = z.infer<typeof CreateSpaceBodySchema>;
export type CreateSpaceInput = z.input<typeof CreateSpaceBodySchema>;

export const PatchSpaceBodySchema = z
  .object(SpaceFields)
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: "nothing to change" });
export type PatchSpaceBody = z.infer<typeof PatchSpaceBodySchema>;

export const CreateWorkerTokenBodySchema = z.object({ name: z.string().trim().min(1).max(100).optional() });
export type CreateWorkerTokenBody = z.infer<typeof CreateWorkerTokenBodySchema>;

export interface SpaceSummary {
  id: string;
  name: string;
  description: string;
  inputs: InputKind[];
  timeout_seconds: number;
  max_queue: number;
  queue_offline: boolean;
  open_workers: boolean;
  /** "off"; "queue": takes requests but dispatches none; "reject": takes none. */
  pause: "off" | "queue" | "reject";
  /** Requests one user may have running in this space at once; 0 = no cap. */
  user_in_flight_limit: number;
  /** Largest single uploaded file, in MiB. */
  max_file_mb: number;
  /** Largest total of one submission's files, in MiB. */
  max_upload_mb: number;
  /** What the `file` input accepts (MIME types, families, extensions); empty: any kind. */
  file_types: string[];
  created_at: string;
  connected: boolean;
  workers: number;
  queue_length: number;
}

export interface QueueEntryView {
  position: number;
  /** Masked ("al***") unless it is the caller's own request or the caller is an admin. */
  user: string;
  state: RequestState;
  /** Present on the caller's own entries. */
  request_id?: string;
}

export interface WorkerPresenceView {
  /** Admins only (it is the worker's resume handle); null for others. */
  connection_id: string | null;
  name: string | null;
  version: string | null;
  capacity: number;
  in_flight: number;
  connected_at: string;
  /** Last sign of life (an event or a heartbeat answer). */
  last_seen_at: string | null;
}

export interface SpaceDetail extends SpaceSummary {
  queue: QueueEntryView[];
  worker_list: WorkerPresenceView[];
}

export interface WorkerTokenView {
  id: string;
  space_id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** Returned once, at creation: the token itself is never shown again. */
export interface CreatedWorkerToken extends WorkerTokenView {
  token: string;
}
