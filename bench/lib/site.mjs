// Starting `wsspaces serve` processes for the product scenarios, and the set-up they need:
// a database (temp SQLite directory or a fresh PostgreSQL schema), an admin, a space, an API key.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { until } from "./measure.mjs";

const CLI = fileURLToPath(new URL("../../bin/wsspaces.js", import.meta.url));
export const POSTGRES_URL = process.env.WSSPACES_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Limits that would otherwise throttle a benchmark client (the defaults protect a public site). */
export const BENCH_ENV = {
  WSSPACES_SUBMITS_PER_MINUTE: "0",
  WSSPACES_USER_QUEUE_LIMIT: "1000000",
  WSSPACES_WORKER_EVENTS_PER_SECOND: "1000000",
  WSSPACES_SSE_STREAMS_PER_USER: "100000",
  WSSPACES_LOG_LEVEL: "warn",
  WSSPACES_REGISTRATION: "closed",
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** The soft "Max open files" limit of a process. */
export function openFileLimit(pid) {
  const match = /Max open files\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, "utf8"));
  return match ? (match[1] === "unlimited" ? Infinity : Number(match[1])) : NaN;
}

function runCli(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`wsspaces ${args.join(" ")} exited ${code}: ${err}`))));
  });
}

/**
 * A fresh database: `{ env, drop() }` where env points the CLI and the server at it.
 * dialect "sqlite": a temp data directory; "postgres": a new schema in POSTGRES_URL.
 */
export async function createDatabase(dialect) {
  const dataDir = mkdtempSync(join(tmpdir(), "wsspaces-bench-"));
  if (dialect === "sqlite") {
    return { env: { WSSPACES_DATA: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    env: { WSSPACES_DATA: dataDir, WSSPACES_DATABASE_URL: url.toString() },
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * An admin "bench", spaces (each `{name, args}` for `wsspaces space create`), and an API key.
 * Returns `{ key, spaces: {name: {id, worker_token}} }`.
 */
export async function provision(env, spaces) {
  await runCli(["admin", "create", "--username", "bench", "--password", "bench-password"], env);
  const created = {};
  for (const { name, args = [] } of spaces) {
    created[name] = JSON.parse(await runCli(["space", "create", "--name", name, "--inputs", "prompt", ...args, "--json"], env));
  }
  const key = JSON.parse(await runCli(["apikey", "create", "--username", "bench", "--json"], env)).key;
  return { key, spaces: created };
}

/**
 * Starts `wsspaces serve` on a free port and waits for /readyz.
 * options.cpuProfDir: run under `node --cpu-prof` writing there (on SIGTERM exit).
 * options.openFiles: raise the soft open-file limit first (`ulimit -n`, via sh; needs the hard
 * limit or root); the effective limit is in `openFiles` of the result.
 */
export async function startServe(env, options = {}) {
  const port = await freePort();
  const nodeArgs = options.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfDir] : [];
  const argv = [...nodeArgs, CLI, "serve", "--port", String(port)];
  const fullEnv = { ...process.env, ...BENCH_ENV, ...env };
  const child = options.openFiles
    ? spawn("sh", ["-c", `ulimit -n ${options.openFiles} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`, process.execPath, ...argv], { env: fullEnv, stdio: ["ignore", "ignore", "pipe"] })
    : spawn(process.execPath, argv, { env: fullEnv, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  let exited = false;
  const exit = new Promise((resolve) => child.on("exit", (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));
  const url = `http://127.0.0.1:${port}`;
  await until(async () => {
    if (exited) throw new Error(`wsspaces serve exited early: ${stderr}`);
    try {
      return (await fetch(`${url}/readyz`)).ok;
    } catch {
      return false;
    }
  }, { timeoutMs: 30_000, everyMs: 50, what: "wsspaces serve /readyz" });
  return {
    url,
    pid: child.pid,
    openFiles: openFileLimit(child.pid),
    rss: () => rssBytes(child.pid),
    stderr: () => stderr,
    /** SIGTERM (a clean shutdown, so --cpu-prof writes its profile), SIGKILL after 15 s. */
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
