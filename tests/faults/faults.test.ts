import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import type { RequestView } from "@wsspaces/protocol";
import { ApiClient } from "../helpers/http.js";
import { runCli, spawnCli, spawnProcess, type Proc } from "../helpers/processes.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";

/*
 * Fault injection: real server and worker processes, concurrent clients, and a chaos loop that
 * SIGKILLs workers, cuts their sockets, and SIGKILLs + restarts the server. Afterwards every
 * accepted request must have reached exactly one terminal state, recorded once.
 * Run with `npm run test:faults`; FAULTS_REQUESTS and FAULTS_WORKERS scale it.
 */

const TARGET = Number(process.env.FAULTS_REQUESTS ?? 1000);
const WORKERS = Number(process.env.FAULTS_WORKERS ?? 4);
const CLIENTS = 8;
const SERVER_KILLS = 3;
const FAULT_WORKER = fileURLToPath(new URL("./fault-worker.mjs", import.meta.url));
const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out"]);

const data = mkdtempSync(join(tmpdir(), "wsspaces-faults-"));
const procs = new Set<Proc>();
afterAll(async () => {
  await Promise.all([...procs].map((p) => p.kill("SIGKILL")));
  rmSync(data, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

it(`loses and duplicates nothing across ${TARGET} requests under chaos`, { timeout: 360_000 }, async () => {
  // ---- set-up through the CLI ---------------------------------------------------------------
  await runCli(["admin", "create", "--username", "chaos", "--password", "chaos-password", "--data", data]);
  const space = JSON.parse(
    (await runCli(["space", "create", "--name", "Chaos", "--queue-offline", "--max-queue", "100000", "--timeout", "90", "--json", "--data", data])).stdout,
  ) as { id: string; worker_token: string };
  const key = (JSON.parse((await runCli(["apikey", "create", "--username", "chaos", "--json", "--data", data])).stdout) as { key: string }).key;

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serverEnv = {
    WSSPACES_RESUME_GRACE_MS: "1500",
    WSSPACES_PING_INTERVAL_MS: "500",
    WSSPACES_PING_TIMEOUT_MS: "1000",
    WSSPACES_USER_QUEUE_LIMIT: "100000",
    WSSPACES_SUBMITS_PER_MINUTE: "0",
    WSSPACES_WORKER_EVENTS_PER_SECOND: "5000",
  };
  let server: Proc | undefined;
  const startServer = async () => {
    const proc = spawnCli(["serve", "--port", String(port), "--data", data, "--log-level", "warn"], serverEnv);
    procs.add(proc);
    server = proc;
    void proc.exited.then((code) => {
      if (process.env.FAULTS_VERBOSE) console.error(`server exited ${code}: ${proc.lines.slice(-5).join(" | ")}`);
    });
    // Ready when it answers; a restart must reuse the port, so wait for it to be free again.
    for (;;) {
      if ((await fetch(`${url}/readyz`).then((r) => r.ok).catch(() => false)) === true) return;
      if (proc.child.exitCode !== null) throw new Error(`server exited: ${proc.lines.slice(-20).join("\n")}`);
      await pause(50);
    }
  };
  await startServer();

  // Workers reach the server through a proxy that can cut their sockets.
  const proxy = new TcpProxy({ host: "127.0.0.1", port });
  const workerUrl = await proxy.start();
  const accepts = new Map<string, number>();
  const workers = new Set<Proc>();
  const spawnWorker = () => {
    const proc = spawnProcess(process.execPath, [FAULT_WORKER, workerUrl, space.worker_token, "Chaos", "4"]);
    procs.add(proc);
    workers.add(proc);
    void proc.exited.then((code) => {
      workers.delete(proc);
      if (process.env.FAULTS_VERBOSE) console.error(`worker ${proc.child.pid} exited ${code}: ${proc.lines.slice(-3).join(" | ")}`);
    });
    return proc;
  };
  for (let i = 0; i < WORKERS; i++) spawnWorker();

  // ---- clients: submit until the target is reached --------------------------------------------
  const accepted: string[] = [];
  const firstTerminal = new Map<string, string>();
  let submitting = true;
  const api = new ApiClient(url, key);
  api.timeoutMs = 5000;
  const client = async () => {
    while (submitting) {
      try {
        const res = await api.post<{ request_id: string }>(`/api/v1/spaces/${space.id}/requests`, { prompt: `job ${accepted.length}` });
        if (res.status === 202) accepted.push(res.body.request_id);
        // Paced, so that the chaos has time to happen while requests flow.
        await pause(res.status === 202 ? 250 : 50);
      } catch {
        await pause(50); // The server is down: retry.
      }
      if (accepted.length >= TARGET) submitting = false;
    }
  };
  // A watcher records the first terminal view it sees of random requests, to catch changes.
  let watching = true;
  const watcher = async () => {
    while (watching) {
      const id = pick(accepted);
      if (id && !firstTerminal.has(id)) {
        const view = await api.get<RequestView>(`/api/v1/requests/${id}`).catch(() => undefined);
        if (view?.status === 200 && TERMINAL.has(view.body.state)) firstTerminal.set(id, JSON.stringify([view.body.state, view.body.result, view.body.error]));
      }
      await pause(5);
    }
  };

  // ---- chaos --------------------------------------------------------------------------------
  let serverKills = 0;
  let workerKills = 0;
  let socketDrops = 0;
  const chaos = async () => {
    let tick = 0;
    while (submitting || serverKills < SERVER_KILLS) {
      await pause(250);
      tick++;
      while (workers.size < WORKERS) spawnWorker();
      const progress = accepted.length / TARGET;
      if (serverKills < SERVER_KILLS && progress >= (serverKills + 1) / (SERVER_KILLS + 1)) {
        await server?.kill("SIGKILL");
        serverKills++;
        await pause(300);
        await startServer();
        continue;
      }
      if (tick % 4 === 0) {
        const victim = pick([...workers]);
        if (victim) {
          await victim.kill("SIGKILL");
          workerKills++;
        }
      } else if (tick % 4 === 2) {
        proxy.dropAll();
        socketDrops++;
      }
    }
  };

  const started = Date.now();
  const reporter = setInterval(() => {
    const down = server?.child.exitCode !== null;
    console.error(`faults progress: t=${((Date.now() - started) / 1000).toFixed(0)}s accepted=${accepted.length} settled=${final.size} workers=${workers.size} server_kills=${serverKills}${down ? " (server down)" : ""}`);
  }, 5000);
  const final = new Map<string, RequestView>();
  const watcherDone = watcher();
  await Promise.all([...Array.from({ length: CLIENTS }, client), chaos()]);

  // ---- settle: every accepted request reaches a terminal state ---------------------------------
  const settleBy = Date.now() + 150_000;
  while (final.size < accepted.length && Date.now() < settleBy) {
    while (workers.size < WORKERS) spawnWorker();
    for (const id of accepted) {
      if (final.has(id)) continue;
      const view = await api.get<RequestView>(`/api/v1/requests/${id}`).catch(() => undefined);
      if (view?.status === 200 && TERMINAL.has(view.body.state)) final.set(id, view.body);
    }
    if (final.size < accepted.length) await pause(250);
  }
  watching = false;
  await watcherDone;
  clearInterval(reporter);

  // ---- verify ---------------------------------------------------------------------------------
  for (const proc of procs) {
    for (const line of proc.lines) {
      if (!line.startsWith('{"delivered"')) continue;
      const event = JSON.parse(line) as { delivered: string; outcome: string };
      if (event.outcome === "accepted") accepts.set(event.delivered, (accepts.get(event.delivered) ?? 0) + 1);
    }
  }
  const db = new Database(join(data, "wsspaces.db"), { readonly: true });
  const rowOf = db.prepare<[string], { state: string; result: string | null }>("select state, result from requests where id = ?");
  let lost = 0;
  let duplicated = 0;
  const counts: Record<string, number> = { completed: 0, failed: 0, cancelled: 0, timed_out: 0 };
  for (const id of accepted) {
    const row = rowOf.get(id);
    const view = final.get(id);
    if (!row || !TERMINAL.has(row.state) || !view) {
      lost++;
      continue;
    }
    counts[row.state] = (counts[row.state] ?? 0) + 1;
    const stored = JSON.stringify([row.state, row.result === null ? null : JSON.parse(row.result), view.error]);
    const changed = firstTerminal.has(id) && firstTerminal.get(id) !== stored;
    if ((accepts.get(id) ?? 0) > 1 || changed || view.state !== row.state) duplicated++;
  }
  db.close();
  // Every completed request was accepted from exactly one worker.
  const completedWithoutAccept = accepted.filter((id) => final.get(id)?.state === "completed" && !accepts.has(id)).length;

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `faults: accepted=${accepted.length} completed=${counts.completed} failed=${counts.failed} timed_out=${counts.timed_out} cancelled=${counts.cancelled} ` +
      `lost=${lost} duplicated=${duplicated} server_kills=${serverKills} worker_kills=${workerKills} socket_drops=${socketDrops} ` +
      `watched=${firstTerminal.size} seconds=${seconds}`,
  );
  await proxy.close();

  expect(accepted.length).toBeGreaterThanOrEqual(TARGET);
  expect(serverKills).toBeGreaterThanOrEqual(SERVER_KILLS);
  expect(lost).toBe(0);
  expect(duplicated).toBe(0);
  // Results whose acknowledgement died with a killed worker are recorded without an "accepted"
  // line; there must not be many of them.
  expect(completedWithoutAccept).toBeLessThanOrEqual(workerKills * 4 + serverKills * WORKERS * 4);
});
