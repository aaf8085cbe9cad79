import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestView, SubmitResponse } from "@wsspaces/protocol";
import { Worker, createMockHandler } from "@wsspaces/worker";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

/** The relay end to end: real server, real sockets, real SQLite file. */
describe("relay", () => {
  let server: TestServer;
  const cleanups: (() => unknown)[] = [];

  beforeEach(async () => {
    server = await startTestServer();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server.close();
  });

  function sdkWorker(token: string, space: string, options: { capacity?: number; name?: string } = {}) {
    const worker = new Worker({ server: server.url, token, spaces: [space], ...options });
    cleanups.push(() => worker.stop({ drainTimeoutMs: 0 }));
    return worker;
  }

  async function rawWorker(token: string, space: string, capacity?: number) {
    const worker = await RawWorker.connect(server.url, { token });
    cleanups.push(() => worker.close());
    const registered = await worker.register({ space_name: space, ...(capacity ? { capacity } : {}) });
    expect(registered.success).toBe(true);
    return worker;
  }

  it("registers a worker that names no space for its token's own space", async () => {
    const { space, token } = await server.space();
    const worker = new Worker({ server: server.url, token });
    cleanups.push(() => worker.stop({ drainTimeoutMs: 0 }));
    worker.handle(() => ({ ok: true }));
    const registered = await worker.start();
    expect(registered.spaces).toEqual([{ id: space.id, name: space.name }]);
    const raw = await RawWorker.connect(server.url);
    cleanups.push(() => raw.close());
    expect(await raw.register({ capacity: 1 })).toMatchObject({ success: false, code: "space_not_found" });
  });

  it("submits, dispatches to a worker, and returns the result", async () => {
    const { space, token } = await server.space();
    const worker = sdkWorker(token, space.name);
    worker.handle((request, ctx) => {
      ctx.progress(0.5, "halfway");
      return { echo: request.payload.prompt, by: request.username };
    });
    await worker.start();
    const alice = await server.user();

    const submitted = await alice.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "hello" });
    expect(submitted.status).toBe(202);
    expect(submitted.body.state).toBe("queued");
    expect(submitted.body.position).toBe(1);

    const done = await alice.get<RequestView>(`/api/v1/requests/${submitted.body.request_id}?wait=10`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      state: "completed",
      result: { echo: "hello", by: alice.username },
      attempts: 1,
      error: null,
      progress: 1,
    });
    expect(done.body.started_at).not.toBeNull();
    expect(done.body.finished_at).not.toBeNull();

    const list = await alice.get<{ requests: RequestView[] }>(`/api/v1/requests?space=${space.id}`);
    expect(list.body.requests.map((r) => r.id)).toEqual([submitted.body.request_id]);
  });

  it("answers ?wait=N on submit with the finished request", async () => {
    const { space, token } = await server.space();
    await sdkWorker(token, space.name).handle(() => ({ text: "ok" })).start();
    const res = await server.admin.post<RequestView & SubmitResponse>(`/api/v1/spaces/${space.id}/requests?wait=10`, { prompt: "x" });
    expect(res.status).toBe(200);
    expect(res.body.request_id).toBe(res.body.id);
    expect(res.body.state).toBe("completed");
    expect(res.body.result).toEqual({ text: "ok" });
  });

  it("refuses with 503 space_offline when no worker is connected", async () => {
    const { space } = await server.space();
    const res = await server.admin.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "hello" });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: "space_offline", message: expect.stringContaining("No worker") as unknown, correlation_id: expect.any(String) as unknown } });
    const list = await server.admin.get<{ requests: RequestView[] }>(`/api/v1/requests?space=${space.id}`);
    expect(list.body.requests).toEqual([]);
  });

  it("queues while offline when the space allows it, and dispatches when a worker arrives", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "early" });
    expect(res.status).toBe(202);
    const detail = await server.admin.get(`/api/v1/spaces/${space.id}`);
    expect(detail.body).toMatchObject({ connected: false, workers: 0, queue_length: 1 });

    await sdkWorker(token, space.name).handle((r) => ({ got: r.payload.prompt })).start();
    const done = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}?wait=10`);
    expect(done.body.state).toBe("completed");
    expect(done.body.result).toEqual({ got: "early" });
  });

  it("refuses with 429 queue_full once the space's queue is full", async () => {
    const { space } = await server.space({ queue_offline: true, max_queue: 2 });
    for (let i = 0; i < 2; i++) expect((await server.admin.post(`/api/v1/spaces/${space.id}/requests`, { prompt: `p${i}` })).status).toBe(202);
    const res = await server.admin.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "one too many" });
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: { code: "queue_full" } });
  });

  it("rejects bad bodies with 400 and the fields at fault", async () => {
    const { space, token } = await server.space();
    await rawWorker(token, space.name);
    const missing = await server.admin.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "" });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: "validation_failed", details: [{ field: "prompt" }] } });
    const wrongType = await server.admin.post(`/api/v1/spaces/${space.id}/requests`, { prompt: 42 });
    expect(wrongType.status).toBe(400);
    const notJson = await server.admin.post(`/api/v1/spaces/${space.id}/requests`, "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ error: { code: "bad_request" } });
    expect(JSON.stringify(notJson.body)).not.toMatch(/at .*\.js/);
  });

  it("shares one space's queue among several workers", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const served = new Map<string, number>();
    for (const name of ["w1", "w2"]) {
      const worker = sdkWorker(token, space.name, { name });
      worker.handle(async () => {
        served.set(name, (served.get(name) ?? 0) + 1);
        await new Promise((resolve) => setImmediate(resolve));
        return { by: name };
      });
      await worker.start();
    }
    const detail = await server.admin.get(`/api/v1/spaces/${space.id}`);
    expect(detail.body).toMatchObject({ connected: true, workers: 2 });

    const ids = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => (await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: `p${i}` })).body.request_id),
    );
    const results = await Promise.all(ids.map((id) => server.admin.get<RequestView>(`/api/v1/requests/${id}?wait=10`)));
    expect(results.every((r) => r.body.state === "completed")).toBe(true);
    expect(served.get("w1")).toBeGreaterThan(0);
    expect(served.get("w2")).toBeGreaterThan(0);
    expect((served.get("w1") ?? 0) + (served.get("w2") ?? 0)).toBe(10);
  });

  it("never sends a worker more requests than its capacity", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const worker = await rawWorker(token, space.name, 2);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: `p${i}` })).body.request_id);
    await eventually(() => expect(worker.requests).toHaveLength(2));
    // FIFO: the two oldest went out first.
    expect(worker.requests.map((r) => r.request_id)).toEqual(ids.slice(0, 2));
    const third = await server.admin.get<RequestView>(`/api/v1/requests/${ids[2]}`);
    expect(third.body).toMatchObject({ state: "queued", position: 1 });

    expect(await worker.complete(ids[0]!, { n: 0 })).toEqual({ ok: true });
    await eventually(() => expect(worker.requests).toHaveLength(3));
    expect(worker.requests[2]!.request_id).toBe(ids[2]);
    // Still never more than two at once.
    expect(worker.requests.length - 1).toBeLessThanOrEqual(2);
  });

  it("keeps a worker's capacity across all the spaces it serves", async () => {
    const a = await server.space({ open_workers: true, queue_offline: true });
    const b = await server.space({ open_workers: true, queue_offline: true });
    for (const { space } of [a, b]) await server.admin.post(`/api/v1/spaces/${space.id}/requests`, { prompt: space.name });
    const worker = await RawWorker.connect(server.url);
    cleanups.push(() => worker.close());
    expect(await worker.register({ spaces: [a.space.name, b.space.name], capacity: 1 })).toMatchObject({ success: true });
    const first = await worker.nextRequest();
    // The other space's request waits: one slot, one request.
    const detail = await server.admin.get<{ worker_list: { in_flight: number }[] }>(`/api/v1/spaces/${a.space.id}`);
    expect(detail.body.worker_list[0]!.in_flight).toBe(1);
    expect(worker.requests).toHaveLength(1);
    expect(await worker.complete(first.request_id, {})).toEqual({ ok: true });
    const second = await worker.nextRequest();
    expect(second.space_id).not.toBe(first.space_id);
  });

  it("refuses a second register sent at the same time on one connection", async () => {
    const { space, token } = await server.space();
    const worker = await RawWorker.connect(server.url, { token });
    cleanups.push(() => worker.close());
    const answers = await Promise.all([worker.register({ space_name: space.name }), worker.register({ space_name: space.name })]);
    expect(answers.filter((a) => a.success)).toHaveLength(1);
    expect(worker.socket.connected).toBe(true);
    expect((await server.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 1 });
  });

  it("lets a worker resume on a new connection before the old one is noticed dead", async () => {
    const { space, token } = await server.space();
    const old = await RawWorker.connect(server.url, { token });
    cleanups.push(() => old.close());
    const registered = await old.register({ space_name: space.name });
    if (!registered.success) throw new Error("registration failed");
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "keep me" });
    await old.nextRequest();

    const fresh = await RawWorker.connect(server.url, { token });
    cleanups.push(() => fresh.close());
    const oldClosed = old.disconnected();
    const resumed = await fresh.register({ space_name: space.name, resume_id: registered.connection_id });
    expect(resumed).toMatchObject({ success: true, connection_id: registered.connection_id });
    await oldClosed;
    // What the old connection held is sent again on the new one, and its result is taken.
    expect((await fresh.nextRequest()).request_id).toBe(res.body.request_id);
    expect(await fresh.complete(res.body.request_id, { resumed: true })).toEqual({ ok: true });
    const view = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`);
    expect(view.body).toMatchObject({ state: "completed", attempts: 1, result: { resumed: true } });
    expect((await server.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 1 });
  });

  it("times a request out after the space's deadline and tells the worker", async () => {
    const { space, token } = await server.space({ timeout_seconds: 1 });
    const worker = await rawWorker(token, space.name);
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "slow" });
    const request = await worker.nextRequest();
    expect(request.request_id).toBe(res.body.request_id);
    expect(Date.parse(request.deadline) - Date.now()).toBeLessThanOrEqual(1000);

    const done = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}?wait=5`);
    expect(done.body.state).toBe("timed_out");
    expect(done.body.error).toMatchObject({ code: "timed_out" });
    await eventually(() => expect(worker.cancels).toEqual([{ request_id: res.body.request_id, reason: "timed_out" }]));
    // A late result is acknowledged and ignored: the terminal state never changes.
    expect(await worker.complete(res.body.request_id, { late: true })).toEqual({ ok: true, duplicate: true });
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.state).toBe("timed_out");
  });

  it("refuses a forged result from a worker that does not hold the request", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const holder = await rawWorker(token, space.name);
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "mine" });
    await holder.nextRequest();
    const forger = await rawWorker(token, space.name);

    const forged = await forger.complete(res.body.request_id, { forged: true });
    expect(forged).toMatchObject({ ok: false, error: { code: "not_assigned" } });
    expect(await forger.emit("progress", { request_id: res.body.request_id, progress: 0.9 })).toMatchObject({ ok: false, error: { code: "not_assigned" } });
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.state).toBe("dispatched");

    expect(await holder.complete(res.body.request_id, { real: true })).toEqual({ ok: true });
    const done = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`);
    expect(done.body).toMatchObject({ state: "completed", result: { real: true } });
  });

  it("answers invalid worker events with an error ack and keeps the connection", async () => {
    const { space, token } = await server.space();
    const worker = await rawWorker(token, space.name);
    expect(await worker.emit("inference_result", { request_id: 5, status: "done" })).toMatchObject({ ok: false, error: { code: "invalid_event" } });
    expect(await worker.emit("progress", { request_id: "x", progress: 7 })).toMatchObject({ ok: false, error: { code: "invalid_event" } });
    expect(worker.socket.connected).toBe(true);
    expect(server.app.gatewayStats.invalidEvents).toBeGreaterThanOrEqual(2);
  });

  it("refuses a wrong token at connect and a token for another space at register", async () => {
    const { space } = await server.space();
    const other = await server.space();
    await expect(RawWorker.connect(server.url, { token: "wss_not-a-real-token" })).rejects.toMatchObject({ data: { code: "invalid_token" } });

    const worker = await RawWorker.connect(server.url, { token: other.token });
    cleanups.push(() => worker.close());
    const disconnected = worker.disconnected();
    const refused = await worker.register({ space_name: space.name });
    expect(refused).toMatchObject({ success: false, code: "space_not_allowed" });
    await disconnected;
  });

  it("needs a token unless the space has open registration", async () => {
    const closed = await server.space();
    const open = await server.space({ open_workers: true });
    const anonymous = await RawWorker.connect(server.url);
    cleanups.push(() => anonymous.close());
    expect(await anonymous.register({ space_name: closed.space.name })).toMatchObject({ success: false, code: "invalid_token" });

    const anonymous2 = await RawWorker.connect(server.url);
    cleanups.push(() => anonymous2.close());
    expect(await anonymous2.register({ space_name: open.space.name.toLowerCase() })).toMatchObject({ success: true, space_id: open.space.id });
  });

  it("disconnects live workers when their token is revoked, and refuses the token afterwards", async () => {
    const { space, token } = await server.space();
    const worker = await rawWorker(token, space.name);
    const tokens = await server.admin.get<{ worker_tokens: { id: string }[] }>(`/api/v1/spaces/${space.id}/worker-tokens`);
    const disconnected = worker.disconnected();
    expect((await server.admin.delete(`/api/v1/spaces/${space.id}/worker-tokens/${tokens.body.worker_tokens[0]!.id}`)).status).toBe(204);
    await disconnected;
    await eventually(async () => expect((await server.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ connected: false }));
    await expect(RawWorker.connect(server.url, { token })).rejects.toMatchObject({ data: { code: "invalid_token" } });
  });

  it("re-queues a disconnected worker's request for another worker", async () => {
    const { space, token } = await server.space();
    const first = await rawWorker(token, space.name);
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "again" });
    await first.nextRequest();
    first.close();
    await eventually(async () => expect((await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.state).toBe("queued"));

    const second = await rawWorker(token, space.name);
    const retried = await second.nextRequest();
    expect(retried).toMatchObject({ request_id: res.body.request_id, attempt: 2 });
    expect(await second.complete(retried.request_id, { second: true })).toEqual({ ok: true });
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body).toMatchObject({ state: "completed", attempts: 2 });
  });

  it("fails a request with worker_lost after its last attempt", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "cursed" });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const worker = await rawWorker(token, space.name);
      expect((await worker.nextRequest()).attempt).toBe(attempt);
      worker.close();
    }
    const done = await eventually(async () => {
      const view = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`);
      expect(view.body.state).toBe("failed");
      return view.body;
    });
    expect(done.error).toMatchObject({ code: "worker_lost" });
    expect(done.attempts).toBe(3);
  });

  it("records a worker's failure with its message", async () => {
    const { space, token } = await server.space();
    const worker = await rawWorker(token, space.name);
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "boom" });
    await worker.nextRequest();
    // The seed's mock app reports failures as result.error.
    expect(await worker.emit("inference_result", { request_id: res.body.request_id, status: "failed", result: { error: "CUDA out of memory" } })).toEqual({ ok: true });
    const view = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`);
    expect(view.body).toMatchObject({ state: "failed", error: { code: "worker_error", message: "CUDA out of memory" } });
  });

  it("takes back a request a stopping worker refuses, without using an attempt", async () => {
    const { space, token } = await server.space();
    const stopping = await rawWorker(token, space.name);
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "later" });
    await stopping.nextRequest();
    const refused = await stopping.emit("inference_result", { request_id: res.body.request_id, status: "failed", error: { code: "worker_stopping", message: "bye" } });
    expect(refused).toEqual({ ok: true });
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body).toMatchObject({ state: "queued", attempts: 0 });

    const next = await rawWorker(token, space.name);
    expect(await next.nextRequest()).toMatchObject({ request_id: res.body.request_id, attempt: 1 });
    // The stopping worker got nothing more.
    expect(stopping.requests).toHaveLength(1);
  });

  it("cancels a queued request, and a running one with cancel_request to its worker", async () => {
    const { space, token } = await server.space();
    const worker = await rawWorker(token, space.name);
    const owner = await server.user();
    const running = await owner.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "running" });
    const queued = await owner.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "queued" });
    await worker.nextRequest();
    expect(await worker.emit("accept", { request_id: running.body.request_id })).toEqual({ ok: true });
    expect((await owner.get<RequestView>(`/api/v1/requests/${running.body.request_id}`)).body.state).toBe("running");

    const cancelQueued = await owner.post<RequestView>(`/api/v1/requests/${queued.body.request_id}/cancel`);
    expect(cancelQueued.body.state).toBe("cancelled");
    const cancelRunning = await owner.post<RequestView>(`/api/v1/requests/${running.body.request_id}/cancel`);
    expect(cancelRunning.body.state).toBe("cancelled");
    await eventually(() => expect(worker.cancels).toEqual([{ request_id: running.body.request_id, reason: "cancelled" }]));
    const again = await owner.post(`/api/v1/requests/${running.body.request_id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: "invalid_state" } });
    // The cancelled queued request was never dispatched.
    expect(worker.requests.map((r) => r.request_id)).toEqual([running.body.request_id]);
  });

  it("lets users read only their own requests; admins read all", async () => {
    const { space, token } = await server.space();
    await sdkWorker(token, space.name).handle(() => ({ secret: "alice's" })).start();
    const alice = await server.user();
    const mallory = await server.user();
    const res = await alice.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests?wait=10`, { prompt: "private" });
    const id = res.body.request_id;

    const stolen = await mallory.get(`/api/v1/requests/${id}`);
    expect(stolen.status).toBe(404);
    expect(JSON.stringify(stolen.body)).not.toContain("alice's");
    expect((await mallory.post(`/api/v1/requests/${id}/cancel`)).status).toBe(404);
    expect((await mallory.get<{ requests: unknown[] }>("/api/v1/requests")).body.requests).toEqual([]);
    expect((await mallory.get(`/websockets/status?request_id=${id}`)).status).toBe(404);
    expect((await server.admin.get(`/api/v1/requests/${id}`)).status).toBe(200);
    const anonymous = await fetch(`${server.url}/api/v1/requests/${id}`);
    expect(anonymous.status).toBe(401);
  });

  it("shows the queue with masked usernames except one's own", async () => {
    const { space } = await server.space({ queue_offline: true });
    const alice = await server.user(`alice${Date.now()}`);
    const bob = await server.user(`bob${Date.now()}`);
    await alice.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "a" });
    await bob.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "b" });
    const seenByBob = await bob.get<{ queue: { position: number; user: string; state: string; request_id?: string }[] }>(`/api/v1/spaces/${space.id}`);
    expect(seenByBob.body.queue).toEqual([
      { position: 1, user: "al***", state: "queued" },
      { position: 2, user: bob.username, state: "queued", request_id: expect.any(String) as unknown },
    ]);
  });

  it("serves the seed-compatible submit and status routes", async () => {
    const { space, token } = await server.space();
    const offline = await server.admin.post(`/websockets/submit/${space.id}`, { prompt: "hi" });
    expect(offline.status).toBe(503);
    expect(offline.body).toMatchObject({ success: false, error: "Remote app not connected" });

    await sdkWorker(token, space.name).handle(createMockHandler({ minMs: 0, maxMs: 0 })).start();
    // The seed's page posts a form.
    const submitted = await server.admin.post<{ success: boolean; request_id: string }>(`/websockets/submit/${space.id}`, "prompt=hello+seed", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(submitted.status).toBe(200);
    expect(submitted.body.success).toBe(true);
    await server.admin.get(`/api/v1/requests/${submitted.body.request_id}?wait=10`);
    const status = await server.admin.get(`/websockets/status?request_id=${submitted.body.request_id}`);
    expect(status.body).toMatchObject({ success: true, status: "completed", error: null, result: { text_output: expect.stringContaining("hello seed") as unknown } });
    expect(typeof status.body.updated_at).toBe("string");
  });
});
