#!/usr/bin/env node
// The queue's own queries at depth (a look behind scenario 6): fills one space's queue to each
// depth with the production store (packages/server/dist, so `npm run build` first), then times
// the statements a submission and a dispatch run — the admission checks, the fair tag, the
// position, the claim's "next queued" select — and prints each one's plan (EXPLAIN QUERY PLAN on
// SQLite, EXPLAIN on PostgreSQL) at the deepest depth.
//   node bench/queue-queries.mjs [--dialect sqlite|postgres|both] [--depths 0,10000,50000] [--users 10]
// Queued requests are spread over --users users (the first one submits half of them), all at
// priority 0, plus a few hundred finished ones and 3 running ones of u1 (for the per-user cap);
// PostgreSQL gets its own schema, dropped after. Run it before and after a change to the queue's
// queries or indexes (docs/benchmarks.md, "Queue depth").
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { buildMigrations } from "../packages/server/dist/db/migrations.js";
import { RequestStore } from "../packages/server/dist/requests/request-store.js";
import { POSTGRES_URL } from "./lib/site.mjs";

const { values } = parseArgs({ options: { dialect: { type: "string", default: "both" }, depths: { type: "string", default: "0,10000,50000" }, users: { type: "string", default: "10" } } });
const depths = values.depths.split(",").map(Number);
const userCount = Number(values.users);
const dialects = values.dialect === "both" ? ["sqlite", "postgres"] : [values.dialect];

