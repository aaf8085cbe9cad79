import { z } from "zod";
import type { ErrorCode } from "./error-codes.js";

/*
 * The worker protocol of DESIGN.md §5, split by direction. Worker → server messages are
 * untrusted and parsed with these schemas at the edge; server → worker messages are typed.
 * Unknown keys are stripped, never rejected, so clients written for the seed keep working.
 */

const RequestId = z.string().min(1).max(64);
const SpaceName = z.string().trim().min(1).max(64);

// ---- worker → server --------------------------------------------------------------------

export const RegisterSchema = z
  .object({
    space_name: SpaceName.optional(),
    spaces: z.array(SpaceName).min(1).max(32).optional(),
    capacity: z.number().int().min(1).max(64).optional(),
    name: z.string().trim().min(1).max(100).optional(),
    version: z.string().trim().min(1).max(100).optional(),
    resume_id: z.string().min(1).max(100).optional(),
  })
  // With neither, a worker token's own space is meant (checked by the server, which knows the token).
  ;
export type RegisterMessage = z.infer<typeof RegisterSchema>;

const ErrorDetail = z.union([
  z.string().max(10_000),
  z.object({ code: z.string().max(100).optional(), message: z.string().max(10_000) }),
]);

/** A file name as a worker or uploader gives it; the server sanitises it further. */
const FileName = z.string().min(1).max(255);

/** Small output files travel inside the result as Socket.IO binary attachments. */
export const InlineOutputFileSchema = z.object({
  name: FileName,
  mime: z.string().max(255).optional(),
  data: z.instanceof(Uint8Array, { message: "binary data (a Buffer)" }),
});
export type InlineOutputFile = z.infer<typeof InlineOutputFileSchema>;

export const InferenceResultSchema = z.object({
  request_id: RequestId,
  status: z.enum(["completed", "failed"]),
  result: z.unknown().optional(),
  error: ErrorDetail.optional(),
  /** Output files sent inline; large ones are uploaded first with PUT (docs/files.md). */
  files: z.array(InlineOutputFileSchema).max(32).optional(),
});
export type InferenceResultMessage = z.infer<typeof InferenceResultSchema>;

export const AcceptSchema = z.object({ request_id: RequestId });
export type AcceptMessage = z.infer<typeof AcceptSchema>;

export const ProgressSchema = z.object({
  request_id: RequestId,
  progress: z.number().min(0).max(1).optional(),
  message: z.string().max(1000).optional(),
});
export type ProgressMessage = z.infer<typeof ProgressSchema>;

export const StreamSchema = z.object({
  request_id: RequestId,
  chunk: z.unknown().refine((c) => c !== undefined, { message: "chunk is required" }),
  seq: z.number().int().min(0).optional(),
});
export type StreamMessage = z.infer<typeof StreamSchema>;

// ---- server → worker --------------------------------------------------------------------

export type RegisterResponse =
  | {
      success: true;
      connection_id: string;
      space_id: string;
      spaces: { id: string; name: string }[];
      capacity: number;
      message: string;
      /** Output files up to this size may be sent inline with the result; larger ones by PUT. */
      max_inline_file_bytes?: number;
    }
  | { success: false; message: string; code: ErrorCode };

/** An uploaded input file, as the worker sees it. */
export interface RequestFile {
  id: string;
  /** The input it came in on: "audio", "video" or "file". */
  field: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  /** Absolute, signed, valid until the deadline; a plain GET (with Range) fetches it. */
  url: string;
}

export interface InferenceRequest {
  request_id: string;
  username: string;
  payload: { prompt?: string; [input: string]: unknown };
  space_id: string;
  space_name: string;
  attempt: number;
  /** ISO 8601 time after which the result is no longer accepted. */
  deadline: string;
  files?: RequestFile[];
}

export type CancelReason = "cancelled" | "timed_out" | "reassigned";

export interface CancelRequest {
  request_id: string;
  reason: CancelReason;
}

export type EventAck =
  | { ok: true; duplicate?: boolean }
  | { ok: false; error: { code: ErrorCode; message: string } };

// ---- typed event maps (socket.io's Server<ClientToServer, ServerToClient>) ------------------

type Ack<T> = (response: T) => void;

/** Inbound data is `unknown` on purpose: it is parsed with the schemas above. */
export interface WorkerToServerEvents {
  register: (data: unknown, ack?: Ack<RegisterResponse>) => void;
  inference_result: (data: unknown, ack?: Ack<EventAck>) => void;
  accept: (data: unknown, ack?: Ack<EventAck>) => void;
  progress: (data: unknown, ack?: Ack<EventAck>) => void;
  stream: (data: unknown, ack?: Ack<EventAck>) => void;
}

export interface ServerToWorkerEvents {
  register_response: (data: RegisterResponse) => void;
  inference_request: (data: InferenceRequest) => void;
  cancel_request: (data: CancelRequest) => void;
}
