import type { FastifyInstance } from "fastify";
import { AppError } from "../http/app-error.js";
import { safeEqual } from "../util/secrets.js";
import type { Metrics } from "./metrics.js";

/**
 * `GET /metrics` in Prometheus text format. With a token configured, scrapers must send
 * `Authorization: Bearer <token>`; the route does its own auth, since that token is no API key.
 */
export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  app.get("/metrics", { config: { ownAuth: true } }, async (request, reply) => {
    if (token !== undefined) {
      const sent = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
      if (sent === undefined || !safeEqual(sent, token)) throw new AppError("unauthenticated", "Send the metrics token as a bearer token.");
    }
    return reply.header("content-type", metrics.contentType()).send(await metrics.render());
  });
}
