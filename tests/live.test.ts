import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import type {
  LiveAck,
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  PositionEventData,
  RequestFeedEvent,
  SpaceStatusEvent,
  StreamEventData,
  SubmitResponse,
} from "@wsspaces/protocol";
import { WsSpacesClient } from "@wsspaces/client";
import { Worker, createMockHandler } from "@wsspaces/worker";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

type LiveSocket = Socket<LiveServerToClientEvents, LiveClientToServerEvents>;

/** Live progress, positions, streams and cancellation, over real sockets and SSE. */
describe("live request events", () => {
  let server: TestServer;
  const cleanups: (() => unknown)[] = [];

  beforeEach(async () => {
    server = await startTestServer({ config: { workerEventsPerSecond: 1_000_000 } });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server.close();
  });

  async function userClient() {
    const user = await server.user();
    const key = (await server.app.auth.createApiKey(user.userId, "client")).key;
    return { user, client: new WsSpacesClient({ baseUrl: server.url, apiKey: key }), key };
  }

  async function rawWorker(token: string, space: string, capacity = 1) {
    const worker = await RawWorker.connect(server.url, { token });
    cleanups.push(() => worker.close());
    expect((await worker.register({ space_name: space, capacity })).success).toBe(true);
    return worker;
  }

  function sdkWorker(token: string, space: string) {
    const worker = new Worker({ server: server.url, token, spaces: [space] });
    cleanups.push(() => worker.stop({ drainTimeoutMs: 0 }));
    return worker;
  }

  /** Reads a request's SSE feed in the background into `events`. */
  function follow(client: WsSpacesClient, requestId: string, lastEventId?: string) {
    const events: RequestFeedEvent[] = [];
    const controller = new AbortController();
    const done = (async () => {
      for await (const event of client.events(requestId, { signal: controller.signal, ...(lastEventId ? { lastEventId } : {}) })) events.push(event);
    })().catch((err: unknown) => {
      if (!controller.signal.aborted) throw err;
    });
    cleanups.push(() => controller.abort());
    return { events, done, stop: () => controller.abort() };
  }

  function liveSocket(options: { key?: string; headers?: Record<string, string> } = {}): Promise<LiveSocket> {
    const socket: LiveSocket = io(`${server.url}/live`, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      ...(options.key ? { auth: { token: options.key } } : {}),
      ...(options.headers ? { extraHeaders: options.headers } : {}),
    });
    cleanups.push(() => socket.close());
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", reject);
    });
  }

  const positions = (events: RequestFeedEvent[]) =>
    events.filter((e): e is RequestFeedEvent & { type: "position" } => e.type === "position").map((e) => e.data);
  const lastPosition = (events: RequestFeedEvent[]): PositionEventData | undefined => positions(events).at(-1);
  const streamData = (events: RequestFeedEvent[]) =>
    events.filter((e): e is RequestFeedEvent & { type: "stream" } => e.type === "stream").map((e) => e.data);

  it("counts queue positions down with 3 workers and 20 queued requests, and gives an ETA once there is history", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const { client } = await userClient();
    const submitted: SubmitResponse[] = [];
    for (let i = 0; i < 20; i++) submitted.push(await client.submit(space.id, { prompt: `job ${i}` }));
    expect(submitted.map((s) => s.position)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const feeds = submitted.map((s) => follow(client, s.request_id));
    // Each reader starts with its place in the queue, and no ETA: the space has no history.
    await eventually(() => feeds.forEach((f, i) => expect(lastPosition(f.events)).toEqual({ position: i + 1, eta_seconds: null })));

    const workers = await Promise.all([0, 1, 2].map(() => rawWorker(token, space.name)));
    const queuedIds = () => new Set(submitted.map((s) => s.request_id));
    let completed = 0;
    const checkQueue = async (expectedQueued: number) => {
      await eventually(() => {
        const waiting = feeds.map((f, i) => ({ i, last: lastPosition(f.events) })).filter((x) => x.last?.position !== null && x.last !== undefined);
        expect(waiting.map((w) => w.last?.position)).toEqual(Array.from({ length: expectedQueued }, (_, k) => k + 1));
      });
    };
    await checkQueue(17);
    // Finish requests one at a time; after each, the waiting ones move up by exactly one.
    while (completed < 20) {
      const worker = workers[completed % 3];
      if (!worker) throw new Error("no worker");
      const request = await worker.nextRequest();
      expect(queuedIds().has(request.request_id)).toBe(true);
      expect((await worker.complete(request.request_id, { n: completed })).ok).toBe(true);
      completed++;
      await checkQueue(Math.max(0, 17 - completed));
      if (completed === 1) {
        // One run is history enough for an estimate.
        await eventually(() => expect(lastPosition(feeds[19]?.events ?? [])?.eta_seconds).toBeGreaterThan(0));
      }
    }
    await Promise.all(feeds.map((f) => f.done));
    for (const [i, feed] of feeds.entries()) {
      const seen = positions(feed.events)
        .map((p) => p.position)
        .filter((p): p is number => p !== null);
      // Never backwards, never a repeat; once the three workers have taken their first request
      // (which may show as one jump), one place at a time down to 1.
      expect(seen[0]).toBe(i + 1);
      for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeLessThan(seen[k - 1] ?? 0);
      if (i >= 3) expect(seen.slice(-(i - 2))).toEqual(Array.from({ length: i - 2 }, (_, k) => i - 2 - k));
      expect(feed.events.at(-1)?.type).toBe("done");
    }
  });

  it("relays 10,000 stream chunks in order, none lost or repeated, and keeps the streamed text as the result", async () => {
    const { space, token } = await server.space();
    const { client, key } = await userClient();
    const worker = await rawWorker(token, space.name);
    const { request_id } = await client.submit(space.id, { prompt: "count" });
    const request = await worker.nextRequest();
    const sse = follow(client, request_id);
    const socket = await liveSocket({ key });
    const live: RequestFeedEvent[] = [];
    socket.on("request_event", (e) => live.push(e));
    expect(await socket.emitWithAck("watch_request", { request_id })).toEqual({ ok: true });

    const total = 10_000;
    for (let i = 0; i < total; i++) {
      // Fire-and-forget like a real token stream; acknowledged ones would be 10,000 round trips.
      worker.socket.emit("stream", { request_id: request.request_id, chunk: `${i},`, seq: i });
    }
    // A repeat of an already-sent chunk (same worker seq) must not reach anyone.
    worker.socket.emit("stream", { request_id: request.request_id, chunk: "again,", seq: total - 1 });
    expect((await worker.emit("inference_result", { request_id: request.request_id, status: "completed", result: null })).ok).toBe(true);
    await sse.done;

    for (const received of [streamData(sse.events), await eventually(() => {
      const data = streamData(live);
      expect(live.at(-1)?.type).toBe("done");
      return data;
    })]) {
      expect(received.map((d) => d.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(received.map((d) => d.chunk)).toEqual(Array.from({ length: total }, (_, i) => `${i},`));
    }
    const expectedText = Array.from({ length: total }, (_, i) => `${i},`).join("");
    const view = await client.get(request_id);
    expect(view.result).toEqual({ text_output: expectedText });
    const done = sse.events.at(-1);
    expect(done?.type === "done" && done.data.result).toEqual({ text_output: expectedText });
  });

  it("gives an SSE reader that reconnects with Last-Event-ID exactly the events it missed", async () => {
    const { space, token } = await server.space();
    const { client } = await userClient();
    const worker = await rawWorker(token, space.name);
    const { request_id } = await client.submit(space.id, { prompt: "resume" });
    const request = await worker.nextRequest();
    const whole = follow(client, request_id);
    const first = follow(client, request_id);
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await worker.emit("stream", { request_id: request.request_id, chunk: { token: i }, seq: i });
    };
    await send(0, 50);
    await eventually(() => expect(streamData(first.events)).toHaveLength(50));
    first.stop();
    await first.done;
    const lastSeen = first.events.at(-1)?.id;
    expect(lastSeen).toBeDefined();
    await send(50, 120);
    await worker.emit("progress", { request_id: request.request_id, progress: 0.9, message: "almost" });
    const resumed = follow(client, request_id, lastSeen);
    await eventually(() => expect(streamData(resumed.events)).toHaveLength(70));
    await worker.complete(request.request_id, { ok: true });
    await Promise.all([resumed.done, whole.done]);

    // Together the two halves are exactly what an uninterrupted reader saw: same ids, same order.
    expect([...first.events, ...resumed.events].map((e) => e.id)).toEqual(whole.events.map((e) => e.id));
    expect(streamData(resumed.events)[0]?.seq).toBe(51);
    expect(resumed.events.some((e) => e.type === "progress" && e.data.message === "almost")).toBe(true);
    expect(whole.events.at(-1)?.type).toBe("done");
  });

  it("cancels a queued request (it leaves the queue) and a running one (its worker is told; a late result is ignored)", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const { client } = await userClient();
    const queued = await client.submit(space.id, { prompt: "never mind" });
    expect((await client.getSpace(space.id)).queue_length).toBe(1);
    const cancelledQueued = await client.cancel(queued.request_id);
    expect(cancelledQueued.state).toBe("cancelled");
    expect((await client.getSpace(space.id)).queue_length).toBe(0);

    const worker = await rawWorker(token, space.name);
    const running = await client.submit(space.id, { prompt: "stop me" });
    const request = await worker.nextRequest();
    await worker.emit("accept", { request_id: request.request_id });
    const feed = follow(client, running.request_id);
    // The worker never answers the cancel: the request is cancelled anyway.
    const cancelled = await client.cancel(running.request_id);
    expect(cancelled.state).toBe("cancelled");
    await eventually(() => expect(worker.cancels).toEqual([{ request_id: request.request_id, reason: "cancelled" }]));
    const late = await worker.complete(request.request_id, { too: "late" });
    expect(late).toEqual({ ok: true, duplicate: true });
    const view = await client.get(running.request_id);
    expect(view.state).toBe("cancelled");
    expect(view.result).toBeNull();
    await feed.done;
    expect(feed.events.at(-1)).toMatchObject({ type: "done", data: { state: "cancelled" } });
    // Cancelling twice is refused in words.
    await expect(client.cancel(running.request_id)).rejects.toMatchObject({ status: 409, code: "invalid_state" });
  });

  it("aborts ctx.signal in the SDK handler when the request is cancelled", async () => {
    const { space, token } = await server.space();
    const { client } = await userClient();
    const worker = sdkWorker(token, space.name);
    let aborted: unknown;
    worker.handle(
      (_request, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.progress(0.1, "started");
          ctx.signal.addEventListener("abort", () => {
            aborted = ctx.signal.reason;
            reject(new Error("stopped"));
          });
        }),
    );
    await worker.start();
    const { request_id } = await client.submit(space.id, { prompt: "long" });
    await eventually(async () => expect((await client.get(request_id)).progress_message).toBe("started"));
    await client.cancel(request_id);
    await eventually(() => expect(aborted).toBeDefined());
    expect((await client.get(request_id)).state).toBe("cancelled");
  });

  it("paces an SDK handler that streams and reports progress in a tight loop, losing no text", async () => {
    const { space, token } = await server.space();
    const { client } = await userClient();
    const worker = sdkWorker(token, space.name);
    const n = 5000;
    worker.handle((_request, ctx) => {
      for (let i = 0; i < n; i++) {
        ctx.stream(`t${i} `);
        ctx.progress(i / n, `token ${i}`);
      }
      return null;
    });
    await worker.start();
    const { request_id } = await client.submit(space.id, { prompt: "flood" });
    const feed = follow(client, request_id);
    await feed.done;
    const expected = Array.from({ length: n }, (_, i) => `t${i} `).join("");
    expect(streamData(feed.events).map((d) => d.chunk).join("")).toBe(expected);
    expect((await client.get(request_id)).result).toEqual({ text_output: expected });
    // Merged into a handful of messages rather than 10,000 events, so the worker stayed connected.
    expect(streamData(feed.events).length).toBeLessThan(50);
    expect(feed.events.filter((e) => e.type === "progress").length).toBeLessThan(50);
    expect(server.app.gatewayStats.floodDisconnects).toBe(0);
  });

  it("streams the mock model's answer token by token", async () => {
    const { space, token } = await server.space();
    const { client } = await userClient();
    const worker = sdkWorker(token, space.name);
    worker.handle(createMockHandler({ minMs: 200, maxMs: 200 }));
    await worker.start();
    const { request_id } = await client.submit(space.id, { prompt: "tell me a story about sockets" });
    const feed = follow(client, request_id);
    await feed.done;
    const chunks = streamData(feed.events).map((d) => d.chunk);
    expect(chunks.length).toBeGreaterThan(3);
    const done = feed.events.at(-1);
    if (done?.type !== "done") throw new Error("no done event");
    expect(chunks.join("")).toBe((done.data.result as { text_output: string }).text_output);
    expect(feed.events.filter((e) => e.type === "progress").length).toBeGreaterThan(0);
  });

  it("pushes space status on /live when workers come and go, to anonymous readers too", async () => {
    const { space, token } = await server.space();
    const socket = await liveSocket();
    const statuses: SpaceStatusEvent[] = [];
    socket.on("space_status", (s) => statuses.push(s));
    expect(await socket.emitWithAck("subscribe_spaces", { space_ids: [space.id] })).toEqual({ ok: true });
    await eventually(() => expect(statuses.at(-1)).toMatchObject({ id: space.id, connected: false, workers: 0 }));
    const worker = await rawWorker(token, space.name);
    await eventually(() => expect(statuses.at(-1)).toMatchObject({ connected: true, workers: 1 }));
    expect(statuses.at(-1)?.worker_list[0]?.connection_id).toBeNull();
    worker.close();
    await eventually(() => expect(statuses.at(-1)).toMatchObject({ connected: false, workers: 0 }));
    expect(await socket.emitWithAck("subscribe_spaces", { space_ids: ["spc_nope"] })).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await socket.emitWithAck("subscribe_spaces", { space_ids: "nope" } as never)).toMatchObject({ ok: false, error: { code: "invalid_event" } });
  });

  it("lets /live follow only the caller's own requests, and refuses a cross-site cookie", async () => {
    const { space } = await server.space({ queue_offline: true });
    const alice = await userClient();
    const bob = await userClient();
    const { request_id } = await alice.client.submit(space.id, { prompt: "mine" });
    const anonymous = await liveSocket();
    const refused: LiveAck = await anonymous.emitWithAck("watch_request", { request_id });
    expect(refused).toMatchObject({ ok: false, error: { code: "unauthenticated" } });
    const bobSocket = await liveSocket({ key: bob.key });
    expect(await bobSocket.emitWithAck("watch_request", { request_id })).toMatchObject({ ok: false, error: { code: "not_found" } });
    const aliceSocket = await liveSocket({ key: alice.key });
    const seen: RequestFeedEvent[] = [];
    aliceSocket.on("request_event", (e) => seen.push(e));
    expect(await aliceSocket.emitWithAck("watch_request", { request_id })).toEqual({ ok: true });
    await eventually(() => expect(seen.find((e) => e.type === "position")?.data).toEqual({ position: 1, eta_seconds: null }));

    // A browser page on another site rides on the user's cookie: the handshake is refused.
    const browser = server.admin.withKey("");
    const { username } = await server.user("carol-live");
    expect(username).toBe("carol-live");
    const login = await browser.login("carol-live", "user-password");
    const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
    expect(cookie).toMatch(/^wsspaces_session=/);
    await expect(liveSocket({ headers: { cookie, origin: "https://evil.example" } })).rejects.toMatchObject({ data: { code: "csrf_failed" } });
    const sameSite = await liveSocket({ headers: { cookie, origin: server.url } });
    expect(await sameSite.emitWithAck("watch_request", { request_id })).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("answers SSE for someone else's request with 404 and for anonymous callers with 401", async () => {
    const { space } = await server.space({ queue_offline: true });
    const alice = await userClient();
    const bob = await userClient();
    const { request_id } = await alice.client.submit(space.id, { prompt: "private" });
    await expect(bob.client.events(request_id).next()).rejects.toMatchObject({ status: 404, code: "not_found" });
    const anonymous = new WsSpacesClient({ baseUrl: server.url });
    await expect(anonymous.events(request_id).next()).rejects.toMatchObject({ status: 401, code: "unauthenticated" });
  });

  it("caps the event streams one user holds open, and frees a place when one closes", async () => {
    await server.close();
    server = await startTestServer({ config: { sseStreamsPerUser: 2 } });
    const { space } = await server.space({ queue_offline: true });
    const { client } = await userClient();
    const { request_id } = await client.submit(space.id, { prompt: "watched" });
    const first = follow(client, request_id);
    const second = follow(client, request_id);
    await eventually(() => expect([first.events.length, second.events.length].every((n) => n > 0)).toBe(true));
    await expect(client.events(request_id).next()).rejects.toMatchObject({ status: 429, code: "rate_limited" });
    first.stop();
    await first.done;
    // The server notices the closed stream a moment after the client: retry until it has.
    await eventually(async () => {
      const stream = client.events(request_id);
      expect((await stream.next()).done).toBe(false);
      await stream.return(undefined);
    });
  });

  it("replays a finished request's feed to a late SSE reader, ending with done", async () => {
    const { space, token } = await server.space();
    const { client } = await userClient();
    const worker = await rawWorker(token, space.name);
    const { request_id } = await client.submit(space.id, { prompt: "late" });
    const request = await worker.nextRequest();
    await worker.emit("stream", { request_id: request.request_id, chunk: "hello ", seq: 0 });
    await worker.emit("stream", { request_id: request.request_id, chunk: "world", seq: 1 });
    await worker.complete(request.request_id, { text_output: "hello world" });
    const late = follow(client, request_id);
    await late.done;
    expect(streamData(late.events).map((d: StreamEventData) => d.chunk)).toEqual(["hello ", "world"]);
    expect(late.events.at(-1)).toMatchObject({ type: "done", data: { state: "completed", result: { text_output: "hello world" } } });
  });
});
