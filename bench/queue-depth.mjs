// Product scenario 6: queue depth. With no worker connected (space with --queue-offline and
// --max-queue 100000), up to `queueDepth` requests are submitted (POST …/requests, no wait: 202
// once stored), 64 in flight, for at most `queueSeconds`. Then two zero-delay workers (capacity
// 64 each) connect and drain the queue, again for at most `queueSeconds`. Reports the submit
// rate overall and per block of 10% of the target (it falls as the queue grows), the dispatch
// rate (requests completed per second once the workers connect), and the server's RSS.
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
    let accepted = 0;
    const block = Math.max(1, Math.round(p.queueDepth / 10));
    const blocks = [];
    const t0 = performance.now();
    let blockStart = t0;
    const submitDeadline = t0 + p.queueSeconds * 1000;
    await Promise.all(Array.from({ length: p.inFlight }, async () => {
      while (next < p.queueDepth && performance.now() < submitDeadline) {
        next++;
        const res = await client.post(path, { prompt: "queued" });
        if (res.status !== 202) throw new Error(`submit answered ${res.status} ${res.text.slice(0, 200)}`);
        if (++accepted % block === 0) {
          const at = performance.now();
          blocks.push({ queued: accepted, per_second: Math.round(block / ((at - blockStart) / 1000)) });
          blockStart = at;
        }
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
    const drainDeadline = performance.now() + p.queueSeconds * 1000;
    await until(() => completed >= accepted || performance.now() > drainDeadline, { timeoutMs: p.queueSeconds * 1000 + 10_000, everyMs: 50, what: "the queue to drain" });
    const drainSeconds = (performance.now() - t1) / 1000;
    return {
      target: p.queueDepth,
      queued: accepted,
      queue_length_reported: queueLength ?? null,
      submit_per_second: Math.round(accepted / submitSeconds),
      submit_per_second_by_depth: blocks,
      completed,
      dispatch_per_second: Math.round(completed / drainSeconds),
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
