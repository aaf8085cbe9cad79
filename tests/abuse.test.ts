import { Writable } from "node:stream";
import { sql } from "kysely";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp, defaultConfig, type WsSpacesApp } from "@wsspaces/server";
import type { SubmitResponse } from "@wsspaces/protocol";
import { createTestDatabase, type TestDatabase } from "./helpers/database.js";
import { ApiClient } from "./helpers/http.js";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, uniqueName, type TestServer } from "./helpers/server.js";

/** One socket flooding or sending oversized events, and an internal failure: contained and traceable. */
describe("abuse", () => {
  const cleanups: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function site(config: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
    const server = await startTestServer(config);
    cleanups.push(() => server.close());
    return server;
  }

  async function servesStill(server: TestServer, token: string, spaceName: string, spaceId: string): Promise<void> {
    const fresh = await RawWorker.connect(server.url, { token });
    cleanups.push(() => fresh.close());
    expect((await fresh.register({ space_name: spaceName })).success).toBe(true);
    const user = await server.user();
    const submitted = await user.post<SubmitResponse>(`/api/v1/spaces/${spaceId}/requests`, { prompt: "still there?" });
    expect(submitted.status).toBe(202);
    const request = await fresh.nextRequest();
    expect(await fresh.complete(request.request_id, { ok: true })).toEqual({ ok: true });
  }

  it("disconnects a socket that floods events, and goes on serving everyone else", async () => {
    const server = await site({ config: { workerEventsPerSecond: 200 } });
    const { space, token } = await server.space();
    const flooder = await RawWorker.connect(server.url, { token });
    cleanups.push(() => flooder.close());
    expect((await flooder.register({ space_name: space.name })).success).toBe(true);
    const gone = flooder.disconnected();
    for (let i = 0; i < 2000; i++) flooder.socket.emit("progress", { request_id: "req_nothing", progress: 0.5 });
    expect(await gone).toBe("io server disconnect");
    expect(server.app.gatewayStats.floodDisconnects).toBe(1);
    await servesStill(server, token, space.name, space.id);
  });

  it("closes a connection that sends an event over --max-socket-message-bytes", async () => {
    const server = await site({ config: { maxSocketMessageBytes: 64 * 1024 } });
    const { space, token } = await server.space();
    const big = await RawWorker.connect(server.url, { token });
    cleanups.push(() => big.close());
    expect((await big.register({ space_name: space.name })).success).toBe(true);
    const gone = big.disconnected();
    big.socket.emit("stream", { request_id: "req_nothing", chunk: "x".repeat(200 * 1024) });
    expect(await gone).toBe("transport close");
    await servesStill(server, token, space.name, space.id);
  });

  describe("an internal failure", () => {
    let database: TestDatabase;
    let app: WsSpacesApp;

    it("answers 500 internal with a correlation id found in the log, and nothing of the cause", async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          done();
        },
      });
      database = await createTestDatabase("sqlite");
      cleanups.push(() => database.drop());
      app = await buildApp(defaultConfig({ host: "127.0.0.1", port: 0, dataDir: database.dataDir, databaseUrl: database.databaseUrl }), { logger: pino({ level: "info" }, sink) });
      cleanups.push(() => app.close());
      const url = await app.listen();
      const user = await app.auth.createUser(uniqueName("owner"), "user-password", "user");
      const client = new ApiClient(url, (await app.auth.createApiKey(user.id, "t")).key);
      const adminUser = await app.auth.createUser(uniqueName("admin"), "admin-password", "admin");
      const admin = new ApiClient(url, (await app.auth.createApiKey(adminUser.id, "t")).key);
      const space = await admin.post<{ id: string }>("/api/v1/spaces", { name: uniqueName("Broken"), queue_offline: true });
      const submitted = await client.post<SubmitResponse>(`/api/v1/spaces/${space.body.id}/requests`, { prompt: "x" });

      // A table the route reads goes missing: an error no code path expects.
      await sql`drop table webhook_deliveries`.execute(app.db);
      const res = await client.get<{ error: { code: string; message: string; correlation_id: string } }>(`/api/v1/requests/${submitted.body.request_id}/webhooks`);
      expect(res.status).toBe(500);
      expect(res.body.error).toEqual({ code: "internal", message: "Something went wrong on our side.", correlation_id: expect.stringMatching(/^req-/) as unknown });
      expect(JSON.stringify(res.body)).not.toMatch(/webhook_deliveries|no such table|SQLITE|at \w+ \(/);

      const logged = lines.map((l) => JSON.parse(l) as { level: number; reqId?: string; err?: { message?: string; stack?: string } });
      const entry = logged.find((l) => l.reqId === res.body.error.correlation_id && l.level >= 50);
      expect(entry?.err?.message).toMatch(/no such table: webhook_deliveries/);
      expect(entry?.err?.stack).toBeTruthy();
    });
  });
});
