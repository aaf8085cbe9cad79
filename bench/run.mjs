#!/usr/bin/env node
// The benchmark suite (issue #12): baselines and product scenarios side by side, in one run.
//   npm run bench                       full run (a few minutes)
//   node bench/run.mjs --quick          ~30 s smoke run with small sizes
//   node bench/run.mjs --only ws,e2e-sqlite [--runs 3] [--profile] [--json FILE]
// Prints markdown tables to stdout and writes JSON to bench/results/<timestamp>.json (a full
// run also to bench/results/latest.json). --profile runs the server of e2e-sqlite under
// `node --cpu-prof` and summarises the profile. Needs Redis on 127.0.0.1:6379 (bullmq) and
// PostgreSQL at WSSPACES_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/test.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bullmqRoundTrip, socketIoEcho, wsEcho } from "./baselines.mjs";
import { endToEnd, E2E_WORKERS, E2E_WORKER_CAPACITY } from "./e2e.mjs";
import { streamRelay } from "./stream.mjs";
import { connectionScale } from "./sockets.mjs";
import { queueDepth } from "./queue-depth.mjs";
import { fileTransfer } from "./files.mjs";
import { summarise, summaryMarkdown } from "./cpuprofile-summary.mjs";
import { median, round } from "./lib/measure.mjs";

const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));

const FULL = { runs: 3, inFlight: 64, seqCount: 2000, seqSeconds: 4, warmup: 200, seconds: 4, warmupSeconds: 1, streamReaders: 50, streamChunks: 10_000, idleWorkers: 9_900, liveSockets: 9_900, queueDepth: 100_000, queueSeconds: 60, fileMib: 1024 };
const QUICK = { runs: 1, inFlight: 64, seqCount: 200, seqSeconds: 1, warmup: 50, seconds: 1, warmupSeconds: 0.5, streamReaders: 10, streamChunks: 1000, idleWorkers: 300, liveSockets: 300, queueDepth: 2000, queueSeconds: 20, fileMib: 64 };

const inflight = (p) => `${p.inFlight} in flight`;
/** Every scenario: its id, name, what one operation is, and how it runs. */
const SCENARIOS = [
  { id: "ws", group: "baseline", name: "Raw ws echo", operation: () => "one JSON message over one WebSocket (ws), parsed and re-serialised by the server, back to the client", run: wsEcho },
  { id: "socketio", group: "baseline", name: "Socket.IO echo", operation: () => "socket.emitWithAck(\"echo\", payload); the server acks with the payload", run: socketIoEcho },
  { id: "bullmq", group: "baseline", name: "BullMQ + Redis", operation: () => "queue.add → Worker (separate process) completes → job.waitUntilFinished(QueueEvents)", run: bullmqRoundTrip },
  { id: "e2e-sqlite", group: "product", name: "1. End-to-end, SQLite", operation: () => `POST /api/v1/spaces/:id/requests?wait=30 → 200 completed; ${E2E_WORKERS} zero-delay socket.io-client workers × capacity ${E2E_WORKER_CAPACITY}`, run: (p, o) => endToEnd("sqlite", p, o) },
  { id: "e2e-postgres", group: "product", name: "2. End-to-end, PostgreSQL", operation: () => "as 1, on PostgreSQL (own schema, local server)", run: (p) => endToEnd("postgres", p) },
  { id: "stream", group: "product", name: "3. Stream relay", operation: (p) => `one chunk delivered to one reader: 1 worker streams ${p.streamChunks} chunks to ${p.streamReaders} SSE + ${p.streamReaders} /live readers`, run: streamRelay },
  { id: "sockets", group: "product", name: "4. Connection scale", operation: (p) => `${p.idleWorkers} idle registered worker sockets + ${p.liveSockets} /live sockets subscribed to a space`, run: connectionScale },
  { id: "files", group: "product", name: "5. Files", operation: (p) => `one ${p.fileMib} MiB input uploaded (multipart), downloaded by the worker (signed link), one ${p.fileMib} MiB output PUT by the worker and downloaded by the user`, run: fileTransfer },
  { id: "queue", group: "product", name: "6. Queue depth", operation: (p) => `up to ${p.queueDepth} requests submitted with no worker (202 each, ${inflight(p)}; at most ${p.queueSeconds} s), then drained by 2 zero-delay workers × 64 (at most ${p.queueSeconds} s)`, run: queueDepth },
];
const LOOP_IDS = new Set(["ws", "socketio", "bullmq", "e2e-sqlite", "e2e-postgres"]);

