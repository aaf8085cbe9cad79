// Product scenario 3: stream relay. One worker holds one request and streams `chunks` text
// chunks (`stream` events, 256 unacknowledged at most); `readers` SSE readers
// (GET /api/v1/requests/:id/events) and `readers` /live sockets (watch_request) follow it.
// One operation: one chunk delivered to one reader. Rate = chunks × readers ÷ (time from the
// first chunk sent to the last chunk received by the last reader).
import http from "node:http";
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";
import { round, until } from "./lib/measure.mjs";
import { createClient } from "./lib/http.mjs";
import { connectWorker } from "./lib/raw-worker.mjs";
import { createDatabase, provision, startServe } from "./lib/site.mjs";

const WINDOW = 256;

function sseReader(url, path, key) {
  const reader = { received: 0, lastAt: 0, open: false, ended: false };
  reader.ready = new Promise((resolve, reject) => {
    const req = http.get(`${url}${path}`, { headers: { authorization: `Bearer ${key}`, accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      res.setEncoding("utf8");
      let tail = "";
      res.on("data", (text) => {
        // Count "event: stream" lines; keep a short tail for a marker split across chunks.
        const s = tail + text;
        let from = 0;
        for (;;) {
          const i = s.indexOf("event: stream\n", from);
          if (i < 0) break;
          reader.received++;
          from = i + 14;
        }
        tail = s.slice(Math.max(from, s.length - 13));
        reader.lastAt = performance.now();
        if (!reader.open) {
          reader.open = true;
          resolve();
        }
      });
      res.on("end", () => (reader.ended = true));
    });
    req.on("error", reject);
    reader.close = () => req.destroy();
  });
  return reader;
}

function liveReader(url, requestId, key) {
  const socket = io(`${url}/live`, { transports: ["websocket"], auth: { token: key }, forceNew: true, reconnection: false });
  const reader = { received: 0, lastAt: 0, close: () => socket.close() };
  socket.on("request_event", (event) => {
    if (event.type === "stream") {
      reader.received++;
      reader.lastAt = performance.now();
    }
  });
  reader.ready = new Promise((resolve, reject) => {
    socket.once("connect_error", reject);
    socket.once("connect", async () => {
      const ack = await socket.emitWithAck("watch_request", { request_id: requestId });
      if (ack?.ok) resolve();
      else reject(new Error(`watch_request refused: ${JSON.stringify(ack)}`));
    });
  });
  return reader;
}

export async function streamRelay(p) {
  const db = await createDatabase("sqlite");
  let server;
  let worker;
  const readers = [];
  let client;
  try {
    const { key, spaces } = await provision(db.env, [{ name: "Stream" }]);
    server = await startServe(db.env);
    let assigned;
    const gotRequest = new Promise((resolve) => (assigned = resolve));
    worker = connectWorker(server.url, spaces.Stream.worker_token, { capacity: 1, onRequest: (message) => assigned(message) });
    await worker.ready;
    client = createClient(server.url, { headers: { authorization: `Bearer ${key}` } });
    const submitted = await client.post(`/api/v1/spaces/${spaces.Stream.id}/requests`, { prompt: "stream" });
    if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
    const requestId = submitted.body.request_id;
    await gotRequest;
    await new Promise((resolve) => worker.socket.emit("accept", { request_id: requestId }, resolve));
    for (let i = 0; i < p.streamReaders; i++) readers.push(sseReader(server.url, `/api/v1/requests/${requestId}/events`, key));
    for (let i = 0; i < p.streamReaders; i++) readers.push(liveReader(server.url, requestId, key));
    await Promise.all(readers.map((r) => r.ready));

    // Stream with at most WINDOW chunks unacknowledged by the server.
    const t0 = performance.now();
    let outstanding = 0;
    let sent = 0;
    let wake;
    while (sent < p.streamChunks) {
      if (outstanding >= WINDOW) {
        await new Promise((resolve) => (wake = resolve));
        continue;
      }
      outstanding++;
      sent++;
      worker.socket.emit("stream", { request_id: requestId, chunk: `tok${sent} `, seq: sent }, () => {
        outstanding--;
        wake?.();
      });
    }
    await until(() => outstanding === 0, { timeoutMs: 120_000, everyMs: 5, what: "stream acks" });
    const producerSeconds = (performance.now() - t0) / 1000;
    const expected = p.streamChunks;
    await until(() => readers.every((r) => r.received >= expected), { timeoutMs: 120_000, everyMs: 10, what: "every reader to receive every chunk" });
    const seconds = (Math.max(...readers.map((r) => r.lastAt)) - t0) / 1000;
    const delivered = readers.reduce((sum, r) => sum + r.received, 0);
    worker.socket.emit("inference_result", { request_id: requestId, status: "completed", result: null });
    return {
      chunks: expected,
      sse_readers: p.streamReaders,
      live_readers: p.streamReaders,
      delivered,
      seconds: round(seconds, 2),
      chunks_per_second: Math.round(delivered / seconds),
      producer_chunks_per_second: Math.round(expected / producerSeconds),
    };
  } finally {
    for (const r of readers) r.close?.();
    client?.close();
    worker?.close();
    await server?.stop();
    await db.drop();
  }
}
