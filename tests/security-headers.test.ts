import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers/server.js";

describe("security headers and submission limits", () => {
  let server: TestServer;

  afterEach(async () => {
    await server.close();
  });

  it("sends a strict Content-Security-Policy and the usual hardening headers", async () => {
    server = await startTestServer();
    for (const path of ["/", "/api/v1/spaces", "/api/v1/nope"]) {
      const res = await fetch(`${server.url}${path}`);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain("unsafe-eval");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      // Plain HTTP: no HSTS, which would pin browsers to an HTTPS the site may not have.
      expect(res.headers.get("strict-transport-security")).toBeNull();
    }
  });

  it("pins browsers to HTTPS only behind a TLS proxy", async () => {
    server = await startTestServer({ config: { trustProxy: true } });
    const res = await fetch(`${server.url}/api/v1/spaces`);
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(res.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");
  });

  it("limits submissions per user per minute with 429 rate_limited and Retry-After, per user", async () => {
    let now = Date.now();
    server = await startTestServer({ config: { submitsPerMinute: 3, userQueueLimit: 100 }, clock: { now: () => now } });
    const { space } = await server.space({ queue_offline: true });
    const alice = await server.user();
    const bob = await server.user();
    const submit = (who: typeof alice) => who.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "hi" });
    for (let i = 0; i < 3; i++) expect((await submit(alice)).status).toBe(202);
    const refused = await submit(alice);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: "rate_limited" } });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Nothing was stored for the refused one.
    expect((await server.admin.get<{ queue_length: number }>(`/api/v1/spaces/${space.id}`)).body.queue_length).toBe(3);
    // Bob has his own allowance.
    expect((await submit(bob)).status).toBe(202);
    // A token comes back every 20 s at 3 per minute.
    now += 20_000;
    expect((await submit(alice)).status).toBe(202);
    expect((await submit(alice)).status).toBe(429);
  });
});