const { values } = parseArgs({
  options: {
    quick: { type: "boolean" },
    only: { type: "string" },
    runs: { type: "string" },
    profile: { type: "boolean" },
    json: { type: "string" },
    "no-write": { type: "boolean" },
    "file-mib": { type: "string" },
  },
});
const params = { ...(values.quick ? QUICK : FULL) };
if (values.runs) params.runs = Number(values.runs);
if (values["file-mib"]) params.fileMib = Number(values["file-mib"]);
const only = values.only ? new Set(values.only.split(",").map((s) => s.trim())) : null;
if (only) for (const id of only) if (!SCENARIOS.some((s) => s.id === id)) throw new Error(`--only: unknown scenario "${id}" (${SCENARIOS.map((s) => s.id).join(", ")})`);

/** Median of each numeric leaf across runs (non-numbers from the first run). */
function medianOf(runs) {
  if (runs.length === 1) return runs[0];
  const merge = (items) => {
    const first = items[0];
    if (typeof first === "number") return round(median(items), 3);
    if (first && typeof first === "object") return Object.fromEntries(Object.keys(first).map((k) => [k, merge(items.map((i) => i?.[k]))]));
    return first;
  };
  return merge(runs);
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const partialFile = join(RESULTS, "partial.json");
const started = new Date();
const results = {};
let profile = null;
for (const scenario of SCENARIOS) {
  if (only && !only.has(scenario.id)) continue;
  const entry = { name: scenario.name, group: scenario.group, operation: scenario.operation(params) };
  results[scenario.id] = entry;
  if (!scenario.run) {
    entry.status = "not yet built";
    continue;
  }
  const runs = [];
  const count = LOOP_IDS.has(scenario.id) ? params.runs : 1;
  try {
    for (let i = 0; i < count; i++) {
      log(`${scenario.id} run ${i + 1}/${count}`);
      runs.push(await scenario.run(params, {}));
    }
    if (values.profile && scenario.id === "e2e-sqlite") {
      const dir = join(RESULTS, "profiles", started.toISOString().replace(/[:.]/g, "-"));
      mkdirSync(dir, { recursive: true });
      log("e2e-sqlite under --cpu-prof");
      const profiled = await scenario.run(params, { cpuProfDir: dir });
      const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
      if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
      profile = { file: join(dir, file), run: profiled, summary: summarise(JSON.parse(readFileSync(join(dir, file), "utf8")), 30) };
    }
    entry.status = "ok";
    entry.result = medianOf(runs);
    if (runs.length > 1) entry.runs = runs;
  } catch (err) {
    entry.status = "failed";
    entry.error = String(err?.stack ?? err);
    log(`${scenario.id} failed: ${entry.error}`);
  }
  // So that an interrupted run keeps what it measured.
  if (!values["no-write"]) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(partialFile, JSON.stringify({ started: started.toISOString(), params, results }, null, 2) + "\n");
  }
}

