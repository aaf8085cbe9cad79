import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestView } from "@wsspaces/protocol";
import { makeWav } from "../packages/worker/src/mock-media.js";
import { spawnCli, type Proc } from "./helpers/processes.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

const MODEL = fileURLToPath(new URL("./fixtures/media_model.py", import.meta.url));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Files through the CLI worker modes: paths for commands, multipart for HTTP model servers. */
describe("worker modes with files", () => {
  let server: TestServer | undefined;
  let worker: Proc | undefined;
  let model: Server | undefined;

  afterEach(async () => {
    await worker?.kill("SIGKILL");
    await server?.close();
    await new Promise<void>((resolve) => (model ? model.close(() => resolve()) : resolve()));
    server = undefined;
    worker = undefined;
    model = undefined;
  });

  async function start(mode: string[]): Promise<{ submit: (form: FormData) => Promise<RequestView> }> {
    server = await startTestServer();
    const { space, token } = await server.space({ inputs: ["prompt", "audio", "file"] });
    worker = spawnCli(["worker", "--server", server.url, "--token", token, "--space", space.name, ...mode]);
    const s = server;
    await eventually(async () => expect((await s.admin.get(`/api/v1/spaces/${space.id}`)).body).toMatchObject({ workers: 1 }));
    const user = await s.user();
    const key = (await s.app.auth.createApiKey(user.userId, "files")).key;
    return {
      submit: async (form) => {
        const res = await fetch(`${s.url}/api/v1/spaces/${space.id}/requests?wait=30`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
        return (await res.json()) as RequestView;
      },
    };
  }

  it("--exec gives the command its files as paths and uploads the file it names", async () => {
    const { submit } = await start(["--exec", `/usr/bin/python3 ${MODEL}`]);
    const wav = makeWav(300, 0.3);
    const csv = Buffer.from("a,b\n1,2\n");
    const form = new FormData();
    form.set("prompt", "hash these");
    form.append("audio", new Blob([wav]), "voice.wav");
    form.append("file", new Blob([csv]), "table.csv");
    const view = await submit(form);
    expect(view.state).toBe("completed");
    expect(view.result).toEqual({
      received: [
        { name: "voice.wav", field: "audio", sha256: sha256(wav), path_exists: true },
        { name: "table.csv", field: "file", sha256: sha256(csv), path_exists: true },
      ],
    });
    const output = view.files.find((f) => f.kind === "output");
    const expected = Buffer.concat(Array.from({ length: 1000 }, () => Buffer.concat([Buffer.from(sha256(wav), "hex"), Buffer.from(sha256(csv), "hex")])));
    expect(output).toMatchObject({ name: "digests.bin", size: expected.length, sha256: sha256(expected) });
  });

  it("--http posts multipart to the model server: the request as JSON, the files as parts", async () => {
    const seen: { request: Record<string, unknown>; files: { field: string; name: string; type: string; sha256: string }[] }[] = [];
    model = createServer((req, res) => {
      // The WHATWG Request parses multipart for us, exactly as a model server's framework would.
      const body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
      const parsed = new Request("http://model.local/", { method: "POST", headers: { "content-type": req.headers["content-type"] ?? "" }, body, duplex: "half" });
      void parsed.formData().then(async (form) => {
        const files: { field: string; name: string; type: string; sha256: string }[] = [];
        for (const [field, value] of form.entries()) {
          if (typeof value !== "string") files.push({ field, name: value.name, type: value.type, sha256: sha256(new Uint8Array(await value.arrayBuffer())) });
        }
        const request = form.get("request");
        seen.push({ request: typeof request === "string" ? (JSON.parse(request) as Record<string, unknown>) : {}, files });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ heard: files.length }));
      });
    });
    await new Promise<void>((resolve) => model?.listen(0, "127.0.0.1", resolve));
    const port = (model.address() as AddressInfo).port;
    const { submit } = await start(["--http", `http://127.0.0.1:${port}/transcribe`]);
    const wav = makeWav(200, 0.2);
    const form = new FormData();
    form.set("prompt", "transcribe");
    form.append("audio", new Blob([wav]), "clip.wav");
    const view = await submit(form);
    expect(view).toMatchObject({ state: "completed", result: { heard: 1 } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.request).toMatchObject({ prompt: "transcribe", request_id: view.id });
    expect(seen[0]?.files).toEqual([{ field: "audio", name: "clip.wav", type: "audio/wav", sha256: sha256(wav) }]);
  });
});
