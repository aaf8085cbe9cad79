// Product scenario 1/2: the end-to-end round trip
//   POST /api/v1/spaces/:id/requests?wait=30  →  queue (DB)  →  inference_request  →  zero-delay
//   worker  →  inference_result  →  DB  →  200 with the final view (state "completed")
// on SQLite or PostgreSQL, sequential and with 64 requests in flight.
import { closedLoop, sequential } from "./lib/measure.mjs";
import { createClient } from "./lib/http.mjs";
import { connectWorker } from "./lib/raw-worker.mjs";
import { createDatabase, provision, startServe } from "./lib/site.mjs";

export const E2E_WORKERS = 2;
export const E2E_WORKER_CAPACITY = 64;

/** options.cpuProfDir: run the server under --cpu-prof (the profile is written when it stops). */
export async function endToEnd(dialect, p, options = {}) {
  const db = await createDatabase(dialect);
  let server;
  const workers = [];
  let client;
  try {
    const { key, spaces } = await provision(db.env, [{ name: "Bench", args: ["--max-queue", "100000"] }]);
    const space = spaces.Bench;
    server = await startServe(db.env, { cpuProfDir: options.cpuProfDir });
    for (let i = 0; i < E2E_WORKERS; i++) {
      const worker = connectWorker(server.url, space.worker_token, { capacity: E2E_WORKER_CAPACITY });
      await worker.ready;
      workers.push(worker);
    }
    client = createClient(server.url, { maxSockets: p.inFlight, headers: { authorization: `Bearer ${key}` } });
    const path = `/api/v1/spaces/${space.id}/requests?wait=30`;
    const call = async () => {
      const res = await client.post(path, { prompt: "hello" });
      if (res.status !== 200 || res.body?.state !== "completed") throw new Error(`unexpected answer ${res.status} ${res.text.slice(0, 200)}`);
    };
    const seq = await sequential(call, { count: p.seqCount, warmup: p.warmup, maxSeconds: p.seqSeconds });
    const rssBefore = server.rss();
    const loop = await closedLoop(call, p);
    return { sequential: seq, throughput: loop, server_rss_mib: Math.round(Math.max(rssBefore, server.rss()) / 2 ** 20) };
  } finally {
    client?.close();
    for (const worker of workers) worker.close();
    await server?.stop();
    await db.drop();
  }
}
