import type { FastifyInstance } from "fastify";
import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema.js";

export function registerHealthRoutes(app: FastifyInstance, db: Kysely<Database>): void {
  app.get("/healthz", () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: "ready" };
    } catch (err) {
      _request.log.warn({ err }, "database not reachable");
      return reply.status(503).send({ status: "unavailable", error: { code: "unavailable", message: "The database is not reachable." } });
    }
  });
}
