import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AdminWorkerView, RequestView, SpaceDetail } from "@wsspaces/protocol";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

/** Fair share, priorities and queue control, over real sockets. */
describe("queueing policy", () => {
  let server: TestServer;
  const cleanups: (() => unknown)[] = [];

  beforeEach(async () => {
    server = await startTestServer({ config: { userQueueLimit: 1000, submitsPerMinute: 0 } });
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server.close();
  });

  async function rawWorker(token: string, space: string, capacity = 1) {
    const worker = await RawWorker.connect(server.url, { token });
    cleanups.push(() => worker.close());
    expect((await worker.register({ space_name: space, capacity })).success).toBe(true);
    return worker;
  }

  type Client = Awaited<ReturnType<TestServer["user"]>>;
  async function submit(who: Client | TestServer["admin"], spaceId: string, body: Record<string, unknown>): Promise<string> {
    const res = await who.post<{ request_id: string }>(`/api/v1/spaces/${spaceId}/requests`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.request_id;
  }

  it("takes turns between users: B's 5 requests are done within the first 10 dispatches after A's 50", async () => {
    const { space, token } = await server.space({ queue_offline: true, max_queue: 1000 });
    const alice = await server.user("alice-fair");
    const bob = await server.user("bob-fair");
    const owner = new Map<string, string>();
    for (let i = 0; i < 50; i++) owner.set(await submit(alice, space.id, { prompt: `a${i}` }), "A");
    for (let i = 0; i < 5; i++) owner.set(await submit(bob, space.id, { prompt: `b${i}` }), "B");

    // Positions already tell the real order: Bob's requests interleave with Alice's.
    const bobIds = [...owner].filter(([, who]) => who === "B").map(([id]) => id);
    const bobPositions = await Promise.all(bobIds.map(async (id) => (await bob.get<RequestView>(`/api/v1/requests/${id}`)).body.position));
    expect(bobPositions).toEqual([2, 4, 6, 8, 10]);

    const worker = await rawWorker(token, space.name);
    const order: string[] = [];
    for (let i = 0; i < 55; i++) {
      const request = await worker.nextRequest();
      order.push(owner.get(request.request_id) ?? "?");
      await worker.complete(request.request_id, { i });
    }
    console.log(`dispatch order: ${order.join("")}`);
    expect(order.join("")).toBe(`${"AB".repeat(5)}${"A".repeat(45)}`);
  });

  it("dispatches a higher priority first; only admins may raise it", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const user = await server.user();
    const normal = await submit(user, space.id, { prompt: "normal" });
    const urgent = await submit(server.admin, space.id, { prompt: "urgent", priority: 5 });
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${urgent}`)).body.position).toBe(1);
    expect((await user.get<RequestView>(`/api/v1/requests/${normal}`)).body.position).toBe(2);
    const refused = await user.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "me first", priority: 1 });
    expect(refused.status).toBe(403);
    // Lowering one's own priority is allowed.
    const patient = await submit(user, space.id, { prompt: "whenever", priority: -1 });
    const worker = await rawWorker(token, space.name);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const request = await worker.nextRequest();
      seen.push(request.request_id);
      await worker.complete(request.request_id, {});
    }
    expect(seen).toEqual([urgent, normal, patient]);
  });

  it("caps how many requests one user has running in a space", async () => {
    const { space, token } = await server.space({ queue_offline: true, user_in_flight_limit: 1 });
    const alice = await server.user();
    const bob = await server.user();
    const a = [await submit(alice, space.id, { prompt: "a1" }), await submit(alice, space.id, { prompt: "a2" }), await submit(alice, space.id, { prompt: "a3" })];
    const b = await submit(bob, space.id, { prompt: "b1" });
    const worker = await rawWorker(token, space.name, 3);
    const first = [await worker.nextRequest(), await worker.nextRequest()].map((r) => r.request_id).sort();
    expect(first).toEqual([a[0], b].sort());
    // A third slot is free, but Alice is at her cap: nothing more goes out…
    const detail = await server.admin.get<SpaceDetail>(`/api/v1/spaces/${space.id}`);
    expect(detail.body.queue.filter((q) => q.state === "queued")).toHaveLength(2);
    expect(worker.requests).toHaveLength(2);
    // …until her first request finishes.
    await worker.complete(a[0] ?? "", {});
    expect((await worker.nextRequest()).request_id).toBe(a[1]);
  });

  it("retries a failed request with the same inputs, and refuses to retry one that succeeded", async () => {
    const { space, token } = await server.space();
    const user = await server.user();
    const worker = await rawWorker(token, space.name);
    const id = await submit(user, space.id, { prompt: "flaky", inputs: { temperature: 0.3 } });
    const first = await worker.nextRequest();
    await worker.emit("inference_result", { request_id: first.request_id, status: "failed", error: "out of memory" });
    const retried = await user.post<{ request_id: string; retry_of: string }>(`/api/v1/requests/${id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body.retry_of).toBe(id);
    expect(retried.body.request_id).not.toBe(id);
    const second = await worker.nextRequest();
    expect(second.request_id).toBe(retried.body.request_id);
    expect(second.payload).toEqual({ prompt: "flaky", temperature: 0.3 });
    await worker.complete(second.request_id, { ok: true });
    expect((await user.post(`/api/v1/requests/${retried.body.request_id}/retry`)).status).toBe(409);
    const stranger = await server.user();
    expect((await stranger.post(`/api/v1/requests/${id}/retry`)).status).toBe(404);
  });

  it("purges a space's queue without touching what is running", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const user = await server.user();
    const worker = await rawWorker(token, space.name);
    const running = await submit(user, space.id, { prompt: "busy" });
    await worker.nextRequest();
    const waiting = [await submit(user, space.id, { prompt: "w1" }), await submit(user, space.id, { prompt: "w2" })];
    expect((await user.post(`/api/v1/spaces/${space.id}/queue/purge`)).status).toBe(403);
    const purged = await server.admin.post<{ purged: number }>(`/api/v1/spaces/${space.id}/queue/purge`);
    expect(purged.body).toEqual({ purged: 2 });
    for (const id of waiting) expect((await user.get<RequestView>(`/api/v1/requests/${id}`)).body).toMatchObject({ state: "cancelled", error: { code: "cancelled" } });
    expect((await user.get<RequestView>(`/api/v1/requests/${running}`)).body.state).toBe("dispatched");
  });

  it("drains a worker: it finishes what it holds and gets nothing new", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const user = await server.user();
    const worker = await rawWorker(token, space.name, 2);
    const held = await submit(user, space.id, { prompt: "in flight" });
    await worker.nextRequest();
    const workers = (await server.admin.get<{ workers: AdminWorkerView[] }>("/api/v1/admin/workers")).body.workers;
    const id = workers[0]?.connection_id ?? "";
    const drained = await server.admin.post<AdminWorkerView>(`/api/v1/admin/workers/${id}/drain`);
    expect(drained.body).toMatchObject({ draining: true, in_flight: 1 });
    const later = await submit(user, space.id, { prompt: "not for you" });
    expect((await worker.complete(held, { ok: true })).ok).toBe(true);
    expect((await user.get<RequestView>(`/api/v1/requests/${held}`)).body.state).toBe("completed");
    // A fresh worker takes the waiting request; the drained one never saw it.
    const fresh = await rawWorker(token, space.name);
    expect((await fresh.nextRequest()).request_id).toBe(later);
    expect(worker.requests.map((r) => r.request_id)).toEqual([held]);
    expect((await server.admin.post("/api/v1/admin/workers/wrk_nope/drain")).status).toBe(404);
  });

  it("pauses a space: 'reject' takes nothing, 'queue' takes requests but dispatches none until resumed", async () => {
    const { space, token } = await server.space();
    const user = await server.user();
    const worker = await rawWorker(token, space.name);
    await server.admin.patch(`/api/v1/spaces/${space.id}`, { pause: "reject" });
    const refused = await user.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "hello?" });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: "space_paused" } });

    await server.admin.patch(`/api/v1/spaces/${space.id}`, { pause: "queue" });
    const held = await submit(user, space.id, { prompt: "later" });
    expect((await server.admin.get<SpaceDetail>(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ pause: "queue", queue_length: 1 });
    expect(worker.requests).toHaveLength(0);

    await server.admin.patch(`/api/v1/spaces/${space.id}`, { pause: "off" });
    expect((await worker.nextRequest()).request_id).toBe(held);
    await eventually(async () => expect((await user.get<RequestView>(`/api/v1/requests/${held}`)).body.state).toBe("dispatched"));
  });
});
