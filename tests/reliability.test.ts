import { afterEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import type { RequestView, SubmitResponse } from "@wsspaces/protocol";
import { Worker } from "@wsspaces/worker";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { spawnCli, type Proc } from "./helpers/processes.js";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { TcpProxy } from "./helpers/tcp-proxy.js";
import { eventually } from "./helpers/wait.js";

/** The delivery guarantees of DESIGN.md §4 under faults, one targeted test each. */
describe("reliability", () => {
  const cleanups: (() => unknown)[] = [];
  const later = <T>(value: T, cleanup: (v: T) => unknown) => (cleanups.push(() => cleanup(value)), value);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server(config: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
    return later(await startTestServer(config), (s) => s.close());
  }

  function deferred() {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }

  it("keeps a worker's request when it resumes within the grace period, and takes the result it made while cut off", async () => {
    const site = await server({ config: { resumeGraceMs: 10_000 } });
    const { space, token } = await site.space();
    const proxy = later(TcpProxy.forUrl(site.url), (p) => p.close());
    const viaProxy = await proxy.start();
    const release = deferred();
    const started = deferred();
    const worker = later(new Worker({ server: viaProxy, token, spaces: [space.name], reconnectDelayMs: 50, reconnectDelayMaxMs: 100, transports: ["websocket"] }), (w) =>
      w.stop({ drainTimeoutMs: 0 }),
    );
    worker.handle(async () => {
      started.resolve();
      await release.promise;
      return { made: "while cut off" };
    });
    const registered = await worker.start();
    // The handler finishes while the connection is down: the result must wait and be delivered.
    worker.once("disconnected", () => release.resolve());

    const res = await site.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "blip" });
    await started.promise;
    proxy.dropAll();

    const done = await site.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}?wait=10`);
    expect(done.body).toMatchObject({ state: "completed", attempts: 1, result: { made: "while cut off" } });
    expect(worker.connectionId).toBe(registered.connection_id);
    const detail = await site.admin.get(`/api/v1/spaces/${space.id}`);
    expect(detail.body).toMatchObject({ connected: true, workers: 1 });
  });

  it("gives a vanished worker's request to another worker once the grace period is over", async () => {
    const site = await server({ config: { resumeGraceMs: 300 } });
    const { space, token } = await site.space();
    const proxy = later(TcpProxy.forUrl(site.url), (p) => p.close());
    const viaProxy = await proxy.start();
    const cutOff = later(new Worker({ server: viaProxy, token, spaces: [space.name], reconnectDelayMs: 50, reconnectDelayMaxMs: 100, transports: ["websocket"] }), (w) =>
      w.stop({ drainTimeoutMs: 0 }),
    );
    const release = deferred();
    const started = deferred();
    cutOff.handle(async () => {
      started.resolve();
      await release.promise;
      return { by: "cut off" };
    });
    await cutOff.start();
    const res = await site.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "x" });
    await started.promise;
    proxy.refuse(true);
    proxy.dropAll();
    await eventually(async () => expect((await site.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.state).toBe("queued"));

    const rescuer = later(new Worker({ server: site.url, token, spaces: [space.name] }), (w) => w.stop({ drainTimeoutMs: 0 }));
    await rescuer.handle(() => ({ by: "rescuer" })).start();
    const done = await site.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}?wait=10`);
    expect(done.body).toMatchObject({ state: "completed", attempts: 2, result: { by: "rescuer" } });

    // The first worker comes back too late: its result is refused, the recorded one stands.
    release.resolve();
    proxy.refuse(false);
    await eventually(async () => expect((await site.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 2 }));
    await eventually(() => expect(cutOff.stats().completed + cutOff.stats().failed).toBe(1));
    expect((await site.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.result).toEqual({ by: "rescuer" });
  });

  it("detects a half-open worker by its missing heartbeat", async () => {
    const site = await server({ config: { resumeGraceMs: 200, pingIntervalMs: 100, pingTimeoutMs: 200 } });
    const { space, token } = await site.space();
    const frozen = later(spawnCli(["worker", "--server", site.url, "--token", token, "--space", space.name, "--mock", "--min-ms", "60000", "--max-ms", "60000"]), (p: Proc) => p.kill());
    await eventually(async () => expect((await site.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 1 }));
    const res = await site.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "x" });
    await eventually(async () => expect((await site.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.state).toBe("running"));

    // A stopped process keeps its TCP connection open but answers nothing: half-open.
    frozen.child.kill("SIGSTOP");
    cleanups.push(() => frozen.child.kill("SIGCONT"));
    await eventually(async () => expect((await site.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ connected: false, workers: 0 }), { timeoutMs: 5000 });
    await eventually(async () => expect((await site.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.state).toBe("queued"), { timeoutMs: 5000 });
  });

  it("enforces deadlines across a restart", async () => {
    const database = later(await createTestDatabase("sqlite"), (d: TestDatabase) => d.drop());
    const first = await startTestServer({ database });
    const { space } = await first.space({ queue_offline: true, timeout_seconds: 60 });
    const res = await first.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "stale" });
    await first.close();

    // The second run starts two minutes later: the deadline passed while nothing was running.
    const inTwoMinutes = { now: () => Date.now() + 120_000 };
    const second = await startTestServer({ database, clock: inTwoMinutes });
    cleanups.push(() => second.close());
    const view = await second.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`);
    expect(view.body).toMatchObject({ state: "timed_out", error: { code: "timed_out" } });
  });

  it("answers 503 when the database cannot write, and loses nothing", async () => {
    const site = await server();
    const { space, token } = await site.space({ queue_offline: true });
    const before = await site.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "before" });
    expect(before.status).toBe(202);
    // A full disk, for real: SQLite may not grow the file by a single page.
    const { rows } = await sql<{ page_count: number }>`pragma page_count`.execute(site.app.db);
    await sql.raw(`pragma max_page_count = ${rows[0]!.page_count}`).execute(site.app.db);
    const refused = await site.admin.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "x".repeat(20_000) });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: "unavailable" } });
    expect(refused.headers.get("retry-after")).toBe("5");

    await sql.raw(`pragma max_page_count = 1073741823`).execute(site.app.db);
    const list = await site.admin.get<{ requests: RequestView[] }>(`/api/v1/requests?space=${space.id}`);
    expect(list.body.requests.map((r) => r.id)).toEqual([before.body.request_id]);
    const worker = await RawWorker.connect(site.url, { token });
    cleanups.push(() => worker.close());
    await worker.register({ space_name: space.name });
    expect((await worker.nextRequest()).request_id).toBe(before.body.request_id);
  });
});
