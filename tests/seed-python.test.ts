import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestView, SubmitResponse } from "@wsspaces/protocol";
import { spawnProcess, type Proc } from "./helpers/processes.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const PYTHON = "/usr/bin/python3";
const SEED_APP = fileURLToPath(new URL("./seed/seed_app.py", import.meta.url));

/**
 * Seed compatibility: a Python remote app written only from the seed's protocol, on Debian's
 * python3-socketio, with the worker token in the URL query.
 */
describe("seed-era Python remote app", () => {
  let server: TestServer;
  const procs: Proc[] = [];

  beforeEach(async () => {
    // .ci/run installs python3-socketio; without it this suite cannot mean anything.
    expect(existsSync(PYTHON), `${PYTHON} is missing: install Debian's python3-socketio`).toBe(true);
    server = await startTestServer();
  });

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill("SIGKILL")));
    await server.close();
  });

  function startSeedApp(host: string, space: string, extra: string[] = []): Proc {
    const proc = spawnProcess(PYTHON, [SEED_APP, "--host", host, "--spaces", space, ...extra]);
    procs.push(proc);
    return proc;
  }

  it("registers, answers an inference_request, and its result reaches both status APIs", async () => {
    const { space, token } = await server.space();
    const app = startSeedApp(`${server.url}?token=${token}`, space.name);
    await app.waitForLine(/^registered connection_id=wrk_\S+ space_id=(\S+)/);

    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "hello seed" });
    expect(res.status).toBe(202);
    const done = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}?wait=15`);
    expect(done.body).toMatchObject({ state: "completed", result: { text_output: "Seed app says: dees olleh", model_used: "seed-mock" } });
    await app.waitForLine(new RegExp(`^request ${res.body.request_id} from admin\\S*: hello seed`));

    const seed = await server.admin.get(`/websockets/status?request_id=${res.body.request_id}`);
    expect(seed.body).toMatchObject({ success: true, status: "completed", error: null, result: { text_output: "Seed app says: dees olleh" } });

    // The seed's own submit route works with it too.
    const viaSeed = await server.admin.post<{ success: boolean; request_id: string }>(`/websockets/submit/${space.id}`, { prompt: "abc" });
    expect(viaSeed.body.success).toBe(true);
    const second = await server.admin.get<RequestView>(`/api/v1/requests/${viaSeed.body.request_id}?wait=15`);
    expect(second.body.result).toMatchObject({ text_output: "Seed app says: cba" });
  });

  it("reports a seed app's failure with its message", async () => {
    const { space, token } = await server.space();
    const app = startSeedApp(`${server.url}?token=${token}`, space.name, ["--fail"]);
    await app.waitForLine(/^registered/);
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests?wait=15`, { prompt: "x" });
    expect(res.body).toMatchObject({ state: "failed", error: { code: "worker_error", message: "seed app failure" } });
  });

  it("refuses a seed app with a wrong token", async () => {
    const { space } = await server.space();
    const app = startSeedApp(`${server.url}?token=wss_wrong`, space.name);
    await app.waitForLine(/^connection refused/);
    expect(await app.exited).toBe(1);
  });

  it("tells a seed app without a token why it was refused", async () => {
    const { space } = await server.space();
    const app = startSeedApp(server.url, space.name);
    await app.waitForLine(/^registration failed: .*needs a worker token/);
    // The site closes the connection after a refusal, so the app's sio.wait() returns.
    expect(await app.exited).toBe(0);
  });
});
