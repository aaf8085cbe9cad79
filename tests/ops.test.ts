import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Worker, createMockHandler } from "@wsspaces/worker";
import { createTestDatabase, DIALECTS } from "./helpers/database.js";
import { ApiClient } from "./helpers/http.js";
import { runCli, spawnServer } from "./helpers/processes.js";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { TcpProxy } from "./helpers/tcp-proxy.js";
import { eventually } from "./helpers/wait.js";

/** One sample's value from Prometheus text, or undefined if the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? "", m[2] ?? ""]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

describe("operations", () => {
  let server: TestServer;
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server.close();
  });

  async function scrape(headers: Record<string, string> = {}): Promise<string> {
    const res = await fetch(`${server.url}/metrics`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  }

  it("exposes metrics that move as requests flow", async () => {
    server = await startTestServer();
    const { space, token } = await server.space({ queue_offline: true });
    const before = await scrape();
    expect(sample(before, "wsspaces_requests_submitted_total", { space: space.id })).toBeUndefined();
    expect(sample(before, "wsspaces_process_resident_memory_bytes")).toBeGreaterThan(0);

    const user = await server.user();
    await user.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "one" });
    await user.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "two" });
    const queued = await scrape();
    expect(sample(queued, "wsspaces_requests_submitted_total", { space: space.id })).toBe(2);
    expect(sample(queued, "wsspaces_requests_active", { space: space.id, state: "queued" })).toBe(2);
    expect(sample(queued, "wsspaces_queue_oldest_seconds", { space: space.id })).toBeGreaterThanOrEqual(0);
    expect(sample(queued, "wsspaces_workers_connected", { space: space.id })).toBeUndefined();

    const worker = new Worker({ server: server.url, token, spaces: [space.name], capacity: 3 });
    cleanups.push(() => worker.stop({ drainTimeoutMs: 0 }));
    worker.handle(createMockHandler({ minMs: 0, maxMs: 0 }));
    await worker.start();
    await eventually(async () => {
      const after = await scrape();
      expect(sample(after, "wsspaces_requests_finished_total", { space: space.id, state: "completed" })).toBe(2);
      expect(sample(after, "wsspaces_requests_active", { space: space.id, state: "queued" })).toBeUndefined();
      expect(sample(after, "wsspaces_queue_wait_seconds_count", { space: space.id })).toBe(2);
      expect(sample(after, "wsspaces_run_seconds_count", { space: space.id })).toBe(2);
      expect(sample(after, "wsspaces_end_to_end_seconds_count", { space: space.id, state: "completed" })).toBe(2);
      expect(sample(after, "wsspaces_workers_connected", { space: space.id })).toBe(1);
      expect(sample(after, "wsspaces_worker_capacity", { space: space.id })).toBe(3);
    });

    // Refusals are counted by code.
    const missing = await user.post(`/api/v1/spaces/spc_missing/requests`, { prompt: "x" });
    expect(missing.status).toBe(404);
    expect(sample(await scrape(), "wsspaces_http_errors_total", { code: "not_found" })).toBeGreaterThanOrEqual(1);
  });

  it("asks for the metrics token when one is configured", async () => {
    server = await startTestServer({ config: { metricsToken: "scrape-secret" } });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect(await scrape({ authorization: "Bearer scrape-secret" })).toContain("wsspaces_requests_finished_total");
  });

  it.runIf(DIALECTS.includes("postgres"))("reports not ready while the database is unreachable, and ready again after", async () => {
    const database = await createTestDatabase("postgres");
    const target = new URL(database.databaseUrl ?? "");
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    cleanups.push(() => database.drop());
    cleanups.push(() => proxy.close());
    const port = new URL(await proxy.start()).port;
    target.port = port;
    server = await startTestServer({ database: { ...database, databaseUrl: target.toString(), drop: () => Promise.resolve() } });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    proxy.refuse(true);
    proxy.dropAll();
    await eventually(async () => {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: "unavailable", error: { code: "unavailable" } });
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    proxy.refuse(false);
    await eventually(async () => expect((await fetch(`${server.url}/readyz`)).status).toBe(200), { timeoutMs: 15_000 });
  });
});

describe("logs", () => {
  it("carry correlation ids and never a password, API key, worker token or session cookie", async () => {
    const data = mkdtempSync(join(tmpdir(), "wsspaces-logs-"));
    const { proc, url } = await spawnServer(data, { WSSPACES_LOG_LEVEL: "debug", WSSPACES_LOG_FORMAT: "json", WSSPACES_DATABASE_URL: "" });
    const lines = proc.lines;
    try {
      const password = "correct-horse-battery-staple";
      const browser = new ApiClient(url);
      expect((await browser.register("logwatcher", password)).status).toBe(201);
      expect((await browser.login("logwatcher", "wrong-password-here")).status).toBe(401);
      const login = await browser.login("logwatcher", password);
      const cookie = /wsspaces_session=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1] ?? "";
      const key = (await browser.post<{ key: string }>("/api/v1/me/api-keys", { name: "logs" })).body.key;
      const admin = await runCli(["admin", "create", "--username", "boss", "--password", "boss-password-1", "--data", data], { WSSPACES_DATABASE_URL: "" });
      expect(admin.code).toBe(0);
      const space = JSON.parse((await runCli(["space", "create", "--name", "Logs", "--json", "--data", data], { WSSPACES_DATABASE_URL: "" })).stdout) as { id: string; worker_token: string };
      const worker = await RawWorker.connect(url, { token: space.worker_token, tokenInQuery: true });
      await worker.register({ space_name: "Logs" });
      const res = await new ApiClient(url, key).post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "log me" });
      const request = await worker.nextRequest();
      await worker.complete(request.request_id, { ok: true });
      await eventually(() => expect(lines.some((l) => l.includes('"request finished"') && l.includes(res.body.request_id))).toBe(true));
      worker.close();

      const text = lines.join("\n");
      for (const secret of [password, "boss-password-1", key, space.worker_token, cookie]) {
        expect(secret.length).toBeGreaterThan(8);
        expect(text).not.toContain(secret);
      }
      // Every line about an HTTP request carries its correlation id; dispatch lines name both ends.
      const parsed = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
      const httpLines = parsed.filter((l) => l.req !== undefined || l.res !== undefined);
      expect(httpLines.length).toBeGreaterThan(5);
      expect(httpLines.every((l) => typeof l.reqId === "string" && l.reqId.startsWith("req-"))).toBe(true);
      expect(parsed.some((l) => l.msg === "dispatched" && l.requestId === res.body.request_id && typeof l.workerId === "string")).toBe(true);
    } finally {
      await proc.kill("SIGTERM");
      rmSync(data, { recursive: true, force: true });
    }
  });
});
