import { Migrator, sql, type Kysely, type MigrationResultSet } from "kysely";
import type { DialectCapabilities } from "./dialect.js";
import { buildMigrations } from "./migrations.js";
import type { Database } from "./schema.js";

/**
 * Kysely's migrator, told which PostgreSQL schema its bookkeeping tables live in: without it,
 * it takes a `kysely_migration_lock` in any schema of the database for its own, and two
 * installations (or test runs) in different schemas of one database trip over each other.
 */
async function migrator(db: Kysely<Database>, caps: DialectCapabilities): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  if (caps.dialect === "postgres") {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema;
  }
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(buildMigrations(caps)) },
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
}

/** Applies every pending migration. Kysely serialises concurrent runs with a lock. */
export async function migrateToLatest(db: Kysely<Database>, caps: DialectCapabilities): Promise<MigrationResultSet> {
  return (await migrator(db, caps)).migrateToLatest();
}

/** Throws with the failing migration's name when one fails. */
export async function migrateOrThrow(db: Kysely<Database>, caps: DialectCapabilities): Promise<string[]> {
  const { error, results } = await migrateToLatest(db, caps);
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    throw new Error(`migration ${failed?.migrationName ?? "(unknown)"} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

export async function pendingMigrations(db: Kysely<Database>, caps: DialectCapabilities): Promise<number> {
  const all = await (await migrator(db, caps)).getMigrations();
  return all.filter((m) => m.executedAt === undefined).length;
}
