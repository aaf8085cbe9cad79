import { z } from "zod";
import type { RequestView } from "./http-requests.js";
import type { SpaceDetail } from "./http-spaces.js";
import type { RequestState } from "./states.js";

/**
 * What happens to one request, as the browser (`/live`) and API clients (Server-Sent Events)
 * see it. Both channels carry the same events with the same ids, so a client can resume on
 * either with the last id it saw.
 */
export const REQUEST_EVENT_TYPES = ["state", "position", "progress", "stream", "done"] as const;
export type RequestEventType = (typeof REQUEST_EVENT_TYPES)[number];

export interface StateEventData {
  state: RequestState;
  /** 1 for the first dispatch; grows when a lost worker's request is dispatched again. */
  attempt: number;
}

export interface PositionEventData {
  /** 1-based place in the space's queue while queued, else null. */
  position: number | null;
  /** Seconds until a result is expected; null until the space has a history to go by. */
  eta_seconds: number | null;
}

export interface ProgressEventData {
  /** 0..1, or null when the worker sent only a message. */
  progress: number | null;
  message: string | null;
}

export interface StreamEventData {
  /** 1-based, contiguous across the whole request: a gap means something was lost. */
  seq: number;
  /** A text delta (string) or any JSON value the worker streamed. */
  chunk: unknown;
  /** The dispatch attempt that produced it; a new attempt starts its output afresh. */
  attempt: number;
}

/** Last event of a request: its final view (state, result or error). */
export type DoneEventData = RequestView;

export type RequestEventBody =
  | { type: "state"; data: StateEventData }
  | { type: "position"; data: PositionEventData }
  | { type: "progress"; data: ProgressEventData }
  | { type: "stream"; data: StreamEventData }
  | { type: "done"; data: DoneEventData };

/**
 * One event of a request's feed. `id` is `<feed>:<n>`: `n` counts up from 1 within a feed, and
 * `feed` changes when the server starts a new feed for the request (after a restart), so an
 * id from an older feed simply means "send me everything".
 */
export type RequestFeedEvent = RequestEventBody & { id: string; request_id: string };

// ---- Socket.IO namespace `/live` (browsers: session cookie; scripts: `auth.token` API key) ----

export const LIVE_NAMESPACE = "/live";

export const SubscribeSpacesSchema = z.object({
  space_ids: z.array(z.string().min(1).max(64)).min(1).max(200),
});
export type SubscribeSpaces = z.infer<typeof SubscribeSpacesSchema>;

export const WatchRequestSchema = z.object({
  request_id: z.string().min(1).max(64),
  /** Resume after this event id; without it the whole retained feed is replayed. */
  last_event_id: z.string().max(100).optional(),
});
export type WatchRequest = z.infer<typeof WatchRequestSchema>;

export const UnwatchRequestSchema = z.object({ request_id: z.string().min(1).max(64) });
export type UnwatchRequest = z.infer<typeof UnwatchRequestSchema>;

export type LiveAck = { ok: true } | { ok: false; error: { code: string; message: string } };

/**
 * A space's live status: the same shape as `GET /api/v1/spaces/:id`, pushed (at most ~5 times a
 * second) whenever workers or the queue change.
 */
export type SpaceStatusEvent = SpaceDetail;

/** Browser → server. Every event takes an ack callback answering {@link LiveAck}. */
export interface LiveClientToServerEvents {
  subscribe_spaces: (msg: SubscribeSpaces, ack: (res: LiveAck) => void) => void;
  unsubscribe_spaces: (msg: SubscribeSpaces, ack: (res: LiveAck) => void) => void;
  watch_request: (msg: WatchRequest, ack: (res: LiveAck) => void) => void;
  unwatch_request: (msg: UnwatchRequest, ack: (res: LiveAck) => void) => void;
}

/** Server → browser. */
export interface LiveServerToClientEvents {
  space_status: (status: SpaceStatusEvent) => void;
  /** The space was deleted (or is no longer visible): drop it. */
  space_removed: (msg: { space_id: string }) => void;
  request_event: (event: RequestFeedEvent) => void;
  /** A space was created or deleted: a gallery re-reads `GET /api/v1/spaces`. */
  spaces_changed: () => void;
}
