import type { FastifyInstance } from "fastify";
import type { RequestFeedEvent } from "@wsspaces/protocol";
import { z } from "zod";
import { requireUser } from "../auth/principal.js";
import { AppError } from "../http/app-error.js";
import { parseInput } from "../http/validate.js";
import type { RequestService } from "../requests/request-service.js";
import type { RequestFeeds } from "./request-feeds.js";

export interface SseOptions {
  /** A comment line this often keeps proxies and clients from timing the stream out. */
  heartbeatMs: number;
  /** A reader this far behind (bytes buffered) is cut off; it resumes with Last-Event-ID. */
  maxBufferedBytes: number;
  /** Open event streams one user may hold at once (each holds a socket and memory). */
  maxStreamsPerUser: number;
}

const EventsQuerySchema = z.object({ last_event_id: z.string().max(100).optional() });

/** How long an EventSource waits before reconnecting after the stream ends unexpectedly. */
const RETRY_MS = 2000;

export function formatSseEvent(event: RequestFeedEvent): string {
  const { id, type, data } = event;
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `GET /api/v1/requests/:id/events`: the request's feed as Server-Sent Events. Replays what the
 * reader missed (after `Last-Event-ID`, or everything kept), then streams new events, and ends
 * after `done`.
 */
export function registerSseRoutes(app: FastifyInstance, requests: RequestService, feeds: RequestFeeds, options: SseOptions): { closeAll(): void } {
  // Hijacked responses are invisible to Fastify's close: they are ended here on shutdown.
  const open = new Set<() => void>();
  const perUser = new Map<string, number>();
  app.get<{ Params: { id: string } }>("/api/v1/requests/:id/events", async (request, reply) => {
    const principal = requireUser(request.principal);
    const query = parseInput(EventsQuerySchema, request.query);
    const row = await requests.getVisible(principal, request.params.id);
    if ((perUser.get(principal.userId) ?? 0) >= options.maxStreamsPerUser) {
      throw new AppError("rate_limited", `At most ${options.maxStreamsPerUser} event streams can be open at once; close some first.`, { retryAfterSeconds: 5 });
    }
    const feed = await feeds.open(row.id);
    if (!feed) throw new AppError("not_found", "No such request.");
    perUser.set(principal.userId, (perUser.get(principal.userId) ?? 0) + 1);
    const header = request.headers["last-event-id"];
    const lastEventId = (typeof header === "string" && header !== "" ? header : undefined) ?? query.last_event_id;

    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // nginx would otherwise buffer the stream and deliver it in lumps.
      "x-accel-buffering": "no",
    });
    res.write(`retry: ${RETRY_MS}\n\n`);

    let closed = false;
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), options.heartbeatMs);
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      open.delete(finish);
      const left = (perUser.get(principal.userId) ?? 1) - 1;
      if (left > 0) perUser.set(principal.userId, left);
      else perUser.delete(principal.userId);
      unsubscribe();
      res.end();
    };
    open.add(finish);
    const send = (event: RequestFeedEvent) => {
      if (closed) return;
      res.write(formatSseEvent(event));
      if (event.type === "done") finish();
      else if (res.writableLength > options.maxBufferedBytes) {
        request.log.info({ requestId: row.id }, "SSE reader too slow; closing so it resumes from its last event");
        finish();
      }
    };
    // Subscribed and replayed in one synchronous step: no event can fall between the two.
    const unsubscribe = feeds.subscribe(feed, send);
    res.on("close", finish);
    for (const event of feed.since(lastEventId)) send(event);
  });
  return {
    closeAll() {
      for (const finish of [...open]) finish();
    },
  };
}
