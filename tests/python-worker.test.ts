import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestView, SpaceDetail, SubmitResponse } from "@wsspaces/protocol";
import type { RequestEvent } from "../packages/server/src/requests/request-events.js";
import { ApiClient } from "./helpers/http.js";
import { runCli, spawnCli, spawnProcess, spawnServer, type Proc } from "./helpers/processes.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { TcpProxy } from "./helpers/tcp-proxy.js";
import { eventually } from "./helpers/wait.js";

const PYTHON = "/usr/bin/python3";
const WORKER = fileURLToPath(new URL("./fixtures/python_sdk_worker.py", import.meta.url));

type View = RequestView & SubmitResponse;

/**
 * clients/python/wsspaces_worker.py against the real server, run by Debian's python3 with its
 * python3-socketio: the same protocol as the TypeScript SDK, from Python.
 */
describe("Python worker library", () => {
  const cleanups: (() => unknown)[] = [];
  let dir: string;

  beforeEach(() => {
    expect(existsSync(PYTHON), `${PYTHON} is missing: install Debian's python3-socketio`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), "wsspaces-py-"));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function site(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
    const server = await startTestServer(options);
    cleanups.push(() => server.close());
    return server;
  }

  function worker(server: string, token: string, space: string, extra: string[] = []): Proc {
    // No __pycache__ left in clients/python by the test run.
    const proc = spawnProcess(PYTHON, [WORKER, "--server", server, "--token", token, "--space", space, ...extra], { PYTHONDONTWRITEBYTECODE: "1" });
    cleanups.push(() => proc.kill("SIGKILL"));
    return proc;
  }

  function streamOf(server: TestServer): Map<string, { chunk: unknown; seq: number | null }[]> {
    const chunks = new Map<string, { chunk: unknown; seq: number | null }[]>();
    const listener = (event: RequestEvent) => {
      if (event.type === "stream") chunks.set(event.requestId, [...(chunks.get(event.requestId) ?? []), { chunk: event.chunk, seq: event.seq }]);
    };
    server.app.events.on("request", listener);
    cleanups.push(() => server.app.events.off("request", listener));
    return chunks;
  }

  const run = async (server: TestServer, spaceId: string, prompt: string, inputs: Record<string, unknown> = {}): Promise<View> =>
    (await server.admin.post<View>(`/api/v1/spaces/${spaceId}/requests?wait=20`, { prompt, inputs })).body;

  it("registers with its token, capacity and name, and answers with progress, stream and result", async () => {
    const server = await site();
    const { space, token } = await server.space();
    const py = worker(server.url, token, space.name, ["--capacity", "2", "--name", "py-box"]);
    await py.waitForLine(/^registered wrk_/);
    const detail = await server.admin.get<SpaceDetail>(`/api/v1/spaces/${space.id}`);
    expect(detail.body).toMatchObject({ connected: true, workers: 1, worker_list: [{ name: "py-box", capacity: 2 }] });

    const chunks = streamOf(server);
    const done = await run(server, space.id, "hello python world", { temperature: 0.5 });
    expect(done).toMatchObject({
      state: "completed",
      attempts: 1,
      progress_message: "halfway",
      result: { text_output: "HELLO PYTHON WORLD", attempt: 1, user: expect.stringMatching(/^admin/) as unknown, inputs: ["prompt", "temperature"] },
    });
    const stream = chunks.get(done.id) ?? [];
    expect(stream.map((c) => c.chunk).join("")).toBe("hello python world ");
    // Numbered in order from 0, as the TypeScript SDK numbers them.
    expect(stream.map((c) => c.seq)).toEqual(stream.map((_, i) => i));
    await py.waitForLine(new RegExp(`^delivered ${done.id} accepted$`));
  });

  it("downloads the request's files and sends output files inline or by PUT by size", async () => {
    const server = await site();
    const { space, token } = await server.space({ inputs: ["prompt", "file"] });
    const proc = worker(server.url, token, space.name);
    await proc.waitForLine(/^registered /);
    const doc = Buffer.from("%PDF-1.4\n% from the test\n%%EOF\n");
    const user = await server.user();
    const key = (await server.app.auth.createApiKey(user.userId, "py")).key;
    const form = new FormData();
    form.set("prompt", "files");
    form.append("file", new Blob([doc]), "doc.pdf");
    const res = await fetch(`${server.url}/api/v1/spaces/${space.id}/requests?wait=20`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
    const view = (await res.json()) as View;
    expect(view.state).toBe("completed");
    expect(view.result).toEqual({ received: [{ name: "doc.pdf", sha256: createHash("sha256").update(doc).digest("hex") }] });
    const outputs = view.files.filter((f) => f.kind === "output").map((f) => [f.name, f.mime, f.size]);
    expect(outputs.sort()).toEqual([
      ["big.bin", "application/octet-stream", 6 * 1024 * 1024],
      ["note.txt", "text/plain", 14],
    ]);
  });

  it("fails the request with the handler's exception message", async () => {
    const server = await site();
    const { space, token } = await server.space();
    const py = worker(server.url, token, space.name);
    await py.waitForLine(/^registered wrk_/);
    const failed = await run(server, space.id, "fail");
    expect(failed).toMatchObject({ state: "failed", error: { code: "worker_error", message: "the model is on fire" } });
  });

  it("runs requests at once up to its capacity, in a thread pool", async () => {
    const server = await site();
    const { space, token } = await server.space();
    const py = worker(server.url, token, space.name, ["--capacity", "2"]);
    await py.waitForLine(/^registered wrk_/);
    // Each "pair:" handler waits for the other one: one at a time, both would fail.
    const [a, b] = await Promise.all([run(server, space.id, "pair:1"), run(server, space.id, "pair:2")]);
    expect(a).toMatchObject({ state: "completed", result: { text_output: "pair:1" } });
    expect(b).toMatchObject({ state: "completed", result: { text_output: "pair:2" } });
    expect((a.result as { thread: string }).thread).not.toBe((b.result as { thread: string }).thread);
  });

  it("sets ctx.cancelled on cancel_request and drops the handler's result", async () => {
    const server = await site();
    const { space, token } = await server.space();
    const py = worker(server.url, token, space.name);
    await py.waitForLine(/^registered wrk_/);
    const held = (await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "hold" })).body;
    await py.waitForLine(new RegExp(`^holding ${held.request_id}$`));

    expect((await server.admin.post<RequestView>(`/api/v1/requests/${held.request_id}/cancel`)).body.state).toBe("cancelled");
    await py.waitForLine(new RegExp(`^cancelled ${held.request_id} cancelled$`));
    // The slot is free again, and the held request's late answer was never sent.
    expect(await run(server, space.id, "next one")).toMatchObject({ state: "completed", result: { text_output: "NEXT ONE" } });
    expect(py.lines.some((line) => line.startsWith(`delivered ${held.request_id}`))).toBe(false);
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${held.request_id}`)).body).toMatchObject({ state: "cancelled", result: null });
  });

  it("drains on SIGTERM: finishes the request in flight, then exits 0", async () => {
    const server = await site();
    const { space, token } = await server.space();
    const py = worker(server.url, token, space.name);
    await py.waitForLine(/^registered wrk_/);
    const gate = join(dir, "gate");
    const held = (await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: `gate:${gate}` })).body;
    await py.waitForLine(new RegExp(`^gated ${held.request_id}$`));

    py.child.kill("SIGTERM");
    await py.waitForLine(/SIGTERM received: finishing requests in flight/);
    // Only now may it finish: the result comes after the signal.
    writeFileSync(gate, "");
    expect(await py.exited).toBe(0);
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${held.request_id}`)).body).toMatchObject({ state: "completed", attempts: 1 });
    expect(py.lines.join("\n")).toMatch(/stopped: 1 received, 1 completed, 0 failed, 0 cancelled/);
  });

  it("refuses to start with a wrong token, with the server's code", async () => {
    const server = await site();
    const { space } = await server.space();
    const py = worker(server.url, "wss_not-a-real-token", space.name);
    await py.waitForLine(/^could not start: invalid_token The worker token is missing, wrong or revoked\.$/);
    expect(await py.exited).toBe(1);
  });

  it("stops for good, exit status 1, when its token is revoked", async () => {
    const server = await site();
    const { space } = await server.space();
    const issued = await server.admin.post<{ id: string; token: string }>(`/api/v1/spaces/${space.id}/worker-tokens`, {});
    const py = worker(server.url, issued.body.token, space.name);
    await py.waitForLine(/^registered wrk_/);
    expect((await server.admin.delete(`/api/v1/spaces/${space.id}/worker-tokens/${issued.body.id}`)).status).toBe(204);
    // The server closes the connection; the worker tries once more, is refused, and gives up.
    expect(await py.exited).toBe(1);
    expect(py.lines.join("\n")).toMatch(/worker closed: The worker token is missing, wrong or revoked\./);
  });

  it("reconnects after a dropped connection, resumes under the same id and delivers the result made meanwhile", async () => {
    const server = await site();
    const { space, token } = await server.space();
    const proxy = TcpProxy.forUrl(server.url);
    cleanups.push(() => proxy.close());
    const py = worker(await proxy.start(), token, space.name);
    const connectionId = (await py.waitForLine(/^registered (wrk_\S+)$/))[1]!;

    const gate = join(dir, "gate");
    const held = (await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: `gate:${gate}` })).body;
    await py.waitForLine(new RegExp(`^gated ${held.request_id}$`));
    // The network goes down; the handler finishes while the worker cannot reach the site.
    proxy.refuse(true);
    proxy.dropAll();
    await py.waitForLine(/^disconnected$/);
    writeFileSync(gate, "");
    await py.waitForLine(new RegExp(`request ${held.request_id} completed`));
    expect((await server.admin.get<RequestView>(`/api/v1/requests/${held.request_id}`)).body.state).not.toBe("completed");

    proxy.refuse(false);
    await eventually(() => expect(py.lines.filter((line) => line === `registered ${connectionId}`)).toHaveLength(2), { timeoutMs: 15_000 });
    const done = await server.admin.get<RequestView>(`/api/v1/requests/${held.request_id}?wait=10`);
    expect(done.body).toMatchObject({ state: "completed", attempts: 1, result: { text_output: "through the gate" } });
  });

  it("comes back after the server is killed and restarted, and finishes the request it held", { timeout: 60_000 }, async () => {
    // A real server process on a fixed port, killed the hard way: the worker keeps its address.
    const data = mkdtempSync(join(tmpdir(), "wsspaces-py-data-"));
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    await runCli(["admin", "create", "--username", "root", "--password", "root-password", "--data", data]);
    const space = JSON.parse((await runCli(["space", "create", "--name", "PyDurable", "--json", "--data", data])).stdout) as { id: string; worker_token: string };
    const key = (JSON.parse((await runCli(["apikey", "create", "--username", "root", "--json", "--data", data])).stdout) as { key: string }).key;
    const first = await spawnServer(data);
    cleanups.push(() => first.proc.kill("SIGKILL"));
    const port = new URL(first.url).port;

    const py = worker(first.url, space.worker_token, "PyDurable");
    const connectionId = (await py.waitForLine(/^registered (wrk_\S+)$/))[1]!;
    const gate = join(dir, "gate");
    const api = new ApiClient(first.url, key);
    const held = (await api.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: `gate:${gate}` })).body;
    await py.waitForLine(new RegExp(`^gated ${held.request_id}$`));

    await first.proc.kill("SIGKILL");
    await py.waitForLine(/^disconnected$/);
    const second = spawnCli(["serve", "--port", port, "--data", data, "--log-level", "info"]);
    cleanups.push(() => second.kill("SIGKILL"));
    await second.waitForLine(/"url":"http:/);
    // The restarted server kept the worker's session: it resumes under the same id.
    await eventually(() => expect(py.lines.filter((line) => line === `registered ${connectionId}`)).toHaveLength(2), { timeoutMs: 15_000 });

    writeFileSync(gate, "");
    // Same port, so the same URL reaches the new server.
    const done = await api.get<RequestView>(`/api/v1/requests/${held.request_id}?wait=10`);
    expect(done.body).toMatchObject({ state: "completed", attempts: 1, result: { text_output: "through the gate" } });
  });
});
