#!/usr/bin/env node
// Child process of the connection-scale scenario (bench/sockets.mjs), started with fork().
// argv: kind (worker|live), url, count, token-or-probe-space-id, concurrent handshakes.
// worker: `count` idle worker sockets, each registered with the worker token (capacity 1).
// live:   `count` anonymous /live sockets, each subscribed to the probe space; records when each
//         first sees the probe space `connected: true` (epoch ms, high resolution).
// Messages to the parent: {type:"connected", count, ms} once all are up; on {type:"report"}:
// {type:"report", received, times}.
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";

const [kind, url, countText, credential, concurrencyText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText ?? 100);
const sockets = [];
const times = [];
const now = () => performance.timeOrigin + performance.now();

function connectOne() {
  return new Promise((resolve, reject) => {
    const options = { transports: ["websocket"], forceNew: true, reconnection: false, timeout: 60_000 };
    const socket = kind === "worker" ? io(url, { ...options, auth: { token: credential } }) : io(`${url}/live`, options);
    sockets.push(socket);
    socket.once("connect_error", reject);
    if (kind === "worker") {
      socket.once("connect", () => {
        socket.emit("register", { capacity: 1, name: "idle" }, (response) => (response?.success ? resolve() : reject(new Error(JSON.stringify(response)))));
      });
    } else {
      let seen = false;
      socket.on("space_status", (status) => {
        if (!seen && status.connected === true) {
          seen = true;
          times.push(now());
        }
      });
      socket.once("connect", () => {
        socket.emit("subscribe_spaces", { space_ids: [credential] }, (ack) => (ack?.ok ? resolve() : reject(new Error(JSON.stringify(ack)))));
      });
    }
  });
}

const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
  while (next < count) {
    next++;
    await connectOne();
  }
})).catch((err) => {
  process.send({ type: "error", message: String(err?.message ?? err) });
  process.exit(1);
});
process.send({ type: "connected", count, ms: performance.now() - t0 });

process.on("message", (message) => {
  if (message.type === "report") process.send({ type: "report", received: times.length, times });
  if (message.type === "close") {
    for (const socket of sockets) socket.close();
    process.exit(0);
  }
});
