import { randomBytes } from "node:crypto";
import type { RequestEventBody, RequestFeedEvent } from "@wsspaces/protocol";
import type { RequestRow } from "../requests/request-store.js";

export interface FeedLimits {
  /** Events kept per request; the oldest go first (a late reader then sees a `seq` gap). */
  maxEvents: number;
  /** Characters of streamed text kept for the final result. */
  maxTextChars: number;
}

/**
 * The event history of one request in this process: numbered events, the last ones kept for
 * late or resuming readers, and the text streamed by the current attempt. Nothing here touches
 * the database: stream chunks are relayed and remembered, not written.
 */
export class RequestFeed {
  /** Distinguishes this feed's ids from those of a feed for the same request in another run. */
  readonly feedId = randomBytes(4).toString("hex");
  private events: RequestFeedEvent[] = [];
  private counter = 0;
  private streamSeq = 0;
  private lastWorkerSeq = -1;
  private textParts: string[] = [];
  private textChars = 0;
  attempt: number;
  lastPosition: { position: number | null; eta_seconds: number | null } | undefined;
  terminal = false;
  subscribers = 0;

  /** The request as of its last state change (for its queue position and run time). */
  row: RequestRow;
  /** Bumped on every state change, so that a position computed for an older state is dropped. */
  version = 0;

  constructor(row: RequestRow, private readonly limits: FeedLimits) {
    this.row = row;
    this.attempt = row.attempt;
  }

  get requestId(): string {
    return this.row.id;
  }

  get spaceId(): string {
    return this.row.space_id;
  }

  append(body: RequestEventBody): RequestFeedEvent {
    const event = { ...body, id: `${this.feedId}:${++this.counter}`, request_id: this.requestId };
    this.events.push(event);
    if (this.events.length > this.limits.maxEvents) {
      // Dropped in batches so that a full feed does not shift the array on every event.
      this.events = this.events.slice(Math.ceil(this.limits.maxEvents / 10));
    }
    return event;
  }

  /** A new attempt starts the output afresh. */
  startAttempt(attempt: number): void {
    if (attempt === this.attempt) return;
    this.attempt = attempt;
    this.lastWorkerSeq = -1;
    this.textParts = [];
    this.textChars = 0;
  }

  /**
   * Appends a stream chunk unless it repeats one the worker already sent (its own `seq` did not
   * move forward). Returns undefined for a repeat.
   */
  appendStream(chunk: unknown, workerSeq: number | null): RequestFeedEvent | undefined {
    if (workerSeq !== null) {
      if (workerSeq <= this.lastWorkerSeq) return undefined;
      this.lastWorkerSeq = workerSeq;
    }
    if (typeof chunk === "string" && this.textChars < this.limits.maxTextChars) {
      const part = chunk.slice(0, this.limits.maxTextChars - this.textChars);
      this.textParts.push(part);
      this.textChars += part.length;
    }
    return this.append({ type: "stream", data: { seq: ++this.streamSeq, chunk, attempt: this.attempt } });
  }

  /** The text streamed by the current attempt, or null if it streamed none. */
  streamedText(): string | null {
    return this.textParts.length === 0 ? null : this.textParts.join("");
  }

  /**
   * The events after `lastEventId`. An id from another feed (an earlier run), or one older than
   * what is kept, gets everything still kept.
   */
  since(lastEventId: string | undefined): RequestFeedEvent[] {
    if (lastEventId === undefined) return [...this.events];
    const [feedId, n] = lastEventId.split(":");
    const after = Number(n);
    if (feedId !== this.feedId || !Number.isInteger(after)) return [...this.events];
    const first = this.events[0];
    const firstN = first ? Number(first.id.split(":")[1]) : this.counter + 1;
    return this.events.slice(Math.max(0, after - firstN + 1));
  }

  hasEvents(): boolean {
    return this.events.length > 0;
  }
}
