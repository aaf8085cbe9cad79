import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "./helpers/http.js";
import { startTestServer, uniqueName, type TestServer } from "./helpers/server.js";

describe("auth", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.close());

  it("registers, signs in with a cookie session, and signs out", async () => {
    const browser = new ApiClient(server.url);
    const name = uniqueName("reg");
    const registered = await browser.register(name, "correct horse battery");
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ username: name, role: "user", csrf_token: expect.any(String) as unknown });
    const cookie = registered.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/wsspaces_session=ses_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const me = await browser.get("/api/v1/me");
    expect(me.body).toMatchObject({ username: name });
    expect(me.body).not.toHaveProperty("password_hash");

    expect((await browser.post("/api/v1/auth/logout")).status).toBe(204);
    // The old cookie no longer opens anything: the session is gone server-side.
    expect((await browser.get("/api/v1/me")).status).toBe(401);
  });

  it("rotates the session at login", async () => {
    const name = uniqueName("rot");
    await server.app.auth.createUser(name, "a-long-password", "user");
    const first = new ApiClient(server.url);
    const a = await first.login(name, "a-long-password");
    const b = await first.login(name, "a-long-password");
    expect(a.headers.get("set-cookie")).not.toBe(b.headers.get("set-cookie"));
    expect(a.body.csrf_token).not.toBe(b.body.csrf_token);
  });

  it("refuses wrong passwords and unknown users alike", async () => {
    const name = uniqueName("pw");
    await server.app.auth.createUser(name, "the-right-password", "user");
    const wrong = await new ApiClient(server.url).login(name, "the-wrong-password");
    const unknown = await new ApiClient(server.url).login(uniqueName("ghost"), "the-wrong-password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...(body.error as object), correlation_id: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body).toMatchObject({ error: { code: "invalid_credentials" } });
  });

  it("validates registration input with field messages", async () => {
    const res = await new ApiClient(server.url).register("x", "short");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: { code: "validation_failed", details: expect.arrayContaining([expect.objectContaining({ field: "username" }), expect.objectContaining({ field: "password" })]) as unknown },
    });
    const taken = uniqueName("dup");
    await new ApiClient(server.url).register(taken, "long-enough-password");
    const dup = await new ApiClient(server.url).register(taken.toUpperCase(), "long-enough-password");
    expect(dup.status).toBe(409);
  });

  it("requires the CSRF token for cookie-authenticated unsafe requests", async () => {
    const { space } = await server.space({ queue_offline: true });
    const browser = new ApiClient(server.url);
    await browser.register(uniqueName("csrf"), "long-enough-password");
    const withToken = await browser.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "ok" });
    expect(withToken.status).toBe(202);
    const wrongToken = await browser.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "forged" }, { "x-csrf-token": "nope" });
    expect(wrongToken.status).toBe(403);
    expect(wrongToken.body).toMatchObject({ error: { code: "csrf_failed" } });
    browser.forgetCsrf();
    const noToken = await browser.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "forged" });
    expect(noToken.status).toBe(403);
  });

  it("refuses cookie-authenticated requests from another origin", async () => {
    const { space } = await server.space({ queue_offline: true });
    const browser = new ApiClient(server.url);
    await browser.register(uniqueName("origin"), "long-enough-password");
    const res = await browser.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "x" }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
  });

  it("creates, uses and revokes API keys", async () => {
    const browser = new ApiClient(server.url);
    await browser.register(uniqueName("keys"), "long-enough-password");
    const created = await browser.post<{ id: string; key: string; prefix: string }>("/api/v1/me/api-keys", { name: "laptop" });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^wsk_/);
    const listed = await browser.get<{ api_keys: Record<string, unknown>[] }>("/api/v1/me/api-keys");
    expect(listed.body.api_keys).toHaveLength(1);
    expect(listed.body.api_keys[0]).not.toHaveProperty("key");

    const bearer = new ApiClient(server.url, created.body.key);
    expect((await bearer.get("/api/v1/me")).status).toBe(200);
    expect((await browser.delete(`/api/v1/me/api-keys/${created.body.id}`)).status).toBe(204);
    const revoked = await bearer.get("/api/v1/me");
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ error: { code: "unauthenticated" } });
  });

  it("slows down password guessing per user and per client address", async () => {
    const guarded = await startTestServer({ config: { loginMaxFailures: 3, loginWindowMs: 60_000 } });
    try {
      const name = uniqueName("victim");
      await guarded.app.auth.createUser(name, "the-real-password", "user");
      for (let i = 0; i < 3; i++) expect((await new ApiClient(guarded.url).login(name, `guess-${i}`)).status).toBe(401);
      // Even the right password is refused now: the limit holds before any hash is computed.
      const blocked = await new ApiClient(guarded.url).login(name, "the-real-password");
      expect(blocked.status).toBe(429);
      expect(blocked.body).toMatchObject({ error: { code: "rate_limited" } });
      expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
      // The same address trying another account is limited too.
      expect((await new ApiClient(guarded.url).login(uniqueName("other"), "whatever")).status).toBe(429);
    } finally {
      await guarded.close();
    }
  });

  it("turns registration off with --registration closed", async () => {
    const closed = await startTestServer({ config: { registration: "closed" } });
    try {
      const res = await new ApiClient(closed.url).register(uniqueName("late"), "long-enough-password");
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: { code: "registration_closed" } });
    } finally {
      await closed.close();
    }
  });

  it("answers unknown routes and health checks", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: "ready" });
    const missing = await fetch(`${server.url}/api/v1/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
