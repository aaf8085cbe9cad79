import { afterEach, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import type { LiveClientToServerEvents, LiveServerToClientEvents, RequestView, SpaceDetail, SpaceStatusEvent } from "@wsspaces/protocol";
import { Worker } from "@wsspaces/worker";
import { createTestDatabase, DIALECTS, type TestDatabase } from "./helpers/database.js";
import { ApiClient } from "./helpers/http.js";
import { runCli, spawnServer, type Proc } from "./helpers/processes.js";
import { RawWorker } from "./helpers/raw-worker.js";
import { TcpProxy } from "./helpers/tcp-proxy.js";
import { eventually } from "./helpers/wait.js";

type LiveSocket = Socket<LiveServerToClientEvents, LiveClientToServerEvents>;

/**
 * Several `wsspaces serve` processes on one PostgreSQL schema (DESIGN.md §8): any node takes
 * submissions for workers on any other, live status is cluster-wide, and a dead node's work is
 * taken over by the survivors.
 */
describe.runIf(DIALECTS.includes("postgres"))("multi-node on PostgreSQL", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function cluster(nodes: number) {
    const database: TestDatabase = await createTestDatabase("postgres");
    cleanups.push(() => database.drop());
    const env = {
      WSSPACES_DATABASE_URL: database.databaseUrl ?? "",
      WSSPACES_CLUSTER: "1",
      WSSPACES_NODE_LEASE_MS: "3000",
      WSSPACES_SUBMITS_PER_MINUTE: "0",
      WSSPACES_USER_QUEUE_LIMIT: "100000",
      WSSPACES_RESUME_GRACE_MS: "20000",
    };
    expect((await runCli(["admin", "create", "--username", "root", "--password", "root-password"], env)).code).toBe(0);
    const space = JSON.parse((await runCli(["space", "create", "--name", "Shared", "--max-queue", "100000", "--json"], env)).stdout) as { id: string; worker_token: string };
    const other = JSON.parse((await runCli(["space", "create", "--name", "Other", "--queue-offline", "--json"], env)).stdout) as { id: string; worker_token: string };
    const key = (JSON.parse((await runCli(["apikey", "create", "--username", "root", "--json"], env)).stdout) as { key: string }).key;
    const started: { proc: Proc; url: string; api: ApiClient }[] = [];
    for (let i = 0; i < nodes; i++) {
      // One after the other, so that the first applies the migrations.
      const node = await spawnServer(database.dataDir, env);
      cleanups.push(() => node.proc.kill("SIGKILL"));
      const api = new ApiClient(node.url, key);
      api.timeoutMs = 60_000;
      started.push({ ...node, api });
    }
    return { nodes: started, space, other, key };
  }

  function live(url: string): Promise<LiveSocket> {
    const socket: LiveSocket = io(`${url}/live`, { transports: ["websocket"], reconnection: false, forceNew: true });
    cleanups.push(() => socket.close());
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", reject);
    });
  }

  // Three server processes and 1,000 requests on two shared cores: give it room.
  it("serves a worker on node A to submissions on B and C, with status, cancel and revocation crossing nodes", { timeout: 120_000 }, async () => {
    const { nodes, space, other } = await cluster(3);
    const [a, b, c] = nodes;
    if (!a || !b || !c) throw new Error("three nodes expected");

    const watcher = await live(c.url);
    const statuses: SpaceStatusEvent[] = [];
    watcher.on("space_status", (s) => statuses.push(s));
    expect(await watcher.emitWithAck("subscribe_spaces", { space_ids: [space.id] })).toEqual({ ok: true });
    await eventually(() => expect(statuses.at(-1)).toMatchObject({ connected: false }));

    const handled: string[] = [];
    const worker = new Worker({ server: a.url, token: space.worker_token, capacity: 8, name: "on-a" });
    cleanups.push(() => worker.stop({ drainTimeoutMs: 0 }));
    worker.handle((request) => {
      handled.push(request.request_id);
      return { echo: request.payload.prompt };
    });
    await worker.start();
    // A /live client on C sees the worker that connected to A, and so does B's API.
    await eventually(() => expect(statuses.at(-1)).toMatchObject({ connected: true, workers: 1 }), { timeoutMs: 15_000 });
    expect((await b.api.get<SpaceDetail>(`/api/v1/spaces/${space.id}`)).body.workers).toBe(1);

    for (const node of [b, c]) {
      const res = await node.api.post<RequestView>(`/api/v1/spaces/${space.id}/requests?wait=30`, { prompt: `via ${node.url}` });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ state: "completed", result: { echo: `via ${node.url}` } });
    }

    // A second worker, on B: the 1,000 requests below are shared by workers on two nodes.
    const second = new Worker({ server: b.url, token: space.worker_token, capacity: 8, name: "on-b" });
    cleanups.push(() => second.stop({ drainTimeoutMs: 0 }));
    const handledOnB: string[] = [];
    second.handle((request) => {
      handled.push(request.request_id);
      handledOnB.push(request.request_id);
      return { echo: request.payload.prompt };
    });
    await second.start();
    await eventually(() => expect(statuses.at(-1)).toMatchObject({ workers: 2 }), { timeoutMs: 15_000 });

    // 1,000 requests spread over the three nodes: each completes, and is run exactly once.
    const total = 1000;
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const node = nodes[next % 3] ?? a;
          next++;
          const res = await node.api.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "x" });
          expect(res.status).toBe(202);
          ids.push(res.body.request_id);
        }
      }),
    );
    await eventually(async () => {
      const done = await c.api.get<{ requests: RequestView[] }>(`/api/v1/requests?space=${space.id}&state=completed&limit=200`);
      expect(done.body.requests.length).toBe(200);
      expect(new Set(handled).size).toBeGreaterThanOrEqual(total + 2);
    }, { timeoutMs: 90_000 });
    expect(handled.length).toBe(new Set(handled).size);
    for (const id of ids) expect(handled).toContain(id);
    // Both workers took part.
    expect(handledOnB.length).toBeGreaterThan(0);
    expect(handled.length - handledOnB.length).toBeGreaterThan(0);
    console.log(
      `cluster: nodes=3 workers=2 requests=${total + 2} on_a=${handled.length - handledOnB.length} on_b=${handledOnB.length} duplicated=${handled.length - new Set(handled).size}`,
    );

    // A cancel made on C reaches a worker connected to A.
    const raw = await RawWorker.connect(a.url, { token: other.worker_token });
    cleanups.push(() => raw.close());
    expect((await raw.register({ capacity: 1 })).success).toBe(true);
    const held = await b.api.post<{ request_id: string }>(`/api/v1/spaces/${other.id}/requests`, { prompt: "stop" });
    await raw.nextRequest(15_000);
    expect((await c.api.post<RequestView>(`/api/v1/requests/${held.body.request_id}/cancel`)).body.state).toBe("cancelled");
    await eventually(() => expect(raw.cancels).toEqual([{ request_id: held.body.request_id, reason: "cancelled" }]));

    // Revoking its token on B closes the worker's connection on A.
    const tokens = await b.api.get<{ worker_tokens: { id: string }[] }>(`/api/v1/spaces/${other.id}/worker-tokens`);
    const gone = raw.disconnected();
    const revokedAt = Date.now();
    expect((await b.api.delete(`/api/v1/spaces/${other.id}/worker-tokens/${tokens.body.worker_tokens[0]?.id}`)).status).toBe(204);
    await gone;
    expect(Date.now() - revokedAt).toBeLessThan(2000);
  });

  it("takes over a dead node's requests: the worker reconnects to a survivor and every request completes", { timeout: 90_000 }, async () => {
    const { nodes, space } = await cluster(2);
    const [a, b] = nodes;
    if (!a || !b) throw new Error("two nodes expected");
    // The worker reaches the site through a "load balancer" that points at A for now.
    const balancer = new TcpProxy({ host: "127.0.0.1", port: Number(new URL(a.url).port) });
    cleanups.push(() => balancer.close());
    const site = await balancer.start();

    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started = new Set<string>();
    const worker = new Worker({ server: site, token: space.worker_token, capacity: 4, reconnectDelayMs: 200, reconnectDelayMaxMs: 1000 });
    cleanups.push(() => worker.stop({ drainTimeoutMs: 0 }));
    worker.handle(async (request) => {
      started.add(request.request_id);
      await gate;
      return { done: request.request_id };
    });
    await worker.start();
    // B learns of A's workers from A's announcement.
    await eventually(async () => expect((await b.api.get<SpaceDetail>(`/api/v1/spaces/${space.id}`)).body.workers).toBe(1));

    const accepts = new Map<string, number>();
    worker.on("delivered", (requestId, outcome) => {
      if (outcome === "accepted") accepts.set(requestId, (accepts.get(requestId) ?? 0) + 1);
    });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await b.api.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: `held ${i}` })).body.request_id);
    await eventually(() => expect(started.size).toBe(4), { timeoutMs: 15_000 });

    // Node A dies without a word, with 4 requests running and 16 waiting; the balancer sends
    // new connections to B.
    await a.proc.kill("SIGKILL");
    balancer.retarget(b.url);
    balancer.dropAll();
    release();

    const views = await eventually(async () => {
      const all = await Promise.all(ids.map(async (id) => (await b.api.get<RequestView>(`/api/v1/requests/${id}`)).body));
      expect(all.filter((v) => v.state === "completed")).toHaveLength(ids.length);
      return all;
    }, { timeoutMs: 60_000 });
    expect(views.map((v) => v.result)).toEqual(ids.map((id) => ({ done: id })));
    const lost = views.filter((v) => v.state !== "completed").length;
    const duplicated = ids.filter((id) => (accepts.get(id) ?? 0) > 1).length;
    console.log(`cluster-faults: accepted=${ids.length} completed=${ids.length - lost} lost=${lost} duplicated=${duplicated} node_kills=1`);
    expect(duplicated).toBe(0);
  });
});
