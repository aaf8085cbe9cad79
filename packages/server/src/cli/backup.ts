import { copyFileSync, existsSync, renameSync, statSync } from "node:fs";
import { resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sqlitePath } from "../config.js";
import { parseFlags, UsageError } from "./args.js";
import { configFromFlags } from "./serve.js";

const flags = {
  data: { type: "string" },
  config: { type: "string" },
  out: { type: "string" },
  from: { type: "string" },
  json: { type: "boolean" },
} as const;

const PG_HINT =
  "The database is PostgreSQL: back it up with its own tools, e.g. `pg_dump --format=custom --file wsspaces.dump \"$WSSPACES_DATABASE_URL\"`, and restore with `pg_restore --clean --dbname \"$WSSPACES_DATABASE_URL\" wsspaces.dump`.";

function sqliteFile(argv: string[]): { path: string; flags: ReturnType<typeof parseFlags<typeof flags>> } {
  const parsed = parseFlags(argv, flags);
  const config = configFromFlags({ data: parsed.data, config: parsed.config });
  if (config.databaseUrl) throw new UsageError(PG_HINT);
  return { path: sqlitePath(config), flags: parsed };
}

/**
 * `wsspaces backup --out FILE`: a consistent copy of the SQLite database through SQLite's
 * online backup API, safe while the server is running and writing.
 */
export async function backup(argv: string[]): Promise<number> {
  const { path, flags: parsed } = sqliteFile(argv);
  if (!parsed.out) throw new UsageError("--out FILE is required");
  const out = resolve(parsed.out);
  if (existsSync(out)) throw new UsageError(`${out} exists; choose a new file`);
  if (!existsSync(path)) throw new UsageError(`no database at ${path}`);
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    await db.backup(out);
  } finally {
    db.close();
  }
  const summary = describe(out);
  console.log(parsed.json ? JSON.stringify({ file: out, ...summary }) : `backed up ${summary.requests} requests, ${summary.users} users, ${summary.spaces} spaces to ${out} (${summary.bytes} bytes)`);
  return 0;
}

/**
 * `wsspaces restore --from FILE`: checks the backup, moves the current database aside (kept as
 * `wsspaces.db.pre-restore-<time>`), and puts the backup in its place. Stop the server first.
 */
export function restore(argv: string[]): Promise<number> {
  const { path, flags: parsed } = sqliteFile(argv);
  if (!parsed.from) throw new UsageError("--from FILE is required");
  const from = resolve(parsed.from);
  if (!existsSync(from)) throw new UsageError(`no backup at ${from}`);
  const summary = describe(from);
  const aside = `${path}.pre-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  if (existsSync(path)) {
    // The write-ahead log belongs to the file it was written for: it moves along with it.
    for (const suffix of ["", "-wal", "-shm"]) if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  copyFileSync(from, path);
  const moved = existsSync(aside) ? ` (the previous database is kept as ${aside})` : "";
  console.log(parsed.json ? JSON.stringify({ file: path, previous: existsSync(aside) ? aside : null, ...summary }) : `restored ${summary.requests} requests, ${summary.users} users, ${summary.spaces} spaces into ${path}${moved}`);
  return Promise.resolve(0);
}

/** Opens a database file read-only, checks it is intact and ours, and counts what it holds. */
function describe(file: string): { bytes: number; requests: number; users: number; spaces: number } {
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new UsageError(`${file} is not a readable SQLite database (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    const check = db.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new UsageError(`${file} failed SQLite's integrity check: ${String(check)}`);
    const count = (table: string) => {
      try {
        return (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      } catch {
        throw new UsageError(`${file} is not a WebSocket Spaces database (no ${table} table)`);
      }
    };
    return { bytes: statSync(file).size, requests: count("requests"), users: count("users"), spaces: count("spaces") };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${file} is not a readable SQLite database (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    db.close();
  }
}