// ---- ratios and targets -------------------------------------------------------------------
const tp = (id) => results[id]?.result?.throughput?.per_second;
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 3) : null);
for (const id of ["e2e-sqlite", "e2e-postgres"]) {
  if (results[id]?.result) {
    results[id].ratios = { vs_ws: ratio(tp(id), tp("ws")), vs_socketio: ratio(tp(id), tp("socketio")), vs_bullmq: ratio(tp(id), tp("bullmq")) };
  }
}
const e2e = results["e2e-sqlite"]?.result;
const targets = [];
const target = (name, figure, met, note) => targets.push({ target: name, figure, met, ...(note ? { note } : {}) });
if (e2e) {
  target("E2E SQLite ≥ 5,000 req/s at 64 in flight", `${e2e.throughput.per_second} req/s`, e2e.throughput.per_second >= 5000);
  const sq = e2e.sequential;
  target("E2E SQLite sequential p50 ≤ 1.5 ms", `${sq.p50_ms} ms`, sq.p50_ms <= 1.5);
  target("E2E SQLite sequential p99 ≤ 5 ms", `${sq.p99_ms} ms`, sq.p99_ms <= 5);
  const vsWs = results["e2e-sqlite"].ratios.vs_ws;
  if (vsWs !== null) target("E2E SQLite ≥ 0.10× raw ws throughput", `${vsWs}×`, vsWs >= 0.1);
  const vsBull = results["e2e-sqlite"].ratios.vs_bullmq;
  if (vsBull !== null) target("E2E SQLite ≥ 2.5× BullMQ throughput", `${vsBull}×`, vsBull >= 2.5);
}
const stream = results.stream?.result;
if (stream) target("Stream relay ≥ 100,000 chunks/s", `${stream.chunks_per_second} chunks/s`, stream.chunks_per_second >= 100_000);
const sockets = results.sockets?.result;
if (sockets) {
  const total = sockets.idle_workers + sockets.live_sockets;
  const measured = total >= 20_000;
  const rss = measured
    ? sockets.rss_with_all_mib
    : round(sockets.rss_start_mib + ((sockets.rss_with_all_mib - sockets.rss_start_mib) / total) * 20_000, 1);
  target("20,000 idle sockets < 1.5 GiB server RSS", `${rss} MiB${measured ? "" : ` (extrapolated from ${total} sockets)`}`, rss < 1536);
}

const files = results.files?.result;
if (files) {
  target(`${files.file_mib} MiB upload and output with < 100 MiB server RSS growth`, `+${files.rss_growth_mib} MiB`, files.rss_growth_mib < 100 && files.input_intact && files.output_intact);
}

// ---- output -------------------------------------------------------------------------------
const fmt = (v, digits = 2) => (v === null || v === undefined || Number.isNaN(v) ? "—" : typeof v === "number" ? String(round(v, digits)) : String(v));
const lines = [];
const machine = { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memory_gib: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform} ${process.arch}` };
lines.push(`## Benchmarks — ${started.toISOString()}${values.quick ? " (--quick)" : ""}`, "");
lines.push(`${machine.cores} × ${machine.cpu}, ${machine.memory_gib} GiB, Node ${machine.node}. Load generator, workers and server share the machine. ` +
  `Round trips: medians of ${params.runs} run(s); sequential = ${params.seqCount} operations (or as many as fit in ${params.seqSeconds} s) after ${params.warmup} warm-up; throughput = ${params.inFlight} in flight (closed loop), ${params.seconds} s after ${params.warmupSeconds} s warm-up.`, "");
