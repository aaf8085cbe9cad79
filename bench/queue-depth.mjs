// Product scenario 6: queue depth. With no worker connected (space with --queue-offline and
// --max-queue 100000), `queueDepth` requests are submitted (POST …/requests, no wait: 202 once
// stored), 64 in flight. Then two zero-delay workers (capacity 64 each) connect and the queue is
// drained. Reports the submit rate, the dispatch rate (requests completed per second from the
// workers connecting to the last result acknowledged), and the server's RSS.
import { performance } from "node:perf_hooks";
import { round, until } from "./lib/measure.mjs";
import { createClient } from "./lib/http.mjs";
import { connectWorker } from "./lib/raw-worker.mjs";
import { createDatabase, provision, startServe } from "./lib/site.mjs";

export async function queueDepth(p) {
  const db = await createDatabase("sqlite");
  let server;
  const workers = [];
  let client;
  let sampler;
  try {
    const { key, spaces } = await provision(db.env, [{ name: "Deep", args: ["--queue-offline", "--max-queue", "100000", "--timeout", "3600"] }]);
    const space = spaces.Deep;
    server = await startServe(db.env);
    let peakRss = server.rss();
    sampler = setInterval(() => (peakRss = Math.max(peakRss, server.rss())), 250);
    client = createClient(server.url, { maxSockets: p.inFlight, headers: { authorization: `Bearer ${key}` } });
    const path = `/api/v1/spaces/${space.id}/requests`;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: p.inFlight }, async () => {
      while (next < p.queueDepth) {
        next++;
        const res = await client.post(path, { prompt: "queued" });
        if (res.status !== 202) throw new Error(`submit answered ${res.status} ${res.text.slice(0, 200)}`);
      }
    }));
    const submitSeconds = (performance.now() - t0) / 1000;
    const rssQueued = server.rss();
    const view = await client.get(`/api/v1/spaces/${space.id}`);
    const queueLength = view.body?.queue_length;

    const t1 = performance.now();
    let completed = 0;
    for (let i = 0; i < 2; i++) {
      const worker = connectWorker(server.url, space.worker_token, { capacity: 64, onResult: (ack) => ack?.ok && completed++ });
      workers.push(worker);
    }
    await Promise.all(workers.map((w) => w.ready));
    await until(() => completed >= p.queueDepth, { timeoutMs: 600_000, everyMs: 50, what: "the queue to drain" });
    const drainSeconds = (performance.now() - t1) / 1000;
    return {
      requests: p.queueDepth,
      queue_length_reported: queueLength ?? null,
      submit_per_second: Math.round(p.queueDepth / submitSeconds),
      dispatch_per_second: Math.round(p.queueDepth / drainSeconds),
      submit_seconds: round(submitSeconds, 1),
      drain_seconds: round(drainSeconds, 1),
      rss_queued_mib: round(rssQueued / 2 ** 20, 1),
      rss_peak_mib: round(Math.max(peakRss, server.rss()) / 2 ** 20, 1),
    };
  } finally {
    clearInterval(sampler);
    client?.close();
    for (const worker of workers) worker.close();
    await server?.stop();
    await db.drop();
  }
}
