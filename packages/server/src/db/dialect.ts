import BetterSqlite3 from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Kysely, PostgresDialect, SqliteDialect, type ColumnDefinitionBuilder } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";
import { withStatementCache } from "./statement-cache.js";

/**
 * The one place that knows which database it talks to. Everything else gets a Kysely
 * instance plus capability flags.
 */
export interface DialectCapabilities {
  dialect: "sqlite" | "postgres";
  /** Type and modifiers for an auto-incrementing integer primary key. */
  identityColumn: { type: "integer" | "bigserial"; modify: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder };
  /** `SELECT … FOR UPDATE SKIP LOCKED` is available (multi-writer claims). */
  supportsSkipLocked: boolean;
  /** Human label for logs and /readyz. */
  label: string;
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  caps: DialectCapabilities;
  /** PostgreSQL only: the pool (the multi-node Socket.IO adapter shares it). */
  pool?: pg.Pool;
}

export function openDatabase(options: { sqlitePath: string } | { postgresUrl: string }): OpenedDatabase {
  return "postgresUrl" in options ? openPostgres(options.postgresUrl) : openSqlite(options.sqlitePath);
}

function openSqlite(path: string): OpenedDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  // WAL lets readers run beside the writer; NORMAL keeps every committed transaction across a
  // process crash (only an OS crash can lose the last ones); busy_timeout rides out the
  // short locks another process (the CLI) may hold.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) }),
    caps: {
      dialect: "sqlite",
      identityColumn: { type: "integer", modify: (col) => col.primaryKey().autoIncrement() },
      supportsSkipLocked: false,
      label: `sqlite:${path}`,
    },
  };
}

function openPostgres(url: string): OpenedDatabase {
  // Epoch-millisecond columns are bigint; they fit a JS number, so parse them as one (per pool,
  // not globally, so an embedding application's own pg use is left alone).
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: 10, types });
  // An idle client whose connection dies (server restart, failover) emits "error" on the pool;
  // unheard, that would crash the process. The pool replaces the client by itself.
  pool.on("error", () => undefined);
  return {
    pool,
    db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    caps: {
      dialect: "postgres",
      identityColumn: { type: "bigserial", modify: (col) => col.primaryKey() },
      supportsSkipLocked: true,
      label: `postgres:${redactUrl(url)}`,
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable url)";
  }
}
