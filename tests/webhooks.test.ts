import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestView, WebhookDeliveryView } from "@wsspaces/protocol";
import { verifyWebhookSignature } from "@wsspaces/server";
import type { ServerConfig } from "@wsspaces/server";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that answers each delivery with the next status in `statuses`. */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/wsspaces`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("webhooks", () => {
  let server: TestServer;
  const cleanups: (() => unknown)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await server.close();
  });

  async function setup(config: Partial<ServerConfig>) {
    server = await startTestServer({ config: { webhookAllowPrivate: true, webhookRetryBaseMs: 50, ...config } });
    const { space, token } = await server.space();
    const worker = await RawWorker.connect(server.url, { token });
    cleanups.push(() => worker.close());
    await worker.register({ space_name: space.name });
    const user = await server.user();
    return { space, worker, user };
  }

  it("delivers the final view, signed with the user's secret, and logs the delivery", async () => {
    const hook = await receiver([200]);
    cleanups.push(hook.close);
    const { space, worker, user } = await setup({});
    const res = await user.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "ping", webhook: { url: hook.url } });
    expect(res.status).toBe(202);
    const request = await worker.nextRequest();
    await worker.complete(request.request_id, { text_output: "pong" });
    await eventually(() => expect(hook.received).toHaveLength(1));

    const delivery = hook.received[0];
    if (!delivery) throw new Error("no delivery");
    const view = (await user.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body;
    expect(JSON.parse(delivery.body)).toEqual(view);
    expect(delivery.headers["x-wsspaces-event"]).toBe("completed");
    expect(delivery.headers["content-type"]).toBe("application/json");
    const { secret } = (await user.get<{ secret: string }>("/api/v1/me/webhook-secret")).body;
    expect(secret).toMatch(/^whsec_/);
    const signature = String(delivery.headers["x-wsspaces-signature"]);
    const now = Math.floor(Date.now() / 1000);
    expect(verifyWebhookSignature(secret, delivery.body, signature, now)).toBe(true);
    // Tampered bodies, other secrets and stale timestamps do not verify.
    expect(verifyWebhookSignature(secret, delivery.body.replace("pong", "pwnd"), signature, now)).toBe(false);
    expect(verifyWebhookSignature("whsec_other", delivery.body, signature, now)).toBe(false);
    expect(verifyWebhookSignature(secret, delivery.body, signature, now + 3600)).toBe(false);

    await eventually(async () => {
      const log = await user.get<{ deliveries: WebhookDeliveryView[] }>(`/api/v1/requests/${res.body.request_id}/webhooks`);
      expect(log.body.deliveries).toMatchObject([{ attempt: 1, event: "completed", status_code: 200, outcome: "delivered", url: hook.url }]);
    });
    const stranger = await server.user();
    expect((await stranger.get(`/api/v1/requests/${res.body.request_id}/webhooks`)).status).toBe(404);
  });

  it("retries after 500s with growing delays, then succeeds", async () => {
    const hook = await receiver([500, 500, 500, 200]);
    cleanups.push(hook.close);
    const { space, worker, user } = await setup({ webhookMaxAttempts: 6 });
    const res = await user.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "x", webhook: { url: hook.url, events: ["failed"] } });
    const request = await worker.nextRequest();
    await worker.emit("inference_result", { request_id: request.request_id, status: "failed", error: "boom" });
    const log = await eventually(async () => {
      const body = (await user.get<{ deliveries: WebhookDeliveryView[] }>(`/api/v1/requests/${res.body.request_id}/webhooks`)).body;
      expect(body.deliveries.map((d) => d.outcome)).toEqual(["retrying", "retrying", "retrying", "delivered"]);
      return body.deliveries;
    });
    expect(log.map((d) => d.status_code)).toEqual([500, 500, 500, 200]);
    expect(hook.received.every((r) => r.headers["x-wsspaces-event"] === "failed")).toBe(true);
    const gaps = log.slice(1).map((d, i) => Date.parse(d.attempted_at) - Date.parse(log[i]?.attempted_at ?? ""));
    // 50, 100, 200 ms planned: each wait at least its plan, and the plan doubles.
    expect(gaps[0]).toBeGreaterThanOrEqual(50);
    expect(gaps[1]).toBeGreaterThanOrEqual(100);
    expect(gaps[2]).toBeGreaterThanOrEqual(200);
  });

  it("gives up after the bounded number of attempts", async () => {
    const hook = await receiver([503]);
    cleanups.push(hook.close);
    const { space, worker, user } = await setup({ webhookMaxAttempts: 3 });
    const res = await user.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: "x", webhook: { url: hook.url } });
    const request = await worker.nextRequest();
    await worker.complete(request.request_id, {});
    await eventually(async () => {
      const body = (await user.get<{ deliveries: WebhookDeliveryView[] }>(`/api/v1/requests/${res.body.request_id}/webhooks`)).body;
      expect(body.deliveries.map((d) => d.outcome)).toEqual(["retrying", "retrying", "gave_up"]);
      expect(body.deliveries.at(-1)?.next_attempt_at).toBeNull();
    });
    expect(hook.received).toHaveLength(3);
  });

  it("refuses loopback and private webhook URLs unless an admin allowed them", async () => {
    server = await startTestServer();
    const { space } = await server.space({ queue_offline: true });
    const user = await server.user();
    for (const url of ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://10.1.2.3/x", "http://[::1]:9/x", "http://169.254.169.254/latest/meta-data", "ftp://example.org/x"]) {
      const res = await user.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "x", webhook: { url } });
      expect(res.status, url).toBe(400);
      expect(res.body, url).toMatchObject({ error: { code: "validation_failed" } });
    }
    expect((await server.admin.get<{ queue_length: number }>(`/api/v1/spaces/${space.id}`)).body.queue_length).toBe(0);
  });
});
