import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpaceDetail, SpaceSummary, SubmitResponse, RequestView } from "@wsspaces/protocol";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, uniqueName, type TestServer } from "./helpers/server.js";

describe("spaces", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.close());

  it("lets admins create, read, update and delete spaces with defaults", async () => {
    const name = uniqueName("Whisper");
    const created = await server.admin.post<SpaceDetail>("/api/v1/spaces", { name, description: "speech to text", inputs: ["prompt", "audio"] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name,
      description: "speech to text",
      inputs: ["prompt", "audio"],
      timeout_seconds: 120,
      queue_offline: false,
      open_workers: false,
      connected: false,
      workers: 0,
      queue_length: 0,
      queue: [],
    });
    const patched = await server.admin.patch<SpaceDetail>(`/api/v1/spaces/${created.body.id}`, { timeout_seconds: 30, queue_offline: true });
    expect(patched.body).toMatchObject({ timeout_seconds: 30, queue_offline: true, name });

    const list = await server.admin.get<{ spaces: SpaceSummary[] }>("/api/v1/spaces");
    expect(list.body.spaces.map((s) => s.id)).toContain(created.body.id);

    expect((await server.admin.delete(`/api/v1/spaces/${created.body.id}`)).status).toBe(204);
    expect((await server.admin.get(`/api/v1/spaces/${created.body.id}`)).status).toBe(404);
    // The name is free again.
    expect((await server.admin.post("/api/v1/spaces", { name })).status).toBe(201);
  });

  it("keeps names unique regardless of case", async () => {
    const name = uniqueName("Unique");
    expect((await server.admin.post("/api/v1/spaces", { name })).status).toBe(201);
    const dup = await server.admin.post("/api/v1/spaces", { name: name.toUpperCase() });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ error: { code: "conflict" } });
  });

  it("validates space fields", async () => {
    const res = await server.admin.post("/api/v1/spaces", { name: "", inputs: ["smell"], timeout_seconds: 0 });
    expect(res.status).toBe(400);
    const fields = (res.body.error as { details: { field: string }[] }).details.map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["name", "inputs.0", "timeout_seconds"]));
  });

  it("allows only admins to manage spaces and tokens", async () => {
    const user = await server.user();
    const { space } = await server.space();
    expect((await user.post("/api/v1/spaces", { name: uniqueName("Nope") })).status).toBe(403);
    expect((await user.patch(`/api/v1/spaces/${space.id}`, { description: "x" })).status).toBe(403);
    expect((await user.delete(`/api/v1/spaces/${space.id}`)).status).toBe(403);
    expect((await user.post(`/api/v1/spaces/${space.id}/worker-tokens`, {})).status).toBe(403);
    expect((await user.get(`/api/v1/spaces/${space.id}/worker-tokens`)).status).toBe(403);
    const anonymous = await fetch(`${server.url}/api/v1/spaces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(anonymous.status).toBe(401);
    // Reading is public.
    expect((await user.get(`/api/v1/spaces/${space.id}`)).status).toBe(200);
  });

  it("shows a worker token once and stores only its hash", async () => {
    const { space } = await server.space();
    const created = await server.admin.post<{ id: string; token: string; prefix: string }>(`/api/v1/spaces/${space.id}/worker-tokens`, { name: "gpu box" });
    expect(created.body.token).toMatch(/^wss_/);
    const list = await server.admin.get<{ worker_tokens: Record<string, unknown>[] }>(`/api/v1/spaces/${space.id}/worker-tokens`);
    const listed = list.body.worker_tokens.find((t) => t.id === created.body.id);
    expect(listed).toMatchObject({ name: "gpu box", prefix: created.body.prefix, revoked_at: null });
    expect(listed).not.toHaveProperty("token");
    const stored = await server.app.db.selectFrom("worker_tokens").selectAll().where("id", "=", created.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(created.body.token);
  });

  it("shows connected workers live in the space view", async () => {
    const { space, token } = await server.space();
    const worker = await RawWorker.connect(server.url, { token });
    try {
      await worker.register({ space_name: space.name, name: "gpu-box", version: "1.2", capacity: 3 });
      const detail = await server.admin.get<SpaceDetail>(`/api/v1/spaces/${space.id}`);
      expect(detail.body).toMatchObject({ connected: true, workers: 1 });
      expect(detail.body.worker_list).toEqual([expect.objectContaining({ name: "gpu-box", version: "1.2", capacity: 3, in_flight: 0 })]);
    } finally {
      worker.close();
    }
  });

  it("shows a worker's connection id (its resume handle) to admins only", async () => {
    const { space, token } = await server.space();
    const worker = await RawWorker.connect(server.url, { token });
    try {
      const registered = await worker.register({ space_name: space.name });
      if (!registered.success) throw new Error("registration failed");
      const asAdmin = await server.admin.get<SpaceDetail>(`/api/v1/spaces/${space.id}`);
      expect(asAdmin.body.worker_list[0]!.connection_id).toBe(registered.connection_id);
      const asUser = await (await server.user()).get<SpaceDetail>(`/api/v1/spaces/${space.id}`);
      expect(asUser.body.worker_list[0]!.connection_id).toBeNull();
      expect(JSON.stringify(asUser.body)).not.toContain(registered.connection_id);
    } finally {
      worker.close();
    }
  });

  it("closing open registration disconnects the workers that came in without a token", async () => {
    const { space, token } = await server.space({ open_workers: true });
    const anonymous = await RawWorker.connect(server.url);
    const withToken = await RawWorker.connect(server.url, { token });
    try {
      const registered = await anonymous.register({ space_name: space.name });
      await withToken.register({ space_name: space.name });
      const gone = anonymous.disconnected();
      expect((await server.admin.patch(`/api/v1/spaces/${space.id}`, { open_workers: false })).status).toBe(200);
      await gone;
      expect(withToken.socket.connected).toBe(true);
      expect((await server.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 1 });
      // Without a credential there is nothing to prove it is the same worker: no resume.
      if (!registered.success) throw new Error("registration failed");
      const again = await RawWorker.connect(server.url);
      try {
        expect(await again.register({ space_name: space.name, resume_id: registered.connection_id })).toMatchObject({ success: false, code: "invalid_token" });
      } finally {
        again.close();
      }
    } finally {
      anonymous.close();
      withToken.close();
    }
  });

  it("deleting a space cancels its pending requests and disconnects its workers", async () => {
    const { space, token } = await server.space({ queue_offline: true });
    const worker = await RawWorker.connect(server.url, { token });
    await worker.register({ space_name: space.name });
    const running = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "a" });
    const queued = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "b" });
    await worker.nextRequest();
    const gone = worker.disconnected();
    expect((await server.admin.delete(`/api/v1/spaces/${space.id}`)).status).toBe(204);
    await gone;
    for (const id of [running.body.request_id, queued.body.request_id]) {
      expect((await server.admin.get<RequestView>(`/api/v1/requests/${id}`)).body.state).toBe("cancelled");
    }
  });
});
