// Product scenario 4: connection scale. `idleWorkers` worker sockets (registered, idle) and
// `liveSockets` browser /live sockets (subscribed to a probe space), opened by several client
// processes (bench/socket-client.mjs). Reports server RSS per socket, connect rate, and the
// "connected" broadcast latency: from a probe worker starting to connect to the probe space
// until each /live socket receives that space's status with connected: true.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { quantile, round, delay } from "./lib/measure.mjs";
import { connectWorker } from "./lib/raw-worker.mjs";
import { createDatabase, provision, startServe } from "./lib/site.mjs";

const CLIENT = fileURLToPath(new URL("./socket-client.mjs", import.meta.url));
const PER_PROCESS = 2500;

function startClients(kind, url, total, credential) {
  const processes = Math.max(1, Math.ceil(total / PER_PROCESS));
  const children = [];
  const t0 = performance.now();
  const done = [];
  for (let i = 0; i < processes; i++) {
    const n = Math.floor(total / processes) + (i < total % processes ? 1 : 0);
    const child = fork(CLIENT, [kind, url, String(n), credential, "50"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(child);
    done.push(new Promise((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`socket-client ${kind} exited ${code}`)));
      child.on("message", function onMessage(m) {
        if (m.type === "connected") {
          child.off("message", onMessage);
          resolve();
        } else if (m.type === "error") reject(new Error(`socket-client ${kind}: ${m.message}`));
      });
    }));
  }
  return {
    children,
    connected: Promise.all(done).then(() => (performance.now() - t0) / 1000),
    report: () => Promise.all(children.map((child) => new Promise((resolve) => {
      child.on("message", function onMessage(m) {
        if (m.type === "report") {
          child.off("message", onMessage);
          resolve(m);
        }
      });
      child.send({ type: "report" });
    }))),
    close: () => Promise.all(children.map((child) => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.removeAllListeners("exit");
      child.once("exit", resolve);
      child.send({ type: "close" });
    }))),
  };
}

export async function connectionScale(p) {
  const db = await createDatabase("sqlite");
  let server;
  let workers;
  let live;
  let probe;
  const mib = (bytes) => round(bytes / 2 ** 20, 1);
  try {
    const { spaces } = await provision(db.env, [{ name: "Idle" }, { name: "Probe" }]);
    // One file descriptor per socket, plus ~40 for the database, the listener and stdio.
    const need = p.idleWorkers + p.liveSockets + 60;
    server = await startServe(db.env, { openFiles: Math.max(65_536, need) });
    if (server.openFiles < need) {
      throw new Error(`the server may open only ${server.openFiles} files; ${need} needed (raise the hard limit: ulimit -Hn, or run as root)`);
    }
    await delay(500);
    const rssStart = server.rss();

    workers = startClients("worker", server.url, p.idleWorkers, spaces.Idle.worker_token);
    const workerSeconds = await workers.connected;
    await delay(500);
    const rssWorkers = server.rss();

    live = startClients("live", server.url, p.liveSockets, spaces.Probe.id);
    const liveSeconds = await live.connected;
    await delay(500);
    const rssAll = server.rss();

    // The probe: the first worker of the probe space; every /live socket should hear of it.
    const t0 = performance.timeOrigin + performance.now();
    probe = connectWorker(server.url, spaces.Probe.worker_token, { capacity: 1 });
    await probe.ready;
    let reports = [];
    const deadline = performance.now() + 30_000;
    for (;;) {
      reports = await live.report();
      if (reports.reduce((s, r) => s + r.received, 0) >= p.liveSockets || performance.now() > deadline) break;
      await delay(100);
    }
    const latencies = reports.flatMap((r) => r.times.map((t) => t - t0)).sort((a, b) => a - b);
    return {
      idle_workers: p.idleWorkers,
      live_sockets: p.liveSockets,
      server_open_file_limit: server.openFiles,
      rss_start_mib: mib(rssStart),
      rss_with_workers_mib: mib(rssWorkers),
      rss_with_all_mib: mib(rssAll),
      rss_per_worker_socket_kib: round((rssWorkers - rssStart) / p.idleWorkers / 1024, 1),
      rss_per_live_socket_kib: round((rssAll - rssWorkers) / p.liveSockets / 1024, 1),
      worker_connects_per_second: Math.round(p.idleWorkers / workerSeconds),
      live_connects_per_second: Math.round(p.liveSockets / liveSeconds),
      broadcast_received: latencies.length,
      broadcast_p50_ms: round(quantile(latencies, 0.5), 1),
      broadcast_last_ms: round(latencies.at(-1) ?? NaN, 1),
      space_status_interval_ms: 200,
    };
  } finally {
    probe?.close();
    await live?.close();
    await workers?.close();
    await server?.stop();
    await db.drop();
  }
}
