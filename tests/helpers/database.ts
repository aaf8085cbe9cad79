import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type OpenedDatabase } from "@wsspaces/server";

export type Dialect = "sqlite" | "postgres";

/** Dialects the suite runs on; WSSPACES_TEST_DIALECTS=sqlite narrows it (like Kysely's DIALECTS). */
export const DIALECTS: Dialect[] = (process.env.WSSPACES_TEST_DIALECTS ?? "sqlite,postgres")
  .split(",")
  .map((d) => d.trim())
  .filter((d): d is Dialect => d === "sqlite" || d === "postgres");

export const POSTGRES_URL = process.env.WSSPACES_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  dialect: Dialect;
  /** For SQLite: the data directory; for PostgreSQL: a URL whose search_path is this run's schema. */
  dataDir: string;
  databaseUrl: string | undefined;
  open(): OpenedDatabase;
  drop(): Promise<void>;
}

/** A fresh, empty database of the dialect: a temp SQLite file, or a new PostgreSQL schema. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), "wsspaces-test-"));
  if (dialect === "sqlite") {
    return {
      dialect,
      dataDir,
      databaseUrl: undefined,
      open: () => openDatabase({ sqlitePath: join(dataDir, "wsspaces.db") }),
      drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const databaseUrl = url.toString();
  return {
    dialect,
    dataDir,
    databaseUrl,
    open: () => openDatabase({ postgresUrl: databaseUrl }),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
