#!/usr/bin/env node
// Throughput of 1, 2 and 3 `wsspaces serve --cluster` nodes on one PostgreSQL, on this machine.
// One operation: POST /api/v1/spaces/:id/requests?wait=30 answered by zero-delay SDK workers
// (spread over the nodes), 64 in flight, submissions spread round-robin over the nodes.
// Also counts, per request, PostgreSQL transactions and rows written and NOTIFY messages.
// Usage: npm run build && node bench/cluster-nodes.mjs [--seconds 8] [--json FILE]
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { Worker } from "@wsspaces/worker";

const PARAMS = { nodes: [1, 2, 3], inFlight: 64, workers: 2, workerCapacity: 16, warmupSeconds: 2, seconds: 8 };
const { values } = parseArgs({ options: { seconds: { type: "string" }, json: { type: "string" } } });
if (values.seconds) PARAMS.seconds = Number(values.seconds);

const CLI = fileURLToPath(new URL("../bin/wsspaces.js", import.meta.url));
const BASE = process.env.WSSPACES_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`wsspaces ${args.join(" ")} exited ${code}`))));
  });
}

function serve(env) {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--log-level", "info", "--log-format", "json"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (d) => {
      buffer += d;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(buffer);
      if (match) {
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({ child, url: match[1] });
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
}

async function dbStats(client) {
  const { rows } = await client.query("select xact_commit, tup_inserted, tup_updated, tup_deleted from pg_stat_database where datname = current_database()");
  const r = rows[0];
  return { commits: Number(r.xact_commit), rows: Number(r.tup_inserted) + Number(r.tup_updated) + Number(r.tup_deleted) };
}

async function scenario(nodeCount) {
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: BASE });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = new URL(BASE);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const databaseUrl = url.toString();
  const env = {
    WSSPACES_DATABASE_URL: databaseUrl,
    WSSPACES_CLUSTER: "1",
    WSSPACES_SUBMITS_PER_MINUTE: "0",
    WSSPACES_USER_QUEUE_LIMIT: "1000000",
    WSSPACES_WORKER_EVENTS_PER_SECOND: "1000000",
    WSSPACES_LOG_LEVEL: "warn",
  };
  const nodes = [];
  const workers = [];
  const listener = new pg.Client({ connectionString: BASE });
  try {
    await run(["admin", "create", "--username", "bench", "--password", "bench-password"], env);
    const space = JSON.parse(await run(["space", "create", "--name", "Bench", "--max-queue", "100000", "--json"], env));
    const key = JSON.parse(await run(["apikey", "create", "--username", "bench", "--json"], env)).key;
    for (let i = 0; i < nodeCount; i++) nodes.push(await serve(env));
    for (let i = 0; i < PARAMS.workers; i++) {
      const worker = new Worker({ server: nodes[i % nodeCount].url, token: space.worker_token, capacity: PARAMS.workerCapacity });
      worker.handle((request) => ({ echo: request.payload.prompt }));
      await worker.start();
      workers.push(worker);
    }
    // Count the cluster's NOTIFY messages on the channels its nodes use.
    const prefix = `wsspaces_${createHash("sha256").update(databaseUrl).digest("hex").slice(0, 12)}`;
    let notifies = 0;
    await listener.connect();
    listener.on("notification", () => notifies++);
    for (const nsp of ["/", "/live"]) await listener.query(`LISTEN "${prefix}#${nsp}"`);

    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const latencies = [];
    let measuring = false;
    let next = 0;
    let stop = false;
    const one = async () => {
      const node = nodes[next++ % nodeCount];
      const started = performance.now();
      const res = await fetch(`${node.url}/api/v1/spaces/${space.id}/requests?wait=30`, { method: "POST", headers, body: '{"prompt":"x"}' });
      const body = await res.json();
      if (res.status !== 200 || body.state !== "completed") throw new Error(`unexpected answer ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      if (measuring) latencies.push(performance.now() - started);
    };
    const loops = Array.from({ length: PARAMS.inFlight }, async () => {
      while (!stop) await one();
    });
    await new Promise((r) => setTimeout(r, PARAMS.warmupSeconds * 1000));
    const before = await dbStats(admin);
    const notifiesBefore = notifies;
    measuring = true;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, PARAMS.seconds * 1000));
    measuring = false;
    const elapsed = (performance.now() - t0) / 1000;
    const done = latencies.length;
    const after = await dbStats(admin);
    const notifyCount = notifies - notifiesBefore;
    stop = true;
    await Promise.all(loops);
    latencies.sort((a, b) => a - b);
    return {
      nodes: nodeCount,
      requests: done,
      per_second: Math.round(done / elapsed),
      p50_ms: Math.round(latencies[Math.floor(done * 0.5)] ?? NaN),
      p99_ms: Math.round(latencies[Math.floor(done * 0.99)] ?? NaN),
      pg_commits_per_request: +((after.commits - before.commits) / done).toFixed(1),
      pg_rows_written_per_request: +((after.rows - before.rows) / done).toFixed(1),
      notifies_per_request: +(notifyCount / done).toFixed(1),
    };
  } finally {
    for (const worker of workers) await worker.stop({ drainTimeoutMs: 0 });
    for (const node of nodes) node.child.kill("SIGKILL");
    await listener.end().catch(() => undefined);
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
}

const results = [];
for (const n of PARAMS.nodes) results.push(await scenario(n));
const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`\nCluster throughput on ${cpus().length} cores (${cpu}), Node ${process.version}; ${PARAMS.inFlight} in flight, ${PARAMS.workers} workers × ${PARAMS.workerCapacity} slots, ${PARAMS.seconds} s after ${PARAMS.warmupSeconds} s warm-up\n`);
console.log("| nodes | requests/s | p50 ms | p99 ms | PG commits/request | PG rows written/request | NOTIFY/request |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) console.log(`| ${r.nodes} | ${r.per_second} | ${r.p50_ms} | ${r.p99_ms} | ${r.pg_commits_per_request} | ${r.pg_rows_written_per_request} | ${r.notifies_per_request} |`);
if (values.json) writeFileSync(values.json, JSON.stringify({ params: PARAMS, cpu, cores: cpus().length, node: process.version, results }, null, 2) + "\n");
