#!/usr/bin/env node
// Child process for the baselines, so each baseline, like the product, has its server in a
// process of its own. Usage: node bench/echo-server.mjs ws|socketio|bullmq-worker
// Prints one JSON line {"port": N} (or {"ready": true}) when it is ready; exits on SIGTERM.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { Server } from "socket.io";
import { Worker } from "bullmq";

const kind = process.argv[2];
const closers = [];

if (kind === "ws") {
  // One WebSocket hop: parse the JSON message and serialise it back.
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  wss.on("connection", (ws) => ws.on("message", (data) => ws.send(JSON.stringify(JSON.parse(data.toString())))));
  await new Promise((r) => wss.on("listening", r));
  closers.push(() => wss.close());
  console.log(JSON.stringify({ port: wss.address().port }));
} else if (kind === "socketio") {
  // Socket.IO emit with ack: the handler acks with the payload it got.
  const http = createServer();
  const ioServer = new Server(http, { transports: ["websocket"], perMessageDeflate: false });
  ioServer.on("connection", (socket) => socket.on("echo", (payload, ack) => ack(payload)));
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  closers.push(() => ioServer.close());
  console.log(JSON.stringify({ port: http.address().port }));
} else if (kind === "bullmq-worker") {
  // A BullMQ worker that completes every job at once with its data.
  const queue = process.argv[3];
  const concurrency = Number(process.argv[4] ?? 64);
  const worker = new Worker(queue, async (job) => job.data, { connection: { host: "127.0.0.1", port: 6379 }, concurrency });
  await worker.waitUntilReady();
  closers.push(() => worker.close());
  console.log(JSON.stringify({ ready: true }));
} else {
  console.error(`unknown kind ${kind}`);
  process.exit(2);
}

process.on("SIGTERM", async () => {
  for (const close of closers) await close();
  process.exit(0);
});
