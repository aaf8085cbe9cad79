import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestView } from "@wsspaces/protocol";
import { renderConfigurationDoc } from "@wsspaces/server";
import { ApiClient } from "./helpers/http.js";
import { runCli, spawnServer, type Proc } from "./helpers/processes.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const dirs: string[] = [];
const procs: Proc[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const proc of procs.splice(0)) await proc.kill("SIGTERM");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("backup and restore", () => {
  it("backs up a live SQLite database and restores it into a working server with every request", async () => {
    const data = tempDir("wsspaces-live-");
    const env = { WSSPACES_DATABASE_URL: "", WSSPACES_USER_QUEUE_LIMIT: "100" };
    expect((await runCli(["admin", "create", "--username", "root", "--password", "root-password", "--data", data], env)).code).toBe(0);
    const space = JSON.parse((await runCli(["space", "create", "--name", "Keep", "--queue-offline", "--json", "--data", data], env)).stdout) as { id: string };
    const key = JSON.parse((await runCli(["apikey", "create", "--username", "root", "--json", "--data", data], env)).stdout) as { key: string };
    const live = await spawnServer(data, env);
    procs.push(live.proc);
    const client = new ApiClient(live.url, key.key);
    const submitted: string[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await client.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: `keep ${i}` });
      expect(res.status).toBe(202);
      submitted.push(res.body.request_id);
    }
    await client.post(`/api/v1/requests/${submitted[0]}/cancel`);

    // Taken while the server runs and holds the database open.
    const file = join(tempDir("wsspaces-backup-"), "backup.db");
    const backup = await runCli(["backup", "--out", file, "--data", data, "--json"], env);
    expect(backup.code).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ requests: 25, users: 1, spaces: 1 });
    expect((await runCli(["backup", "--out", file, "--data", data], env)).code).toBe(2);

    const restoredData = tempDir("wsspaces-restored-");
    const restore = await runCli(["restore", "--from", file, "--data", restoredData], env);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain("restored 25 requests");
    const restored = await spawnServer(restoredData, env);
    procs.push(restored.proc);
    const list = await new ApiClient(restored.url, key.key).get<{ requests: RequestView[] }>("/api/v1/requests?limit=200");
    expect(list.status).toBe(200);
    expect(list.body.requests.map((r) => r.id).sort()).toEqual([...submitted].sort());
    expect(list.body.requests.find((r) => r.id === submitted[0])?.state).toBe("cancelled");
    expect(list.body.requests.filter((r) => r.state === "queued")).toHaveLength(24);

    // Restoring over an existing database keeps the old one aside rather than losing it.
    await restored.proc.kill("SIGTERM");
    expect((await runCli(["restore", "--from", file, "--data", restoredData], env)).code).toBe(0);
    expect(readdirSync(restoredData).some((f) => f.startsWith("wsspaces.db.pre-restore-"))).toBe(true);
  });

  it("refuses a file that is not a WebSocket Spaces database, and PostgreSQL with a pg_dump hint", async () => {
    const dir = tempDir("wsspaces-bad-");
    const junk = join(dir, "junk.db");
    writeFileSync(junk, "this is not sqlite");
    const bad = await runCli(["restore", "--from", junk, "--data", dir], { WSSPACES_DATABASE_URL: "" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a readable SQLite database/);
    const pg = await runCli(["backup", "--out", join(dir, "x.db")], { WSSPACES_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test" });
    expect(pg.code).toBe(2);
    expect(pg.stderr).toContain("pg_dump");
  });
});

describe("retention", () => {
  let server: TestServer;
  afterEach(async () => {
    await server.close();
  });

  it("deletes only finished requests older than the retention period, and expired sessions", async () => {
    let now = Date.now();
    server = await startTestServer({ config: { retentionDays: 7, sessionTtlMs: 3_600_000 }, clock: { now: () => now } });
    const { space } = await server.space({ queue_offline: true });
    const user = await server.user();
    const old = await user.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "old" });
    await user.post(`/api/v1/requests/${old.body.request_id}/cancel`);
    const stillQueued = await user.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "waiting" });
    const browser = new ApiClient(server.url);
    expect((await browser.login(user.username, "user-password")).status).toBe(200);

    now += 8 * 86_400_000;
    const recent = await user.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "recent" });
    await user.post(`/api/v1/requests/${recent.body.request_id}/cancel`);
    now += 86_400_000; // The recent request is a day old; the old one nine days.

    const swept = await server.app.retention.sweep();
    expect(swept).toEqual({ requests: 1, sessions: 1, files: 0 });
    expect((await user.get(`/api/v1/requests/${old.body.request_id}`)).status).toBe(404);
    expect((await user.get(`/api/v1/requests/${recent.body.request_id}`)).status).toBe(200);
    // Queued for nine days, but not finished: never deleted.
    expect((await user.get(`/api/v1/requests/${stillQueued.body.request_id}`)).body).toMatchObject({ state: "queued" });
    expect((await server.app.retention.sweep()).requests).toBe(0);
  });
});

describe("configuration", () => {
  it("is documented in docs/configuration.md, generated from the option table", () => {
    const doc = readFileSync(new URL("../docs/configuration.md", import.meta.url), "utf8");
    expect(doc, "docs/configuration.md is stale: run node scripts/write-config-docs.mjs").toBe(renderConfigurationDoc());
  });

  it("takes flags over environment over the config file, and prints it with secrets redacted", async () => {
    const dir = tempDir("wsspaces-config-");
    const file = join(dir, "wsspaces.json");
    writeFileSync(file, JSON.stringify({ port: 7001, "max-attempts": 5, "retention-days": 30, "metrics-token": "file-secret" }));
    const res = await runCli(["serve", "--config", file, "--port", "7002", "--print-config"], {
      WSSPACES_MAX_ATTEMPTS: "4",
      WSSPACES_DATABASE_URL: "postgres://app:hunter2@db.internal/wsspaces",
    });
    expect(res.code).toBe(0);
    const printed = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({ port: 7002, "max-attempts": 4, "retention-days": 30, "metrics-token": "(redacted)" });
    expect(printed["database-url"]).toBe("postgres://app:redacted@db.internal/wsspaces");
    expect(res.stdout).not.toContain("hunter2");
    expect(res.stdout).not.toContain("file-secret");

    writeFileSync(file, JSON.stringify({ prot: 7001 }));
    const typo = await runCli(["serve", "--config", file, "--print-config"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown setting(s) prot");
    const bad = await runCli(["serve", "--print-config"], { WSSPACES_PORT: "seventy" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("WSSPACES_PORT");
  });
});
