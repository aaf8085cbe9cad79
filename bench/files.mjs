// Product scenario 5: files. One request with one `size`-byte input file and one `size`-byte
// output file, all streamed: the user uploads (multipart, POST /api/v1/spaces/:id/requests),
// the worker downloads it through its signed link and hashes it, the worker uploads its output
// (PUT /api/v1/worker/requests/:id/files/:name), the user downloads the output
// (GET /api/v1/files/:id). Reported: MB/s of each leg and the server's RSS growth over its
// resting size (sampled every 50 ms from before the upload to after the last download).
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import { performance } from "node:perf_hooks";
import { round } from "./lib/measure.mjs";
import { connectWorker } from "./lib/raw-worker.mjs";
import { createDatabase, provision, startServe } from "./lib/site.mjs";

const CHUNK = 1024 * 1024;
const MIB = 1024 * 1024;

/** `size` bytes of a repeated random 1 MiB block, hashed on the way; never held whole. */
function generated(size) {
  const block = randomBytes(CHUNK);
  const hash = createHash("sha256");
  async function* chunks() {
    for (let sent = 0; sent < size; sent += CHUNK) {
      const part = block.subarray(0, Math.min(CHUNK, size - sent));
      hash.update(part);
      yield part;
    }
  }
  return { chunks, digest: () => hash.digest("hex") };
}

/** Sends a body from an async iterable with http.request (streamed); resolves with status and JSON. */
function send(url, { method, headers, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : null }));
    });
    req.on("error", reject);
    Readable.from(body).pipe(req);
  });
}

/** GETs a URL and hashes the body as it arrives; resolves with status, sha256 and bytes. */
function download(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const hash = createHash("sha256");
        let bytes = 0;
        res.on("data", (d) => {
          hash.update(d);
          bytes += d.length;
        });
        res.on("end", () => resolve({ status: res.statusCode, sha256: hash.digest("hex"), bytes }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

export async function fileTransfer(p) {
  const size = p.fileMib * MIB;
  const db = await createDatabase("sqlite");
  let server;
  let worker;
  let sampler;
  try {
    const { key, spaces } = await provision(db.env, [{ name: "Files" }]);
    server = await startServe(db.env);
    const space = spaces.Files;
    const patched = await fetch(`${server.url}/api/v1/spaces/${space.id}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ inputs: ["prompt", "file"], max_file_mb: p.fileMib + 1, max_upload_mb: p.fileMib + 1 }),
    });
    if (!patched.ok) throw new Error(`space update failed: ${patched.status} ${await patched.text()}`);

    const legs = {};
    const output = generated(size);
    let finished;
    const done = new Promise((resolve, reject) => (finished = { resolve, reject }));
    let connectionId;
    worker = connectWorker(server.url, space.worker_token, {
      capacity: 1,
      onRequest: (message, socket) => {
        void (async () => {
          const [file] = message.files ?? [];
          let t = performance.now();
          const got = await download(file.url);
          legs.worker_download_s = (performance.now() - t) / 1000;
          if (got.sha256 !== file.sha256) throw new Error("the worker got other bytes than were uploaded");
          t = performance.now();
          const put = await send(`${server.url}/api/v1/worker/requests/${message.request_id}/files/output.bin`, {
            method: "PUT",
            headers: { authorization: `Bearer ${space.worker_token}`, "x-wsspaces-connection": connectionId, "content-type": "application/octet-stream", "content-length": String(size) },
            body: output.chunks(),
          });
          legs.worker_upload_s = (performance.now() - t) / 1000;
          if (put.status !== 201) throw new Error(`output PUT answered ${put.status}: ${JSON.stringify(put.body)}`);
          socket.emit("inference_result", { request_id: message.request_id, status: "completed", result: { input_sha256: got.sha256 } }, () => finished.resolve());
        })().catch((err) => finished.reject(err));
      },
    });
    connectionId = (await worker.ready).connection_id;

    const rest = server.rss();
    let peak = rest;
    sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 50);

    const input = generated(size);
    const boundary = `bench${randomBytes(8).toString("hex")}`;
    async function* multipart() {
      yield Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="prompt"\r\n\r\nbig\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="input.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`);
      yield* input.chunks();
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    let t = performance.now();
    const submitted = await send(`${server.url}/api/v1/spaces/${space.id}/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": `multipart/form-data; boundary=${boundary}` },
      body: multipart(),
    });
    legs.user_upload_s = (performance.now() - t) / 1000;
    if (submitted.status !== 202) throw new Error(`upload answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
    await done;

    const view = await (await fetch(`${server.url}/api/v1/requests/${submitted.body.request_id}?wait=30`, { headers: { authorization: `Bearer ${key}` } })).json();
    const out = view.files.find((f) => f.kind === "output");
    t = performance.now();
    const fetched = await download(`${server.url}${out.url}`, { authorization: `Bearer ${key}` });
    legs.user_download_s = (performance.now() - t) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, server.rss());

    const mbs = (seconds) => round(size / MIB / seconds, 0);
    return {
      file_mib: p.fileMib,
      user_upload_mb_s: mbs(legs.user_upload_s),
      worker_download_mb_s: mbs(legs.worker_download_s),
      worker_upload_mb_s: mbs(legs.worker_upload_s),
      user_download_mb_s: mbs(legs.user_download_s),
      input_intact: view.result.input_sha256 === input.digest(),
      output_intact: fetched.sha256 === output.digest() && out.sha256 === fetched.sha256 && fetched.bytes === size,
      rss_rest_mib: round(rest / MIB, 1),
      rss_peak_mib: round(peak / MIB, 1),
      rss_growth_mib: round((peak - rest) / MIB, 1),
    };
  } finally {
    clearInterval(sampler);
    worker?.close();
    await server?.stop();
    await db.drop();
  }
}
