import { Migrator, type Kysely, type MigrationResultSet } from "kysely";
import type { DialectCapabilities } from "./dialect.js";
import { buildMigrations } from "./migrations.js";
import type { Database } from "./schema.js";

/** Applies every pending migration. Kysely serialises concurrent runs with a lock. */
export async function migrateToLatest(db: Kysely<Database>, caps: DialectCapabilities): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(buildMigrations(caps)) },
  });
  return migrator.migrateToLatest();
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
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(buildMigrations(caps)) },
  });
  const all = await migrator.getMigrations();
  return all.filter((m) => m.executedAt === undefined).length;
}
