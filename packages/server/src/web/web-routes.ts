import { existsSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import type { ErrorBody } from "@wsspaces/protocol";

/** Where `npm run build` puts the web app, seen from packages/server/dist/web/. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../../web/dist", import.meta.url));

/** Paths that belong to the API or the sockets: a miss there is a JSON 404, never the app. */
const NOT_APP = /^\/(api|websockets|socket\.io|healthz|readyz|metrics|docs)(\/|$|\?)/;

/**
 * Serves the single-page app: hashed assets for a year, `index.html` for every other page path
 * so that a deep link or a refresh on `/spaces/:id` lands in the app, and the seed's
 * `/ai_project/:id` redirected to its new address.
 */
export async function registerWebRoutes(app: FastifyInstance, webDir: string = DEFAULT_WEB_DIR): Promise<void> {
  app.get<{ Params: { id: string } }>("/ai_project/:id", (request, reply) =>
    reply.redirect(`/spaces/${encodeURIComponent(request.params.id)}`, 301),
  );

  const built = existsSync(join(webDir, "index.html"));
  if (built) {
    await app.register(fastifyStatic, {
      root: webDir,
      wildcard: false,
      index: false,
      setHeaders(reply, path) {
        // Vite names assets by content hash, so they never change; index.html always may.
        const immutable = path.includes(`${sep}assets${sep}`);
        void reply.header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
      },
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const wantsPage = (request.method === "GET" || request.method === "HEAD") && !NOT_APP.test(path);
    if (wantsPage && built) {
      return reply.header("cache-control", "no-cache").sendFile("index.html");
    }
    if (wantsPage && path === "/") {
      return reply
        .type("text/plain; charset=utf-8")
        .send("WebSocket Spaces is running, but the web app is not built: run `npm run build`. The API is at /api/v1.");
    }
    const body: ErrorBody = { error: { code: "not_found", message: `No route for ${request.method} ${path}` } };
    return reply.status(404).send(body);
  });
}
