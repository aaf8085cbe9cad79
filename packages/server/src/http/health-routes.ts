import type { FastifyInstance } from "fastify";
import { sql, type Kysely } from "kysely";
import type { DialectCapabilities } from "../db/dialect.js";
import { pendingMigrations } from "../db/migrate.js";
import type { Database } from "../db/schema.js";

/** `/healthz`: the process answers. `/readyz`: the database answers and is fully migrated. */
export function registerHealthRoutes(app: FastifyInstance, db: Kysely<Database>, caps: DialectCapabilities): void {
  app.get("/healthz", () => ({ status: "ok" }));

  app.get("/readyz", async (request, reply) => {
    try {
      await sql`select 1`.execute(db);
      const pending = await pendingMigrations(db, caps);
      if (pending > 0) {
        return reply.status(503).send({ status: "unavailable", error: { code: "unavailable", message: `${pending} database migration(s) not applied.` } });
      }
      return { status: "ready" };
    } catch (err) {
      request.log.warn({ err }, "database not reachable");
      return reply.status(503).send({ status: "unavailable", error: { code: "unavailable", message: "The database is not reachable." } });
    }
  });
}
