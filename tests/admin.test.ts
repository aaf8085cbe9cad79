import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AdminOverview, AdminUserView, AdminWorkerView, RequestView } from "@wsspaces/protocol";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

describe("admin routes", () => {
  let server: TestServer;
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server.close();
  });

  it("lists live workers with their spaces, address and load, to admins only", async () => {
    server = await startTestServer();
    const { space, token } = await server.space();
    const worker = await RawWorker.connect(server.url, { token });
    cleanups.push(() => worker.close());
    await worker.register({ space_name: space.name, capacity: 2, name: "gpu-box", version: "1.2" });
    const res = await server.admin.get<{ workers: AdminWorkerView[] }>("/api/v1/admin/workers");
    expect(res.status).toBe(200);
    expect(res.body.workers).toHaveLength(1);
    expect(res.body.workers[0]).toMatchObject({
      name: "gpu-box",
      version: "1.2",
      capacity: 2,
      in_flight: 0,
      spaces: [{ id: space.id, name: space.name }],
      address: expect.stringMatching(/127\.0\.0\.1/) as unknown,
      suspended: false,
      draining: false,
    });
    expect(res.body.workers[0]?.last_seen_at).toEqual(expect.any(String));
    const user = await server.user();
    expect((await user.get("/api/v1/admin/workers")).status).toBe(403);
    expect((await server.admin.withKey("").get("/api/v1/admin/workers")).status).toBe(401);
  });

  it("filters everyone's requests by space, state and user, naming the submitter", async () => {
    server = await startTestServer();
    const { space } = await server.space({ queue_offline: true });
    const other = await server.space({ queue_offline: true });
    const alice = await server.user();
    const bob = await server.user();
    await alice.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "a1" });
    await alice.post(`/api/v1/spaces/${other.space.id}/requests`, { prompt: "a2" });
    const b1 = await bob.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "b1" });
    await bob.post(`/api/v1/requests/${b1.body.request_id}/cancel`);

    const list = async (qs: string) => (await server.admin.get<{ requests: RequestView[] }>(`/api/v1/admin/requests${qs}`)).body.requests;
    expect((await list("")).length).toBe(3);
    expect((await list(`?space=${space.id}`)).map((r) => r.username).sort()).toEqual([alice.username, bob.username].sort());
    expect((await list(`?user=${alice.username.toUpperCase()}`)).every((r) => r.username === alice.username)).toBe(true);
    expect(await list(`?user=${alice.username}`)).toHaveLength(2);
    expect((await list("?state=cancelled")).map((r) => r.id)).toEqual([b1.body.request_id]);
    expect(await list("?user=nobody-at-all")).toEqual([]);
    expect((await server.admin.get("/api/v1/admin/requests?state=sideways")).status).toBe(400);
    expect((await alice.get("/api/v1/admin/requests")).status).toBe(403);
  });

  it("summarises the last hour for the overview page: traffic per minute, outcomes, percentiles per space", async () => {
    server = await startTestServer();
    const { space, token } = await server.space();
    const worker = await RawWorker.connect(server.url, { token });
    cleanups.push(() => worker.close());
    await worker.register({ space_name: space.name, capacity: 1 });
    const user = await server.user();
    for (let i = 0; i < 3; i++) {
      const res = await user.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: `p${i}` });
      const request = await worker.nextRequest();
      expect(request.request_id).toBe(res.body.request_id);
      if (i < 2) await worker.complete(request.request_id, { i });
      else await worker.emit("inference_result", { request_id: request.request_id, status: "failed", error: "boom" });
    }
    const res = await server.admin.get<AdminOverview>("/api/v1/admin/overview?minutes=60");
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({ submitted: 3, completed: 2, failed: 1, timed_out: 0, cancelled: 0 });
    expect(res.body.per_minute.length).toBeGreaterThanOrEqual(60);
    expect(res.body.per_minute.reduce((n, m) => n + m.submitted, 0)).toBe(3);
    expect(res.body.per_minute.reduce((n, m) => n + m.completed, 0)).toBe(2);
    const row = res.body.spaces.find((s) => s.space_id === space.id);
    expect(row).toMatchObject({ name: space.name, submitted: 3, completed: 2, failed: 1, workers: 1, queue_length: 0 });
    expect(row?.run_p50).toEqual(expect.any(Number));
    expect(row?.queue_wait_p95).toEqual(expect.any(Number));
    expect(res.body.workers_online).toBe(1);
    expect((await user.get("/api/v1/admin/overview")).status).toBe(403);
    expect((await server.admin.get("/api/v1/admin/overview?minutes=1")).status).toBe(400);
  });

  it("makes users admins and disables them (their keys stop working), but never removes the last admin", async () => {
    server = await startTestServer();
    const carol = await server.user();
    const users = (await server.admin.get<{ users: AdminUserView[] }>("/api/v1/admin/users")).body.users;
    expect(users.find((u) => u.id === carol.userId)).toMatchObject({ role: "user", disabled: false });

    const promoted = await server.admin.patch<AdminUserView>(`/api/v1/admin/users/${carol.userId}`, { role: "admin" });
    expect(promoted.body).toMatchObject({ role: "admin", disabled: false });
    expect((await carol.get("/api/v1/admin/users")).status).toBe(200);

    // Carol may not disable or demote herself…
    const self = await carol.patch(`/api/v1/admin/users/${carol.userId}`, { disabled: true });
    expect(self.status).toBe(409);
    // …but another admin may; her key stops working at once.
    expect((await server.admin.patch(`/api/v1/admin/users/${carol.userId}`, { disabled: true })).status).toBe(200);
    expect((await carol.get("/api/v1/me")).status).toBe(401);

    // The remaining admin is the last one: nobody can take that away.
    const me = (await server.admin.get<{ id: string }>("/api/v1/me")).body;
    expect((await server.admin.patch(`/api/v1/admin/users/${me.id}`, { role: "user" })).status).toBe(409);
    expect((await server.admin.patch(`/api/v1/admin/users/${carol.userId}`, {})).status).toBe(400);
    expect((await server.admin.patch("/api/v1/admin/users/usr_nope", { role: "admin" })).status).toBe(404);
  });
});

describe("web app serving", () => {
  let server: TestServer;

  afterEach(async () => {
    await server.close();
  });

  it("serves the built app for page paths, assets with long caching, and JSON 404s for the API", async () => {
    const webDir = mkdtempSync(join(tmpdir(), "wsspaces-web-"));
    mkdirSync(join(webDir, "assets"));
    writeFileSync(join(webDir, "index.html"), "<!doctype html><title>WebSocket Spaces</title><div id=root></div>");
    writeFileSync(join(webDir, "assets", "app-abc123.js"), "console.log('app')");
    server = await startTestServer({ config: { webDir } });

    for (const path of ["/", "/spaces/spc_123", "/admin/workers"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(await res.text()).toContain("<div id=root>");
    }
    const asset = await fetch(`${server.url}/assets/app-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toContain("immutable");

    const api = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: "not_found" } });
    const post = await fetch(`${server.url}/spaces/x`, { method: "POST" });
    expect(post.status).toBe(404);

    const seed = await fetch(`${server.url}/ai_project/spc_42`, { redirect: "manual" });
    expect(seed.status).toBe(301);
    expect(seed.headers.get("location")).toBe("/spaces/spc_42");
  });

  it("says how to build the app when it is missing", async () => {
    server = await startTestServer({ config: { webDir: mkdtempSync(join(tmpdir(), "wsspaces-noweb-")) } });
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("npm run build");
    expect((await fetch(`${server.url}/spaces/x`)).status).toBe(404);
  });
});