async function open(dialect) {
  let captured = [];
  const log = (event) => event.level === "query" && captured.push(event.query);
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "wsspaces-qq-"));
    const database = new BetterSqlite3(join(dir, "db.sqlite"));
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    const db = new Kysely({ dialect: new SqliteDialect({ database }), log });
    const caps = { dialect, identityColumn: { type: "integer", modify: (c) => c.primaryKey().autoIncrement() } };
    return { db, caps, take: () => captured.splice(0), close: async () => (await db.destroy(), rmSync(dir, { recursive: true, force: true })) };
  }
  const schema = `qq_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2, types });
  const db = new Kysely({ dialect: new PostgresDialect({ pool }), log });
  const caps = { dialect, identityColumn: { type: "bigserial", modify: (c) => c.primaryKey() } };
  const close = async () => {
    await db.destroy();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  };
  return { db, caps, take: () => captured.splice(0), close };
}

async function migrate(db, caps) {
  for (const [, migration] of Object.entries(buildMigrations(caps)).sort(([a], [b]) => a.localeCompare(b))) await migration.up(db);
}

const row = (i, userId, fairTag, state = "queued") => ({
  id: `req_${i}`, space_id: "sp", user_id: userId, state, priority: 0, fair_tag: fairTag, prompt: "queued", inputs: "{}", attempt: 0, max_attempts: 3,
  worker_session_id: null, progress: null, progress_message: null, result: null, error_code: null, error_message: null, webhook: null,
  created_at: i, updated_at: i, dispatched_at: null, started_at: null, finished_at: state === "queued" ? null : i, deadline_at: i + 3_600_000, input_files: 0, output_files: 0,
});

/** Adds queued requests up to `depth`: half by u0, the rest round-robin; fair tags as submit gives them. */
async function fill(db, from, depth, tags) {
  const rows = [];
  for (let i = from; i < depth; i++) {
    const userId = i % 2 === 0 ? "u0" : `u${1 + ((i >> 1) % (userCount - 1))}`;
    const tag = tags.get(userId) ?? 0;
    tags.set(userId, tag + 1);
    rows.push(row(i, userId, tag));
  }
  for (let i = 0; i < rows.length; i += 500) await db.insertInto("requests").values(rows.slice(i, i + 500)).execute();
}

async function time(fn, minMs = 300) {
  await fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || n < 3) {
    await fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

async function explain(db, dialect, query) {
  if (dialect === "sqlite") {
    const { rows } = await db.executeQuery({ sql: `explain query plan ${query.sql}`, parameters: query.parameters, query: query.query });
    return rows.map((r) => `${" ".repeat(r.parent === 0 ? 0 : 2)}${r.detail}`).join("\n");
  }
  const { rows } = await db.executeQuery({ sql: `explain ${query.sql}`, parameters: query.parameters, query: query.query });
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

for (const dialect of dialects) {
  const { db, caps, take, close } = await open(dialect);
  try {
    await migrate(db, caps);
    await db.insertInto("users").values(Array.from({ length: userCount }, (_, i) => ({ id: `u${i}`, username: `user${i}`, username_key: `user${i}`, password_hash: "x", role: "user", disabled: 0, created_at: 0 }))).execute();
    await db.insertInto("spaces").values({ id: "sp", name: "Deep", name_key: "deep", description: "", inputs: "[]", timeout_seconds: 3600, max_queue: 100_000, queue_offline: 1, open_workers: 0, created_at: 0, updated_at: 0 }).execute();
    // History: finished requests share the table (and the space) with the queue.
    const finished = Array.from({ length: 300 }, (_, i) => row(1_000_000 + i, "u0", 0, "completed"));
    finished.push(...Array.from({ length: 3 }, (_, i) => row(2_000_000 + i, "u1", 0, "running")));
    await db.insertInto("requests").values(finished).execute();
    const store = new RequestStore(db);
    const tags = new Map();
    let filled = 0;
    const results = [];
    let plans = [];
    for (const depth of depths) {
      await fill(db, filled, depth, tags);
      filled = depth;
      if (dialect === "postgres") await sql`analyze requests`.execute(db);
      const last = await db.selectFrom("requests").selectAll().where("state", "=", "queued").orderBy("seq", "desc").limit(1).executeTakeFirst();
      const probe = last ?? { space_id: "sp", seq: 0, priority: 0, fair_tag: 0 };
      const probes = {
        "queueLength (count)": () => store.queueLength("sp"),
        "queuedForUser u0 (count)": () => store.queuedForUser("sp", "u0"),
        ...(store.queueAtLeast ? { "queueAtLeast(100000)": () => store.queueAtLeast("sp", 100_000) } : {}),
        ...(store.queuedForUserAtLeast ? { "queuedForUserAtLeast(u0, 20)": () => store.queuedForUserAtLeast("sp", "u0", 20) } : {}),
        "fairTagFor u0": () => store.fairTagFor("sp", "u0", 0),
        "fairTagFor (user with none queued)": () => store.fairTagFor("sp", "nobody", 0),
        "positionOf (last queued)": () => store.positionOf(probe),
        // The claim's select without its update: claimNext on a space with no worker would write.
        "next queued (claim select)": () => db.selectFrom("requests").select(["id", "attempt"]).where("space_id", "=", "sp").where("state", "=", "queued").orderBy("priority", "desc").orderBy("fair_tag").orderBy("seq").limit(1).executeTakeFirst(),
        // With a per-user cap of 1 (u1 has running requests): as claimNext selects the head.
        "next queued, per-user cap 1": store.usersAtInFlightLimit
          ? async () => {
              const capped = await store.usersAtInFlightLimit("sp", 1);
              return db.selectFrom("requests").select(["id", "attempt"]).where("space_id", "=", "sp").where("state", "=", "queued").where("user_id", "not in", capped).orderBy("priority", "desc").orderBy("fair_tag").orderBy("seq").limit(1).executeTakeFirst();
            }
          : () =>
              db.selectFrom("requests").select(["id", "attempt"]).where("space_id", "=", "sp").where("state", "=", "queued")
                .where("user_id", "not in", (eb) => eb.selectFrom("requests as busy").select("busy.user_id").where("busy.space_id", "=", "sp").where("busy.state", "in", ["dispatched", "running"]).groupBy("busy.user_id").having((h) => h.fn.countAll(), ">=", 1))
                .orderBy("priority", "desc").orderBy("fair_tag").orderBy("seq").limit(1).executeTakeFirst(),
        "queueEntries(100)": () => store.queueEntries("sp", 100),
      };
      const timings = {};
      plans = [];
      for (const [name, fn] of Object.entries(probes)) {
        take();
        timings[name] = await time(fn);
        const queries = take();
        const seen = new Set();
        for (const q of queries) {
          if (seen.has(q.sql)) continue;
          seen.add(q.sql);
          plans.push({ name, sql: q.sql, plan: await explain(db, dialect, q) });
        }
      }
      results.push({ depth, timings });
      process.stderr.write(`[queue-queries] ${dialect} depth ${depth} done\n`);
    }
    console.log(`\n## ${dialect}: ms per call\n`);
    const names = Object.keys(results[0].timings);
    console.log(`| query | ${results.map((r) => `depth ${r.depth}`).join(" | ")} |`);
    console.log(`| --- | ${results.map(() => "---:").join(" | ")} |`);
    for (const name of names) console.log(`| ${name} | ${results.map((r) => r.timings[name].toFixed(3)).join(" | ")} |`);
    console.log(`\n### ${dialect}: plans at depth ${depths.at(-1)}\n`);
    for (const p of plans) console.log(`${p.name}\n  ${p.sql}\n${p.plan.split("\n").map((l) => `    ${l}`).join("\n")}\n`);
  } finally {
    await close();
  }
}