lines.push("| Scenario | One operation | seq p50 ms | seq p99 ms | ops/s @64 | p50 @64 ms | p99 @64 ms | × raw ws | × Socket.IO | × BullMQ |");
lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const id of LOOP_IDS) {
  const e = results[id];
  if (!e) continue;
  const r = e.result;
  if (!r) {
    lines.push(`| ${e.name} | ${e.operation} | ${e.status} | | | | | | | |`);
    continue;
  }
  const rs = e.ratios ?? {};
  lines.push(`| ${e.name} | ${e.operation} | ${fmt(r.sequential.p50_ms, 3)} | ${fmt(r.sequential.p99_ms, 3)} | ${fmt(r.throughput.per_second, 0)} | ${fmt(r.throughput.p50_ms)} | ${fmt(r.throughput.p99_ms)} | ${fmt(rs.vs_ws, 3)} | ${fmt(rs.vs_socketio, 3)} | ${fmt(rs.vs_bullmq, 3)} |`);
}
const others = ["stream", "sockets", "files", "queue"].filter((id) => results[id]);
if (others.length) {
  lines.push("", "| Scenario | One operation | Figures |", "| --- | --- | --- |");
  for (const id of others) {
    const e = results[id];
    const r = e.result;
    let figures = e.status;
    if (r && id === "stream") figures = `**${r.chunks_per_second} chunks/s delivered** (${r.delivered} in ${r.seconds} s); worker → server ${r.producer_chunks_per_second} chunks/s`;
    if (r && id === "sockets") figures = `RSS ${r.rss_start_mib} → ${r.rss_with_workers_mib} (workers) → **${r.rss_with_all_mib} MiB** (all); **${r.rss_per_worker_socket_kib} KiB/worker socket, ${r.rss_per_live_socket_kib} KiB//live socket**; connects/s: workers ${r.worker_connects_per_second}, /live ${r.live_connects_per_second}; "connected" broadcast: p50 ${r.broadcast_p50_ms} ms, last ${r.broadcast_last_ms} ms (${r.broadcast_received} sockets; status interval ${r.space_status_interval_ms} ms); open-file limit ${r.server_open_file_limit}`;
    if (r && id === "files") figures = `upload **${r.user_upload_mb_s} MB/s**, worker download ${r.worker_download_mb_s} MB/s, worker output PUT ${r.worker_upload_mb_s} MB/s, user download ${r.user_download_mb_s} MB/s; bytes intact: ${r.input_intact && r.output_intact ? "yes" : "**no**"}; server RSS ${r.rss_rest_mib} → peak ${r.rss_peak_mib} MiB (**+${r.rss_growth_mib} MiB**)`;
    if (r && id === "queue") {
      const byDepth = r.submit_per_second_by_depth.map((b) => `${b.per_second}@${b.queued}`).join(", ");
      figures = `queued **${r.queued}** of ${r.target} in ${r.submit_seconds} s: submit **${r.submit_per_second} req/s** (req/s at depth: ${byDepth}); dispatch+complete **${r.dispatch_per_second} req/s** (${r.completed} in ${r.drain_seconds} s); RSS ${r.rss_queued_mib} MiB queued, ${r.rss_peak_mib} MiB peak; queue_length ${r.queue_length_reported}`;
    }
    if (e.status === "failed") figures = `failed: ${e.error.split("\n")[0]}`;
    lines.push(`| ${e.name} | ${e.operation} | ${figures} |`);
  }
}
if (targets.length) {
  lines.push("", "| Target (issue #12, 2 cores) | Measured | Met? |", "| --- | ---: | --- |");
  for (const t of targets) lines.push(`| ${t.target} | ${t.figure} | ${t.met ? "met" : "**not met**"} |`);
}
if (profile) lines.push("", `### Server CPU profile during e2e-sqlite (${profile.file})`, "", summaryMarkdown(profile.summary));
console.log(lines.join("\n"));

const output = { started: started.toISOString(), quick: Boolean(values.quick), machine, params, results, targets, ...(profile ? { profile: { file: profile.file, run: profile.run, summary: profile.summary } } : {}) };
if (!values["no-write"]) {
  mkdirSync(RESULTS, { recursive: true });
  const file = values.json ?? join(RESULTS, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(output, null, 2) + "\n");
  if (!values.quick && !only) writeFileSync(join(RESULTS, "latest.json"), JSON.stringify(output, null, 2) + "\n");
  log(`wrote ${file}`);
}
process.exitCode = Object.values(results).some((r) => r.status === "failed") ? 1 : 0;
