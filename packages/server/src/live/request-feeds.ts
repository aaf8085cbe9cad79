import type { Logger } from "pino";
import type { FileView, PositionEventData, RequestFeedEvent } from "@wsspaces/protocol";
import { isTerminalState } from "@wsspaces/protocol";
import type { RequestEvent, RequestEvents } from "../requests/request-events.js";
import type { RequestRow, RequestStore } from "../requests/request-store.js";
import { hasFiles, requestView } from "../requests/request-view.js";
import type { EtaEstimator } from "./eta-estimator.js";
import { RequestFeed, type FeedLimits } from "./request-feed.js";
import type { RunHistory } from "./run-history.js";

export interface RequestFeedsDeps {
  events: RequestEvents;
  store: RequestStore;
  eta: EtaEstimator;
  history: RunHistory;
  log: Logger;
  limits: FeedLimits;
  /** How long a finished request's feed stays for late readers once nobody is reading it. */
  retainMs: number;
  /** The files of a request that has some (see hasFiles). */
  filesOf: (row: RequestRow) => Promise<FileView[]>;
  /** Queue changes in a space within this window give one position update per reader. */
  positionDebounceMs: number;
}

type Listener = (event: RequestFeedEvent) => void;

/**
 * The live feeds of requests in this process. A feed exists while a request is being worked on
 * (from dispatch) or read (SSE, `/live`), and a little longer once it has finished; a queued
 * request nobody watches costs nothing. Readers get what they missed from the feed, then every
 * new event, in order.
 */
export class RequestFeeds {
  private readonly feeds = new Map<string, RequestFeed>();
  private readonly bySpace = new Map<string, Set<RequestFeed>>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly broadcast = new Set<Listener>();
  private readonly dropTimers = new Map<string, NodeJS.Timeout>();
  private readonly positionTimers = new Map<string, NodeJS.Timeout>();
  private readonly opening = new Map<string, Promise<RequestFeed | undefined>>();
  private closed = false;

  constructor(private readonly deps: RequestFeedsDeps) {
    deps.events.on("request", (event) => this.onRequestEvent(event));
    deps.events.on("space", (spaceId) => this.schedulePositions(spaceId));
  }

  /** Every event of every feed (the `/live` gateway fans them out to rooms). */
  onEvent(listener: Listener): void {
    this.broadcast.add(listener);
  }

  /** The feed of a request, created from the database if this process has none. */
  async open(requestId: string): Promise<RequestFeed | undefined> {
    const existing = this.feeds.get(requestId);
    if (existing) return existing;
    let pending = this.opening.get(requestId);
    if (!pending) {
      pending = this.create(requestId).finally(() => this.opening.delete(requestId));
      this.opening.set(requestId, pending);
    }
    return pending;
  }

