import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance, HTTPMethods } from "fastify";
import { buildOpenApiDocument, openApiJson, type OpenApiDocument } from "@wsspaces/server";
import { startTestServer, type TestServer } from "./helpers/server.js";

const REGENERATE = "docs/openapi.json is out of date: run `npm run build && node scripts/write-openapi.mjs`";

/** Registered by the web app, not the API: the seed's old page address. */
const NOT_API = new Set(["GET /ai_project/:id"]);

/**
 * Every method and path Fastify has registered, read from `printRoutes`: each line is one node
 * of the routing tree, indented four characters per level, whose path continues its parent's.
 */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?\s*$/.exec(line);
    if (!match) continue;
    stack.length = (match[1] ?? "").length / 4;
    stack.push(match[2] ?? "");
    for (const method of (match[3] ?? "").split(",").map((m) => m.trim())) {
      if (method !== "") routes.push(`${method} ${stack.join("")}`);
    }
  }
  return routes;
}

/** URL paths of the files the static plugin serves from the web app's build. */
function staticPaths(dir: string): Set<string> {
  if (!existsSync(dir)) return new Set();
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return new Set(files.map((entry) => `/${relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/")}`));
}

function documentedRoutes(doc: OpenApiDocument): { method: HTTPMethods; path: string; url: string }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => ({
      method: method.toUpperCase(),
      path,
      // Fastify's form of the same path: `{id}` → `:id`.
      url: path.replace(/\{(\w+)\}/g, ":$1"),
    })),
  );
}

describe("OpenAPI document", () => {
  let server: TestServer;
  const doc = buildOpenApiDocument();

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it("docs/openapi.json is what the catalogue builds now", () => {
    const written = readFileSync(new URL("../docs/openapi.json", import.meta.url), "utf8");
    const fresh = openApiJson(doc);
    expect(JSON.parse(written), REGENERATE).toEqual(JSON.parse(fresh));
    expect(written === fresh, REGENERATE).toBe(true);
  });

  it("documents exactly the routes the server has", async () => {
    await server.app.http.ready();
    const files = staticPaths(server.app.config.webDir);
    const registered = registeredRoutes(server.app.http);
    // The parser must have understood the tree, nested levels included.
    expect(registered).toContain("GET /healthz");
    expect(registered).toContain("DELETE /api/v1/spaces/:id/worker-tokens/:tokenId");

    const api = registered.filter((route) => {
      const [method = "", path = ""] = route.split(" ");
      // HEAD is Fastify's automatic twin of every GET.
      return method !== "HEAD" && !NOT_API.has(route) && !files.has(path);
    });
    const documented = documentedRoutes(doc);
    const documentedSet = new Set(documented.map((r) => `${r.method} ${r.url}`));
    expect(api.filter((route) => !documentedSet.has(route)), "registered but not in the OpenAPI catalogue").toEqual([]);
    expect(
      documented.filter((r) => !server.app.http.hasRoute({ method: r.method, url: r.url })).map((r) => `${r.method} ${r.path}`),
      "in the OpenAPI catalogue but not registered",
    ).toEqual([]);
  });

  it("serves the document at /openapi.json and a page at /docs", async () => {
    const json = await fetch(`${server.url}/openapi.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    const served = (await json.json()) as OpenApiDocument;
    expect(served.openapi).toBe("3.1.0");
    expect(served).toEqual(JSON.parse(openApiJson(doc)));

    const page = await fetch(`${server.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const text = await page.text();
    for (const path of ["/api/v1/spaces/{id}/requests", "/api/v1/requests/{id}/events", "/websockets/submit/{space_id}", "/metrics"]) {
      expect(text).toContain(`<code>${path}</code>`);
    }
    expect(text).not.toMatch(/<script/i);
    // Text is escaped: the `{"error": …}` of the description never appears as raw quotes in markup.
    expect(text).toContain("{&quot;error&quot;");
  });

  it("describes bodies and queries the way the server checks them", async () => {
    const create = doc.paths["/api/v1/spaces"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(create?.required).toEqual(["name"]);
    expect(Object.keys(create?.properties ?? {})).toEqual(expect.arrayContaining(["name", "description", "inputs", "timeout_seconds"]));
    const missing = await server.admin.post<{ error: { code: string; details: { field: string }[] } }>("/api/v1/spaces", { description: "no name" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d) => d.field)).toEqual(["name"]);

    const limit = doc.paths["/api/v1/requests"]?.get?.parameters?.find((p) => p.name === "limit");
    expect(limit?.in).toBe("query");
    const max = limit?.schema.maximum;
    expect(typeof max).toBe("number");
    expect((await server.admin.get(`/api/v1/requests?limit=${String(max)}`)).status).toBe(200);
    expect((await server.admin.get(`/api/v1/requests?limit=${Number(max) + 1}`)).status).toBe(400);
  });
});
