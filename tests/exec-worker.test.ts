import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestView, SubmitResponse } from "@wsspaces/protocol";
import type { RequestEvent } from "../packages/server/src/requests/request-events.js";
import { spawnCli, type Proc } from "./helpers/processes.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

const MODEL = fileURLToPath(new URL("./fixtures/exec_model.py", import.meta.url));

/** `wsspaces worker --exec`: a script per request, driven over stdin/stdout. */
describe("worker --exec", () => {
  let server: TestServer;
  let worker: Proc;
  let spaceId: string;
  let dir: string;

  beforeEach(async () => {
    server = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), "wsspaces-exec-"));
    const { space, token } = await server.space();
    spaceId = space.id;
    worker = spawnCli(["worker", "--server", server.url, "--token", token, "--space", space.name, "--exec", `/usr/bin/python3 ${MODEL}`, "--verbose"]);
    await eventually(async () => expect((await server.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 1 }));
  });

  afterEach(async () => {
    await worker.kill("SIGKILL");
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes the request on stdin and returns the last JSON line, with progress on the way", async () => {
    const progress: (string | null)[] = [];
    const chunks: unknown[] = [];
    const listener = (event: RequestEvent) => {
      if (event.type === "progress") progress.push(event.message);
      if (event.type === "stream") chunks.push(event.chunk);
    };
    server.app.events.on("request", listener);
    const res = await server.admin.post<RequestView & SubmitResponse>(`/api/v1/spaces/${spaceId}/requests?wait=20`, { prompt: "hello exec world" });
    server.app.events.off("request", listener);
    expect(res.body).toMatchObject({ state: "completed", result: { text_output: "HELLO EXEC WORLD", attempt: 1, user: expect.stringMatching(/^admin/) as unknown } });
    expect(res.body.progress_message).toBe("halfway");
    expect(progress).toContain("halfway");
    // Text chunks may be merged on the way (the SDK paces them); none is lost or reordered.
    expect(chunks.join("")).toBe("hello exec world ");
  });

  it("fails the request with the command's last stderr lines when it exits non-zero", async () => {
    const res = await server.admin.post<RequestView>(`/api/v1/spaces/${spaceId}/requests?wait=20`, { prompt: "fail" });
    expect(res.body.state).toBe("failed");
    expect(res.body.error?.message).toMatch(/exited with code 3/);
    expect(res.body.error?.message).toMatch(/CUDA out of memory/);
  });

  it("stops the command when the request is cancelled", async () => {
    const pidFile = join(dir, "pid");
    const res = await server.admin.post<SubmitResponse>(`/api/v1/spaces/${spaceId}/requests`, { prompt: `sleep:${pidFile}` });
    await eventually(() => expect(existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "").toBe(true));
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect((await server.admin.post<RequestView>(`/api/v1/requests/${res.body.request_id}/cancel`)).body.state).toBe("cancelled");
    await eventually(() => expect(() => process.kill(pid, 0)).toThrow());
  });
});
