// Baselines: the same round trip on bare transports, measured in the same run as the product.
// Each has its server in a child process (bench/echo-server.mjs), like the product's serve.
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { io } from "socket.io-client";
import { Queue, QueueEvents } from "bullmq";
import { closedLoop, sequential } from "./lib/measure.mjs";
import { startHelper } from "./lib/child.mjs";

const PAYLOAD = { prompt: "hello" };

/** N lanes, each a WebSocket with one message outstanding. */
async function wsLanes(url, count) {
  const lanes = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    let pending;
    ws.on("message", (data) => {
      JSON.parse(data.toString());
      const resolve = pending;
      pending = undefined;
      resolve?.();
    });
    lanes.push({ ws, call: () => new Promise((resolve) => {
      pending = resolve;
      ws.send(JSON.stringify(PAYLOAD));
    }) });
  }
  return lanes;
}

export async function wsEcho(p) {
  const server = await startHelper("echo-server.mjs", ["ws"]);
  const url = `ws://127.0.0.1:${server.info.port}`;
  try {
    const lanes = await wsLanes(url, p.inFlight);
    const seq = await sequential(() => lanes[0].call(), { count: p.seqCount, warmup: p.warmup, maxSeconds: p.seqSeconds });
    const loop = await closedLoop((lane) => lanes[lane].call(), p);
    for (const lane of lanes) lane.ws.close();
    return { sequential: seq, throughput: loop };
  } finally {
    await server.stop();
  }
}

export async function socketIoEcho(p) {
  const server = await startHelper("echo-server.mjs", ["socketio"]);
  const url = `http://127.0.0.1:${server.info.port}`;
  const sockets = [];
  try {
    for (let i = 0; i < p.inFlight; i++) {
      const socket = io(url, { transports: ["websocket"], forceNew: true, reconnection: false });
      await new Promise((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      sockets.push(socket);
    }
    const call = (lane) => sockets[lane].emitWithAck("echo", PAYLOAD);
    const seq = await sequential(call, { count: p.seqCount, warmup: p.warmup, maxSeconds: p.seqSeconds });
    const loop = await closedLoop(call, p);
    return { sequential: seq, throughput: loop };
  } finally {
    for (const socket of sockets) socket.close();
    await server.stop();
  }
}

export async function bullmqRoundTrip(p) {
  const name = `bench-${randomBytes(4).toString("hex")}`;
  const connection = { host: "127.0.0.1", port: 6379 };
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  // Every waitUntilFinished adds listeners for its job; 64 run at once.
  queue.setMaxListeners(0);
  events.setMaxListeners(0);
  const worker = await startHelper("echo-server.mjs", ["bullmq-worker", name, String(p.inFlight)]);
  try {
    const call = async () => {
      const job = await queue.add("echo", PAYLOAD, { removeOnComplete: 1000, removeOnFail: 1000 });
      await job.waitUntilFinished(events, 30_000);
    };
    const seq = await sequential(call, { count: p.seqCount, warmup: p.warmup, maxSeconds: p.seqSeconds });
    const loop = await closedLoop(call, p);
    return { sequential: seq, throughput: loop };
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await events.close();
    await queue.close();
  }
}