  /** Calls `listener` with each new event of the feed until the returned function is called. */
  subscribe(feed: RequestFeed, listener: Listener): () => void {
    let set = this.listeners.get(feed.requestId);
    if (!set) this.listeners.set(feed.requestId, (set = new Set()));
    set.add(listener);
    this.retain(feed);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(feed.requestId);
      this.release(feed);
    };
  }

  /** Counts a reader that is not a listener here (a `/live` room member). */
  retain(feed: RequestFeed): void {
    feed.subscribers++;
    const timer = this.dropTimers.get(feed.requestId);
    if (timer) {
      clearTimeout(timer);
      this.dropTimers.delete(feed.requestId);
    }
    if (feed.row.state === "queued") this.schedulePositions(feed.spaceId);
  }

  release(feed: RequestFeed): void {
    feed.subscribers = Math.max(0, feed.subscribers - 1);
    if (feed.subscribers === 0 && feed.terminal) this.scheduleDrop(feed);
  }

  /** The text the current attempt has streamed so far, for a result that carries none. */
  streamedText(requestId: string): string | null {
    return this.feeds.get(requestId)?.streamedText() ?? null;
  }

  get size(): number {
    return this.feeds.size;
  }

  close(): void {
    this.closed = true;
    for (const timer of [...this.dropTimers.values(), ...this.positionTimers.values()]) clearTimeout(timer);
    this.dropTimers.clear();
    this.positionTimers.clear();
  }

  // ---- feeding -----------------------------------------------------------------------------

  private onRequestEvent(event: RequestEvent): void {
    switch (event.type) {
      case "state": {
        // Workers that never send `accept` or progress have no start time: dispatch is close.
        const begun = event.row.started_at ?? event.row.dispatched_at;
        if (event.state === "completed" && begun !== null && event.row.finished_at !== null) {
          this.deps.history.record(event.spaceId, event.row.finished_at - begun);
        }
        let feed = this.feeds.get(event.requestId);
        // Work in progress always has a feed, so that its stream can be replayed to late readers.
        if (!feed && (event.state === "dispatched" || event.state === "running")) feed = this.add(event.row);
        if (feed) this.applyState(feed, event.row);
        return;
      }
      case "progress": {
        const feed = this.feeds.get(event.requestId);
        if (feed) this.emit(feed, feed.append({ type: "progress", data: { progress: event.progress, message: event.message } }));
        return;
      }
      case "stream": {
        const feed = this.feeds.get(event.requestId);
        const appended = feed?.appendStream(event.chunk, event.seq);
        if (feed && appended) this.emit(feed, appended);
        return;
      }
    }
  }

  private applyState(feed: RequestFeed, row: RequestRow): void {
    if (feed.terminal) return;
    feed.row = row;
    feed.version++;
    if (row.state === "dispatched") feed.startAttempt(row.attempt);
    this.emit(feed, feed.append({ type: "state", data: { state: row.state, attempt: row.attempt } }));
    if (isTerminalState(row.state)) {
      // Terminal now, so nothing else is appended while the files (if any) are looked up.
      feed.terminal = true;
      const end = (files: FileView[]) => {
        this.emit(feed, feed.append({ type: "done", data: requestView(row, null, null, files) }));
        this.bySpace.get(feed.spaceId)?.delete(feed);
        if (feed.subscribers === 0) this.scheduleDrop(feed);
      };
      if (!hasFiles(row)) return end([]);
      this.deps.filesOf(row).then(end, (err: unknown) => {
        this.deps.log.error({ err, requestId: row.id }, "listing a finished request's files failed");
        end([]);
      });
      return;
    }
    void this.updatePosition(feed);
  }

  private async create(requestId: string): Promise<RequestFeed | undefined> {
    const row = await this.deps.store.byId(requestId);
    if (!row) return undefined;
    // An event may have created the feed while the row was being read; that one is newer.
    const raced = this.feeds.get(requestId);
    if (raced) return raced;
    const feed = this.add(row);
    this.applyState(feed, row);
    if (feed.terminal && feed.subscribers === 0) this.scheduleDrop(feed);
    return feed;
  }

  private add(row: RequestRow): RequestFeed {
    const feed = new RequestFeed(row, this.deps.limits);
    this.feeds.set(row.id, feed);
    let set = this.bySpace.get(row.space_id);
    if (!set) this.bySpace.set(row.space_id, (set = new Set()));
    set.add(feed);
    return feed;
  }

  private emit(feed: RequestFeed, event: RequestFeedEvent): void {
    for (const listener of this.broadcast) listener(event);
    const set = this.listeners.get(feed.requestId);
    if (set) for (const listener of [...set]) listener(event);
  }

  // ---- positions and ETAs ------------------------------------------------------------------

  /** Queue changes come in bursts; readers get one position update per burst. */
  private schedulePositions(spaceId: string): void {
    if (this.closed || this.positionTimers.has(spaceId) || !this.bySpace.has(spaceId)) return;
    const timer = setTimeout(() => {
      this.positionTimers.delete(spaceId);
      for (const feed of this.bySpace.get(spaceId) ?? []) {
        if (feed.subscribers > 0) void this.updatePosition(feed);
      }
    }, this.deps.positionDebounceMs);
    timer.unref();
    this.positionTimers.set(spaceId, timer);
  }

  private async updatePosition(feed: RequestFeed): Promise<void> {
    const version = feed.version;
    const row = feed.row;
    let data: PositionEventData;
    try {
      const position = row.state === "queued" ? await this.deps.store.positionOf(row) : null;
      data = { position, eta_seconds: await this.deps.eta.etaSeconds(row, position) };
    } catch (err) {
      this.deps.log.warn({ err, requestId: row.id }, "could not compute a queue position");
      return;
    }
    // The request moved on while this was computed: a newer update is (or will be) under way.
    if (feed.version !== version || feed.terminal) return;
    const last = feed.lastPosition;
    if (last && last.position === data.position && last.eta_seconds === data.eta_seconds) return;
    feed.lastPosition = data;
    this.emit(feed, feed.append({ type: "position", data }));
  }

  private scheduleDrop(feed: RequestFeed): void {
    if (this.closed || this.dropTimers.has(feed.requestId)) return;
    const timer = setTimeout(() => {
      this.dropTimers.delete(feed.requestId);
      if (feed.subscribers > 0) return;
      this.feeds.delete(feed.requestId);
      this.bySpace.get(feed.spaceId)?.delete(feed);
      if (this.bySpace.get(feed.spaceId)?.size === 0) this.bySpace.delete(feed.spaceId);
    }, this.deps.retainMs);
    timer.unref();
    this.dropTimers.set(feed.requestId, timer);
  }
}
