import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestView, SubmitResponse } from "@wsspaces/protocol";
import { ApiClient } from "./helpers/http.js";
import { RawWorker } from "./helpers/raw-worker.js";
import { runCli, spawnCli, spawnServer, type Proc } from "./helpers/processes.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

/** Real processes: the CLI, worker processes that get killed, a server that gets killed. */
describe("processes", () => {
  const procs: Proc[] = [];
  const dirs: string[] = [];
  let server: TestServer | undefined;

  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "wsspaces-proc-"));
    dirs.push(dir);
    return dir;
  };
  const track = (proc: Proc) => (procs.push(proc), proc);

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill("SIGKILL")));
    await server?.close();
    server = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("sets up a site from the command line", async () => {
    const data = tempDir();
    const admin = await runCli(["admin", "create", "--username", "root", "--data", data]);
    expect(admin.code).toBe(0);
    expect(admin.stdout).toMatch(/password: \S{8,}/);

    const space = await runCli(["space", "create", "--name", "Whisper", "--inputs", "prompt,audio", "--timeout", "60", "--json", "--data", data]);
    expect(space.code).toBe(0);
    const created = JSON.parse(space.stdout) as { id: string; name: string; worker_token: string };
    expect(created).toEqual({ id: expect.stringMatching(/^spc_/) as unknown, name: "Whisper", worker_token: expect.stringMatching(/^wss_/) as unknown });

    const key = await runCli(["apikey", "create", "--username", "root", "--json", "--data", data]);
    expect(JSON.parse(key.stdout)).toEqual({ id: expect.any(String) as unknown, key: expect.stringMatching(/^wsk_/) as unknown });

    const list = await runCli(["space", "list", "--json", "--data", data]);
    expect(JSON.parse(list.stdout)).toEqual([{ id: created.id, name: "Whisper", inputs: ["prompt", "audio"], timeout_seconds: 60 }]);

    const duplicate = await runCli(["space", "create", "--name", "whisper", "--data", data]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);

    const bad = await runCli(["space", "create", "--name", "X", "--inputs", "smell", "--data", data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"smell" is not one of/);
    expect((await runCli(["frobnicate"])).code).toBe(2);
  });

  it("re-queues the request of a worker process killed mid-request and completes it on another", async () => {
    // A killed process looks like a dropped connection: it gets the resume grace period first.
    server = await startTestServer({ config: { resumeGraceMs: 300 } });
    const { space, token } = await server.space();
    const slow = track(spawnCli(["worker", "--server", server.url, "--token", token, "--space", space.name, "--mock", "--min-ms", "60000", "--max-ms", "60000"]));
    await eventually(async () => expect((await server!.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 1 }));

    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "survive" });
    await eventually(async () => expect((await server!.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}`)).body.state).toBe("running"));

    const fast = track(spawnCli(["worker", "--server", server.url, "--token", token, "--space", space.name, "--mock", "--min-ms", "0", "--max-ms", "0"]));
    await eventually(async () => expect((await server!.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 2 }));
    await slow.kill("SIGKILL");

    const done = await server.admin.get<RequestView>(`/api/v1/requests/${res.body.request_id}?wait=20`);
    expect(done.body).toMatchObject({ state: "completed", attempts: 2, result: { text_output: expect.stringContaining("survive") as unknown } });

    // Ctrl+C: the mock worker stops cleanly and prints its statistics.
    fast.child.kill("SIGINT");
    expect(await fast.exited).toBe(0);
    expect(fast.lines.join("\n")).toMatch(/completed\D*1/i);
  });

  it("completes queued and in-flight requests after the server is killed and restarted", async () => {
    const data = tempDir();
    await runCli(["admin", "create", "--username", "root", "--password", "root-password", "--data", data]);
    const space = JSON.parse((await runCli(["space", "create", "--name", "Durable", "--queue-offline", "--json", "--data", data])).stdout) as { id: string; worker_token: string };
    const key = (JSON.parse((await runCli(["apikey", "create", "--username", "root", "--json", "--data", data])).stdout) as { key: string }).key;

    const env = { WSSPACES_RESUME_GRACE_MS: "300" };
    const first = await spawnServer(data, env);
    track(first.proc);
    const api = new ApiClient(first.url, key);
    // One request goes to a worker that will never answer, three wait in the queue.
    const holder = await RawWorker.connect(first.url, { token: space.worker_token });
    await holder.register({ space_name: "Durable" });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await api.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: `job ${i}` })).body.request_id);
    expect((await holder.nextRequest()).request_id).toBe(ids[0]);
    await first.proc.kill("SIGKILL");
    holder.close();

    const second = await spawnServer(data, env);
    track(second.proc);
    const api2 = new ApiClient(second.url, key);
    const states = await Promise.all(ids.map(async (id) => (await api2.get<RequestView>(`/api/v1/requests/${id}`)).body.state));
    // The in-flight one waits for its worker to resume, then goes back to the queue.
    expect(states.slice(1)).toEqual(["queued", "queued", "queued"]);
    expect(["dispatched", "queued"]).toContain(states[0]);

    track(spawnCli(["worker", "--server", second.url, "--token", space.worker_token, "--space", "Durable", "--mock", "--min-ms", "0", "--max-ms", "0"]));
    const done = await Promise.all(ids.map(async (id) => (await api2.get<RequestView>(`/api/v1/requests/${id}?wait=20`)).body));
    expect(done.map((r) => r.state)).toEqual(["completed", "completed", "completed", "completed"]);
    expect(done[0]!.attempts).toBe(2);
  });

  it("runs the demo: a site with a demo space and a connected mock worker", async () => {
    const data = tempDir();
    const demo = track(spawnCli(["demo", "--port", "0", "--data", data, "--min-ms", "0", "--max-ms", "0"]));
    const url = (await demo.waitForLine(/running at (http:\/\/\S+)/))[1]!;
    const key = (await demo.waitForLine(/API key:\s+(wsk_\S+)/))[1]!;
    const submitUrl = (await demo.waitForLine(/curl -s -X POST '([^']+)'/))[1]!;
    expect(submitUrl.startsWith(url)).toBe(true);

    const res = await fetch(submitUrl, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ prompt: "Hello, world" }) });
    const body = (await res.json()) as RequestView;
    expect(body.state).toBe("completed");
    expect(body.result).toMatchObject({ text_output: expect.stringContaining("Hello, world") as unknown, model_used: expect.any(String) as unknown, confidence: expect.any(Number) as unknown });

    demo.child.kill("SIGINT");
    expect(await demo.exited).toBe(0);
  });
});
