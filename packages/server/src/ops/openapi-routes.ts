import type { FastifyInstance } from "fastify";
import { buildOpenApiDocument, openApiJson } from "./openapi.js";
import { renderOpenApiPage } from "./openapi-page.js";

/** `GET /openapi.json` (the OpenAPI 3.1 document) and `GET /docs` (the same as a web page). */
export function registerOpenApiRoutes(app: FastifyInstance): void {
  const document = buildOpenApiDocument();
  const json = openApiJson(document);
  const page = renderOpenApiPage(document);
  app.get("/openapi.json", (_request, reply) => reply.type("application/json; charset=utf-8").header("cache-control", "no-cache").send(json));
  app.get("/docs", (_request, reply) => reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(page));
}
