import { fastifyCookie } from "@fastify/cookie";
import type { Logger } from "pino";
import type { Namespace, Socket } from "socket.io";
import type { z } from "zod";
import type { LiveAck, LiveClientToServerEvents, LiveServerToClientEvents } from "@wsspaces/protocol";
import { ERROR_CODES, SubscribeSpacesSchema, UnwatchRequestSchema, WatchRequestSchema } from "@wsspaces/protocol";
import { SESSION_COOKIE } from "../auth/auth-hook.js";
import type { AuthService } from "../auth/auth-service.js";
import type { Principal } from "../auth/principal.js";
import { isSameOrigin } from "../auth/same-origin.js";
import { AppError } from "../http/app-error.js";
import type { RequestEvents } from "../requests/request-events.js";
import type { RequestService } from "../requests/request-service.js";
import type { SpaceService } from "../spaces/space-service.js";
import type { RequestFeed } from "./request-feed.js";
import type { RequestFeeds } from "./request-feeds.js";
import { SpaceStatusBroadcaster } from "./space-status-broadcaster.js";

interface LiveSocketData {
  /**
   * The caller, resolved afresh from the handshake's credential each time it matters: an API
   * key revoked, a session ended or a user disabled or demoted since the handshake counts at
   * once, not only at the next connection.
   */
  caller: () => Promise<Principal | null>;
  /** Requests this socket watches, each counted once as a reader of its feed. */
  watching: Map<string, RequestFeed>;
}

export type LiveNamespace = Namespace<LiveClientToServerEvents, LiveServerToClientEvents, Record<string, never>, LiveSocketData>;
type LiveSocket = Socket<LiveClientToServerEvents, LiveServerToClientEvents, Record<string, never>, LiveSocketData>;

export interface LiveGatewayDeps {
  auth: AuthService;
  spaces: SpaceService;
  requests: RequestService;
  feeds: RequestFeeds;
  events: RequestEvents;
  log: Logger;
  /** A space's status goes out at most once per this many ms. */
  statusIntervalMs: number;
}

export interface LiveStats {
  sockets: number;
  rejectedEvents: number;
}

const MAX_WATCHED_PER_SOCKET = 50;

export const spaceRoom = (spaceId: string) => `space:${spaceId}`;
export const requestRoom = (requestId: string) => `request:${requestId}`;

/**
 * The browser push channel (`/live`, DESIGN.md §6): space status for anyone who may see the
 * space, and the events of a user's own requests. Signed in by the session cookie (same-origin
 * pages only) or an API key in `auth.token`; anonymous sockets may follow spaces only.
 */
