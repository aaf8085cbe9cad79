import type { ProgressMessage, StreamMessage } from "@wsspaces/protocol";

/** Where a job's live updates go; the worker sends them only while registered. */
export interface LiveUpdateSink {
  progress(message: ProgressMessage): void;
  stream(message: StreamMessage): void;
}

export interface LiveUpdatePacing {
  /** At most one progress message per this many ms; the latest value wins. */
  progressIntervalMs: number;
  /** Stream chunks are gathered for this long, then sent together. */
  streamIntervalMs: number;
  /** Non-text chunks sent per stream interval; the rest wait for the next one. */
  maxJsonChunksPerInterval: number;
}

type Chunk = StreamMessage["chunk"];

export const DEFAULT_PACING: LiveUpdatePacing = { progressIntervalMs: 100, streamIntervalMs: 25, maxJsonChunksPerInterval: 4 };

/** Text gathered beyond this is sent at once rather than at the end of the interval. */
const MAX_BUFFERED_TEXT = 16 * 1024;

/**
 * Paces one job's progress and stream updates so that a handler may call `ctx.progress()` and
 * `ctx.stream()` in a tight loop without flooding the socket (the server disconnects workers
 * that send too many events). Consecutive text chunks are merged into one message, in order;
 * other chunks keep their identity and are spread over intervals. Nothing is dropped except
 * superseded progress values.
 */
export class JobLiveUpdates {
  private pendingProgress: ProgressMessage | undefined;
  private lastProgressAt = Number.NEGATIVE_INFINITY;
  private progressTimer: NodeJS.Timeout | undefined;
  /** Chunks waiting to be sent, in order; adjacent strings are merged as they arrive. */
  private chunks: Chunk[] = [];
  private bufferedText = 0;
  private streamTimer: NodeJS.Timeout | undefined;
  private nextSeq = 0;
  private closed = false;

  constructor(
    private readonly requestId: string,
    private readonly sink: LiveUpdateSink,
    private readonly pacing: LiveUpdatePacing = DEFAULT_PACING,
  ) {}

  progress(update: ProgressMessage): void {
    if (this.closed) return;
    const now = performance.now();
    if (now - this.lastProgressAt >= this.pacing.progressIntervalMs && !this.progressTimer) {
      this.lastProgressAt = now;
      this.sink.progress(update);
      return;
    }
    // Keep a message the newer update lacks: "step 3/5" should survive a bare fraction.
    this.pendingProgress = { ...this.pendingProgress, ...update };
    this.progressTimer ??= unrefTimer(() => {
      this.progressTimer = undefined;
      const pending = this.pendingProgress;
      this.pendingProgress = undefined;
      if (pending && !this.closed) {
        this.lastProgressAt = performance.now();
        this.sink.progress(pending);
      }
    }, this.pacing.progressIntervalMs - (now - this.lastProgressAt));
  }

  stream(chunk: Chunk): void {
    if (this.closed) return;
    const last = this.chunks.length - 1;
    if (typeof chunk === "string" && typeof this.chunks[last] === "string") this.chunks[last] = this.chunks[last] + chunk;
    else this.chunks.push(chunk);
    if (typeof chunk === "string") this.bufferedText += chunk.length;
    if (this.bufferedText >= MAX_BUFFERED_TEXT) this.sendChunks(Number.POSITIVE_INFINITY);
    else this.streamTimer ??= unrefTimer(() => this.onStreamTimer(), this.pacing.streamIntervalMs);
  }

  /** Sends everything still waiting (the job is about to report its result). */
  flush(): void {
    if (this.closed) return;
    this.clearTimers();
    this.pendingProgress = undefined; // The result supersedes it.
    this.sendChunks(Number.POSITIVE_INFINITY);
    this.closed = true;
  }

  /** Drops everything still waiting (the job was cancelled). */
  discard(): void {
    this.clearTimers();
    this.chunks = [];
    this.pendingProgress = undefined;
    this.closed = true;
  }

  private onStreamTimer(): void {
    this.streamTimer = undefined;
    this.sendChunks(this.pacing.maxJsonChunksPerInterval);
    if (this.chunks.length > 0 && !this.closed) this.streamTimer = unrefTimer(() => this.onStreamTimer(), this.pacing.streamIntervalMs);
  }

  /** Sends waiting chunks in order, at most `maxJson` of them non-text. */
  private sendChunks(maxJson: number): void {
    let json = 0;
    let sent = 0;
    for (const chunk of this.chunks) {
      if (typeof chunk !== "string" && ++json > maxJson) break;
      // Numbered per message so that the server can drop a repeated one.
      this.sink.stream({ request_id: this.requestId, chunk, seq: this.nextSeq++ });
      sent++;
    }
    this.chunks = this.chunks.slice(sent);
    this.bufferedText = this.chunks.reduce<number>((n, c) => n + (typeof c === "string" ? c.length : 0), 0);
  }

  private clearTimers(): void {
    if (this.progressTimer) clearTimeout(this.progressTimer);
    if (this.streamTimer) clearTimeout(this.streamTimer);
    this.progressTimer = undefined;
    this.streamTimer = undefined;
  }
}

function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, Math.max(0, ms));
  timer.unref();
  return timer;
}
