import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FileView, RequestView, SubmitResponse } from "@wsspaces/protocol";
import { Worker, createMockHandler } from "@wsspaces/worker";
import { makePng, makeWav } from "../packages/worker/src/mock-media.js";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Every blob and temporary file under <data>/files, relative paths. */
async function storedFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, "files");
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

/** Uploads, results with media, signed links, ranges and refusals — real server, real sockets. */
describe("files", () => {
  let server: TestServer;
  let key: string;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const user = await server.user();
    key = (await server.app.auth.createApiKey(user.userId, "files")).key;
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await server.close();
  });

  async function mockWorker(token: string, spaceName: string): Promise<Worker> {
    const worker = new Worker({ server: server.url, token, spaces: [spaceName] });
    worker.handle(createMockHandler({ minMs: 0, maxMs: 0 }));
    await worker.start();
    cleanups.push(() => worker.stop({ drainTimeoutMs: 0 }));
    return worker;
  }

  function submit(spaceId: string, form: FormData, query = ""): Promise<Response> {
    return fetch(`${server.url}/api/v1/spaces/${spaceId}/requests${query}`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: form });
  }

  const getFile = (url: string, headers: Record<string, string> = {}) => fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${key}`, ...headers } });

  it("hands an uploaded WAV to the worker byte for byte, and returns a picture and a sound", async () => {
    const { space, token } = await server.space({ inputs: ["prompt", "audio"] });
    await mockWorker(token, space.name);
    const wav = makeWav(330, 0.5);
    const form = new FormData();
    form.set("prompt", "draw a cat and say meow");
    form.append("audio", new Blob([wav], { type: "audio/wav" }), "tone.wav");
    const res = await submit(space.id, form, "?wait=20");
    expect(res.status).toBe(200);
    const view = (await res.json()) as RequestView & { result: { files_received: { sha256: string; sha256_ok: boolean; mime: string; name: string; size: number }[]; files_sent: string[] } };
    expect(view.state).toBe("completed");
    // The worker downloaded the input through its signed link and got the same bytes.
    expect(view.result.files_received).toEqual([{ field: "audio", name: "tone.wav", mime: "audio/wav", size: wav.length, sha256: sha256(wav), sha256_ok: true }]);
    expect(view.result.files_sent).toEqual(["mock-picture.png", "mock-voice.wav"]);

    const byName = new Map(view.files.map((f) => [f.name, f]));
    expect(byName.get("tone.wav")).toMatchObject({ kind: "input", field: "audio", mime: "audio/wav", sha256: sha256(wav) });
    const picture = byName.get("mock-picture.png") as FileView;
    const voice = byName.get("mock-voice.wav") as FileView;
    expect(picture).toMatchObject({ kind: "output", field: null, mime: "image/png" });
    expect(voice).toMatchObject({ kind: "output", mime: "audio/wav" });

    const png = await getFile(picture.url);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(png.headers.get("content-disposition")).toBe(`inline; filename="mock-picture.png"; filename*=UTF-8''mock-picture.png`);
    const pngBytes = new Uint8Array(await png.arrayBuffer());
    expect(sha256(pngBytes)).toBe(picture.sha256);
    expect([...pngBytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);

    // Players seek with Range requests.
    const part = await getFile(voice.url, { range: "bytes=0-11" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 0-11/${voice.size}`);
    expect(Buffer.from(await part.arrayBuffer()).toString("latin1")).toMatch(/^RIFF....WAVE$/s);

    // The live feed's final event lists the files too.
    const replay = await fetch(`${server.url}/api/v1/requests/${view.id}/events`, { headers: { authorization: `Bearer ${key}` } });
    const text = await replay.text();
    const done = JSON.parse(/event: done\ndata: (.*)\n/.exec(text)?.[1] ?? "null") as RequestView;
    expect(done.files.map((f) => f.name).sort()).toEqual(["mock-picture.png", "mock-voice.wav", "tone.wav"]);
  });

  it("gives the worker absolute signed links that work with a plain GET until the deadline, and no further", async () => {
    const { space, token } = await server.space({ inputs: ["prompt", "file"] });
    const raw = await RawWorker.connect(server.url, { token });
    cleanups.push(() => raw.close());
    expect((await raw.register({ space_name: space.name })).success).toBe(true);
    const doc = Buffer.from("%PDF-1.4\n% a tiny document\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n");
    const form = new FormData();
    form.set("prompt", "summarise");
    form.append("file", new Blob([doc]), "report.pdf");
    expect((await submit(space.id, form)).status).toBe(202);
    const request = await raw.nextRequest();
    const [file] = request.files ?? [];
    expect(file).toMatchObject({ field: "file", name: "report.pdf", mime: "application/pdf", size: doc.length, sha256: sha256(doc) });
    const url = new URL(file?.url ?? "");
    expect(url.origin).toBe(server.url);
    expect(Number(url.searchParams.get("expires"))).toBe(Date.parse(request.deadline));

    const plain = await fetch(url);
    expect(plain.status).toBe(200);
    expect(sha256(new Uint8Array(await plain.arrayBuffer()))).toBe(sha256(doc));
    // A PDF is never shown in the site's own pages: it is a download, and sandboxed anyway.
    expect(plain.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(plain.headers.get("content-security-policy")).toContain("sandbox");

    url.searchParams.set("sig", `${url.searchParams.get("sig")?.slice(0, -2)}xx`);
    expect((await fetch(url)).status).toBe(403);
    url.searchParams.set("expires", String(Date.now() - 1000));
    expect((await fetch(url)).status).toBe(403);
    // Without a signature, it takes the owner's credentials.
    expect((await fetch(`${server.url}/api/v1/files/${file?.id}`)).status).toBe(401);
    const other = await server.user();
    expect((await other.get(`/api/v1/files/${file?.id}`)).status).toBe(404);
    expect((await server.admin.get(`/api/v1/files/${file?.id}`)).status).toBe(200);
  });

  it("refuses a file too large, of the wrong kind, on an input the space lacks, or with a path for a name — storing nothing", async () => {
    const { space, token } = await server.space({ inputs: ["prompt", "audio"], max_file_mb: 1 });
    await mockWorker(token, space.name);
    const before = { files: await storedFiles(server.database.dataDir), requests: (await server.admin.get<{ requests: unknown[] }>(`/api/v1/requests?space=${space.id}`)).body.requests.length };

    const attempt = async (field: string, name: string, bytes: Uint8Array) => {
      const form = new FormData();
      form.set("prompt", "listen");
      form.append(field, new Blob([bytes]), name);
      const res = await submit(space.id, form);
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    };

    const big = Buffer.concat([makeWav(440, 0.1), Buffer.alloc(1024 * 1024 + 10)]);
    expect(await attempt("audio", "long.wav", big)).toMatchObject({ status: 413, body: { error: { code: "payload_too_large", message: `"long.wav" is larger than this space's 1 MiB limit per file.` } } });

    // A Windows program renamed to .wav is still a program.
    const exe = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "latin1"), Buffer.alloc(200)]);
    const wrongKind = await attempt("audio", "song.wav", exe);
    expect(wrongKind.status).toBe(415);
    expect(wrongKind.body.error.code).toBe("unsupported_media_type");
    expect(wrongKind.body.error.message).toMatch(/^"song\.wav" is application\/x-msdownload; the audio input takes an audio file\.$/);

    expect(await attempt("video", "clip.wav", makeWav(440, 0.1))).toMatchObject({ status: 400, body: { error: { code: "validation_failed", message: "This space takes no video input." } } });
    expect(await attempt("audio", "../../etc/passwd.wav", makeWav(440, 0.1))).toMatchObject({ status: 400, body: { error: { code: "bad_request" } } });
    expect(await attempt("audio", "C:\\Windows\\evil.wav", makeWav(440, 0.1))).toMatchObject({ status: 400, body: { error: { code: "bad_request" } } });

    expect(await storedFiles(server.database.dataDir)).toEqual(before.files);
    expect((await server.admin.get<{ requests: unknown[] }>(`/api/v1/requests?space=${space.id}`)).body.requests).toHaveLength(before.requests);
  });

  it("checks the file input against the space's list of kinds by content, not by name", async () => {
    const { space } = await server.space({ inputs: ["file"], queue_offline: true, file_types: ["image/*", "csv"] });
    const send = async (name: string, bytes: Uint8Array) => {
      const form = new FormData();
      form.append("file", new Blob([bytes]), name);
      return (await submit(space.id, form)).status;
    };
    expect(await send("photo.txt", makePng(2, 2, () => [0, 0, 0]))).toBe(202);
    expect(await send("table.csv", Buffer.from("a,b\n1,2\n"))).toBe(202);
    expect(await send("table.png", Buffer.from("a,b\n1,2\n"))).toBe(415);
    expect(await send("archive.csv", Buffer.from("PK\x03\x04\x14\x00\x00\x00\x08\x00", "latin1"))).toBe(415);
  });

  it("takes output files over PUT only from the connection holding the request, while it runs", async () => {
    const { space, token } = await server.space();
    const { token: otherToken, space: otherSpace } = await server.space();
    const raw = await RawWorker.connect(server.url, { token });
    cleanups.push(() => raw.close());
    const registered = await raw.register({ space_name: space.name });
    if (!registered.success) throw new Error("registration failed");
    expect(registered.max_inline_file_bytes).toBe(4 * 1024 * 1024);
    const user = await server.user();
    const submitted = await user.post<SubmitResponse>(`/api/v1/spaces/${space.id}/requests`, { prompt: "render" });
    const request = await raw.nextRequest();
    const png = makePng(8, 8, (x, y) => [x * 30, y * 30, 0]);
    const put = (headers: Record<string, string>, name = "render.png") =>
      fetch(`${server.url}/api/v1/worker/requests/${request.request_id}/files/${name}`, { method: "PUT", headers: { "content-type": "image/png", ...headers }, body: png });

    expect((await put({ authorization: `Bearer ${token}` })).status).toBe(401);
    expect((await put({ authorization: `Bearer ${otherToken}`, "x-wsspaces-connection": registered.connection_id })).status).toBe(401);
    const stranger = await RawWorker.connect(server.url, { token: otherToken });
    cleanups.push(() => stranger.close());
    const strangerReg = await stranger.register({ space_name: otherSpace.name });
    if (!strangerReg.success) throw new Error("registration failed");
    const notHolder = await put({ authorization: `Bearer ${otherToken}`, "x-wsspaces-connection": strangerReg.connection_id });
    expect(notHolder.status).toBe(409);
    expect(((await notHolder.json()) as { error: { code: string } }).error.code).toBe("not_assigned");
    expect((await put({ authorization: `Bearer ${token}`, "x-wsspaces-connection": registered.connection_id }, "..%2F..%2Fescape.png")).status).toBe(400);

    const stored = await put({ authorization: `Bearer ${token}`, "x-wsspaces-connection": registered.connection_id });
    expect(stored.status).toBe(201);
    expect(await stored.json()).toMatchObject({ kind: "output", name: "render.png", mime: "image/png", size: png.length, sha256: sha256(png) });
    // Small outputs may come inline with the result instead, as binary attachments.
    const wav = makeWav(220, 0.2);
    expect(await raw.emit("inference_result", { request_id: request.request_id, status: "completed", result: { ok: true }, files: [{ name: "hum.wav", data: wav }] })).toEqual({ ok: true });

    const view = (await user.get<RequestView>(`/api/v1/requests/${submitted.body.request_id}`)).body;
    expect(view.files.map((f) => [f.name, f.mime, f.sha256])).toEqual([
      ["render.png", "image/png", sha256(png)],
      ["hum.wav", "audio/wav", sha256(wav)],
    ]);
    // Finished: it takes no more files.
    expect((await put({ authorization: `Bearer ${token}`, "x-wsspaces-connection": registered.connection_id }, "late.png")).status).toBe(409);
  });

  it("retries with the same files", async () => {
    const { space, token } = await server.space({ inputs: ["prompt", "audio"] });
    const raw = await RawWorker.connect(server.url, { token });
    cleanups.push(() => raw.close());
    expect((await raw.register({ space_name: space.name })).success).toBe(true);
    const wav = makeWav(500, 0.2);
    const form = new FormData();
    form.append("audio", new Blob([wav]), "take1.wav");
    const first = (await (await submit(space.id, form)).json()) as SubmitResponse;
    const request = await raw.nextRequest();
    await raw.emit("inference_result", { request_id: request.request_id, status: "failed", error: "out of memory" });
    const retried = await fetch(`${server.url}/api/v1/requests/${first.request_id}/retry`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
    expect(retried.status).toBe(202);
    const again = await raw.nextRequest();
    expect(again.request_id).not.toBe(request.request_id);
    expect(again.files?.map((f) => [f.name, f.sha256])).toEqual([["take1.wav", sha256(wav)]]);
  });

  it("deletes the files of requests finished longer ago than the file retention, and only those", async () => {
    const { space, token } = await server.space({ inputs: ["prompt", "audio"] });
    const raw = await RawWorker.connect(server.url, { token });
    cleanups.push(() => raw.close());
    expect((await raw.register({ space_name: space.name })).success).toBe(true);
    const upload = async (hz: number) => {
      const form = new FormData();
      form.append("audio", new Blob([makeWav(hz, 0.2)]), `${hz}.wav`);
      const submitted = (await (await submit(space.id, form)).json()) as SubmitResponse;
      const request = await raw.nextRequest();
      await raw.emit("inference_result", { request_id: request.request_id, status: "completed", result: {}, files: [{ name: `${hz}-out.wav`, data: makeWav(hz * 2, 0.1) }] });
      return submitted.request_id;
    };
    const oldId = await upload(610);
    const recentId = await upload(620);
    // The first finished eight days ago.
    await server.app.db.updateTable("requests").set({ finished_at: Date.now() - 8 * 86_400_000 }).where("id", "=", oldId).execute();
    await server.app.db.updateTable("files").set({ created_at: Date.now() - 8 * 86_400_000 }).where("request_id", "=", oldId).execute();
    const oldFiles = (await server.app.db.selectFrom("files").select(["sha256"]).where("request_id", "=", oldId).execute()).map((f) => f.sha256);
    expect(oldFiles).toHaveLength(2);

    const swept = await server.app.retention.sweep();
    expect(swept.files).toBe(2);
    const blobs = await storedFiles(server.database.dataDir);
    for (const sha of oldFiles) expect(blobs.some((b) => b.endsWith(sha))).toBe(false);
    const oldView = (await fetch(`${server.url}/api/v1/requests/${oldId}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json())) as RequestView;
    expect(oldView.files).toEqual([]);
    const recent = (await fetch(`${server.url}/api/v1/requests/${recentId}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json())) as RequestView;
    expect(recent.files).toHaveLength(2);
    for (const file of recent.files) expect((await getFile(file.url)).status).toBe(200);
  });
});