export function attachLiveGateway(nsp: LiveNamespace, deps: LiveGatewayDeps): { stats: LiveStats; close(): void } {
  const stats: LiveStats = { sockets: 0, rejectedEvents: 0 };
  // Every node serves its own sockets from its own view (multi-node: events reach every node),
  // so emits are `local`: through the cluster adapter each client would get one per node.
  const broadcaster = new SpaceStatusBroadcaster({
    intervalMs: deps.statusIntervalMs,
    hasAudience: (spaceId) => (nsp.adapter.rooms.get(spaceRoom(spaceId))?.size ?? 0) > 0,
    status: async (spaceId) => {
      const row = await deps.spaces.find(spaceId);
      return row ? deps.spaces.detail(row, null) : undefined;
    },
    send: (spaceId, status) => {
      if (status) nsp.local.to(spaceRoom(spaceId)).emit("space_status", status);
      else nsp.local.to(spaceRoom(spaceId)).emit("space_removed", { space_id: spaceId });
    },
    log: deps.log,
  });
  deps.events.on("space", (spaceId) => broadcaster.changed(spaceId));
  deps.events.on("catalogue", () => nsp.local.emit("spaces_changed"));
  deps.feeds.onEvent((event) => nsp.local.to(requestRoom(event.request_id)).emit("request_event", event));

  nsp.use((socket, next) => {
    socket.data.watching = new Map();
    authenticate(socket, deps.auth).then(
      (caller) => {
        socket.data.caller = caller;
        next();
      },
      (err: unknown) => {
        const known = err instanceof AppError ? err : new AppError("unavailable");
        if (!(err instanceof AppError)) deps.log.error({ err }, "live socket authentication failed");
        next(Object.assign(new Error(known.message), { data: { code: known.code, message: known.message } }));
      },
    );
  });

  nsp.on("connection", (socket) => {
    stats.sockets++;
    socket.on("subscribe_spaces", (data, ack) => handle(socket, SubscribeSpacesSchema, data, ack, (msg) => subscribeSpaces(socket, msg.space_ids)));
    socket.on("unsubscribe_spaces", (data, ack) =>
      handle(socket, SubscribeSpacesSchema, data, ack, async (msg) => {
        for (const id of msg.space_ids) await socket.leave(spaceRoom(id));
      }),
    );
    socket.on("watch_request", (data, ack) => handle(socket, WatchRequestSchema, data, ack, (msg) => watch(socket, msg.request_id, msg.last_event_id)));
    socket.on("unwatch_request", (data, ack) => handle(socket, UnwatchRequestSchema, data, ack, async (msg) => unwatch(socket, msg.request_id)));
    socket.on("disconnect", () => {
      stats.sockets--;
      for (const feed of socket.data.watching.values()) deps.feeds.release(feed);
      socket.data.watching.clear();
    });
  });

  async function subscribeSpaces(socket: LiveSocket, spaceIds: string[]): Promise<void> {
    for (const spaceId of new Set(spaceIds)) {
      const row = await deps.spaces.find(spaceId);
      if (!row) throw new AppError("not_found", `No such space: ${spaceId}.`);
      await socket.join(spaceRoom(spaceId));
      // The current state now; changes follow through the room.
      socket.emit("space_status", await deps.spaces.detail(row, null));
    }
  }

  async function watch(socket: LiveSocket, requestId: string, lastEventId: string | undefined): Promise<void> {
    const principal = await socket.data.caller();
    if (!principal) throw new AppError("unauthenticated", "Sign in to follow a request.");
    const row = await deps.requests.getVisible(principal, requestId);
    if (!socket.data.watching.has(row.id) && socket.data.watching.size >= MAX_WATCHED_PER_SOCKET) {
      throw new AppError("rate_limited", `At most ${MAX_WATCHED_PER_SOCKET} requests can be followed on one connection.`);
    }
    const feed = await deps.feeds.open(row.id);
    if (!feed) throw new AppError("not_found", "No such request.");
    // Replayed and joined in one synchronous step: no event can fall between the two.
    for (const event of feed.since(lastEventId)) socket.emit("request_event", event);
    await socket.join(requestRoom(row.id));
    if (!socket.data.watching.has(row.id)) {
      socket.data.watching.set(row.id, feed);
      deps.feeds.retain(feed);
    }
  }

  async function unwatch(socket: LiveSocket, requestId: string): Promise<void> {
    await socket.leave(requestRoom(requestId));
    const feed = socket.data.watching.get(requestId);
    if (feed) {
      socket.data.watching.delete(requestId);
      deps.feeds.release(feed);
    }
  }

  function handle<S extends z.ZodType>(socket: LiveSocket, schema: S, data: unknown, ack: unknown, run: (msg: z.infer<S>) => Promise<void>): void {
    const reply = (res: LiveAck) => {
      if (typeof ack === "function") (ack as (r: LiveAck) => void)(res);
    };
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      stats.rejectedEvents++;
      return reply({ ok: false, error: { code: "invalid_event", message: ERROR_CODES.invalid_event } });
    }
    run(parsed.data).then(
      () => reply({ ok: true }),
      (err: unknown) => {
        if (err instanceof AppError) return reply({ ok: false, error: { code: err.code, message: err.message } });
        deps.log.error({ err, socketId: socket.id }, "live event failed");
        reply({ ok: false, error: { code: "internal", message: ERROR_CODES.internal } });
      },
    );
  }

  return {
    stats,
    close: () => broadcaster.close(),
  };
}

/** Checks the handshake's credential and returns how to resolve the caller from it later. */
async function authenticate(socket: LiveSocket, auth: AuthService): Promise<() => Promise<Principal | null>> {
  const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
  if (typeof token === "string" && token !== "") {
    if (!(await auth.fromApiKey(token))) throw new AppError("unauthenticated", "Invalid or revoked API key.");
    return () => auth.fromApiKey(token);
  }
  const cookieHeader = socket.handshake.headers.cookie;
  const session = cookieHeader ? fastifyCookie.parse(cookieHeader)[SESSION_COOKIE] : undefined;
  if (!session) return () => Promise.resolve(null);
  // Cookies ride along on cross-site WebSocket connections too; only our own pages may use them.
  if (!isSameOrigin(socket.handshake.headers.origin, socket.handshake.headers.host)) {
    throw new AppError("csrf_failed", "Cross-origin connection refused.");
  }
  return () => auth.fromSessionCookie(session);
}
