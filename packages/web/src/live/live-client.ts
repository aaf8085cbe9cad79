import { io, type Socket } from "socket.io-client";
import type {
  LIVE_NAMESPACE,
  LiveAck,
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  RequestFeedEvent,
  SpaceStatusEvent,
} from "@wsspaces/protocol";

type LiveSocket = Socket<LiveServerToClientEvents, LiveClientToServerEvents>;

/** The browser push namespace (a literal here so the protocol's zod stays out of the bundle). */
const NAMESPACE: typeof LIVE_NAMESPACE = "/live";

export interface SpaceListener {
  status: (space: SpaceStatusEvent) => void;
  removed: () => void;
  /** The server confirmed the subscription (after every (re)connect): a moment to resync. */
  subscribed: () => void;
}

export interface RequestListener {
  event: (event: RequestFeedEvent) => void;
  /** The server refused to watch (e.g. `not_found`: not the caller's request). */
  refused: (error: { code: string; message: string }) => void;
}

interface Watch {
  listeners: Set<RequestListener>;
  /** Last event id seen, sent back on reconnect so the server resumes after it. */
  lastEventId: string | undefined;
}

/**
 * The one Socket.IO connection to `/live`. Components subscribe to spaces and watch requests
 * through it; the client keeps what they asked for and asks again after every reconnect (with
 * the last event id of each watched request), so a dropped connection loses nothing.
 */
class LiveClient {
  private socket: LiveSocket | null = null;
  private readonly spaces = new Map<string, Set<SpaceListener>>();
  private readonly watches = new Map<string, Watch>();
  private readonly connectionListeners = new Set<(connected: boolean) => void>();

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  subscribeSpace(spaceId: string, listener: SpaceListener): () => void {
    let listeners = this.spaces.get(spaceId);
    const first = listeners === undefined;
    if (!listeners) {
      listeners = new Set();
      this.spaces.set(spaceId, listeners);
    }
    listeners.add(listener);
    const socket = this.ensureSocket();
    if (first) {
      if (socket.connected) this.emitSubscribe([spaceId]);
    } else if (socket.connected) {
      // Already subscribed: the new listener gets the next push; let it resync now.
      queueMicrotask(() => listener.subscribed());
    }
    return () => {
      const set = this.spaces.get(spaceId);
      if (!set) return;
      set.delete(listener);
      if (set.size > 0) return;
      this.spaces.delete(spaceId);
      if (this.socket?.connected) this.socket.emit("unsubscribe_spaces", { space_ids: [spaceId] }, () => undefined);
    };
  }

  watchRequest(requestId: string, listener: RequestListener): () => void {
    let watch = this.watches.get(requestId);
    if (!watch) {
      watch = { listeners: new Set(), lastEventId: undefined };
      this.watches.set(requestId, watch);
    }
    watch.listeners.add(listener);
    const socket = this.ensureSocket();
    // A new listener has seen nothing yet: replay the whole retained feed (listeners drop
    // what they already have by event order and stream sequence numbers).
    if (socket.connected) this.emitWatch(requestId, undefined);
    return () => {
      const current = this.watches.get(requestId);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      this.watches.delete(requestId);
      if (this.socket?.connected) this.socket.emit("unwatch_request", { request_id: requestId }, () => undefined);
    };
  }

  /** After sign-in or sign-out: the server authenticates the socket when it connects. */
  reconnect(): void {
    if (!this.socket) return;
    this.socket.disconnect();
    this.socket.connect();
  }

  private ensureSocket(): LiveSocket {
    if (this.socket) return this.socket;
    const socket: LiveSocket = io(NAMESPACE, { withCredentials: true });
    socket.on("connect", () => {
      const spaceIds = [...this.spaces.keys()];
      for (let i = 0; i < spaceIds.length; i += 200) this.emitSubscribe(spaceIds.slice(i, i + 200));
      for (const [requestId, watch] of this.watches) this.emitWatch(requestId, watch.lastEventId);
      this.notifyConnection(true);
    });
    socket.on("disconnect", (reason) => {
      // A reconnect asked for by the page (sign-in, sign-out) is not worth a note.
      if (reason !== "io client disconnect") this.notifyConnection(false);
    });
    socket.on("connect_error", () => this.notifyConnection(false));
    socket.on("space_status", (status) => {
      for (const listener of this.spaces.get(status.id) ?? []) listener.status(status);
    });
    socket.on("space_removed", ({ space_id }) => {
      for (const listener of this.spaces.get(space_id) ?? []) listener.removed();
    });
    socket.on("request_event", (event) => {
      const watch = this.watches.get(event.request_id);
      if (!watch) return;
      watch.lastEventId = event.id;
      for (const listener of watch.listeners) listener.event(event);
    });
    this.socket = socket;
    return socket;
  }

  private emitSubscribe(spaceIds: string[]): void {
    if (spaceIds.length === 0) return;
    this.socket?.emit("subscribe_spaces", { space_ids: spaceIds }, (ack: LiveAck) => {
      if (!ack.ok) return;
      for (const spaceId of spaceIds) for (const listener of this.spaces.get(spaceId) ?? []) listener.subscribed();
    });
  }

  private emitWatch(requestId: string, lastEventId: string | undefined): void {
    this.socket?.emit("watch_request", { request_id: requestId, ...(lastEventId ? { last_event_id: lastEventId } : {}) }, (ack: LiveAck) => {
      if (ack.ok) return;
      for (const listener of this.watches.get(requestId)?.listeners ?? []) listener.refused(ack.error);
    });
  }

  private notifyConnection(connected: boolean): void {
    for (const listener of this.connectionListeners) listener(connected);
  }
}

export const live = new LiveClient();
