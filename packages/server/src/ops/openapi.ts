import { ERROR_CODES, type ErrorCode } from "@wsspaces/protocol";
import { ERROR_STATUS } from "../http/app-error.js";
import { ROUTES, TAGS, type ResponseSpec, type RouteSpec } from "./openapi-catalogue.js";
import { fromZod } from "./openapi-json-schema.js";
import { COMPONENT_SCHEMAS, ref } from "./openapi-schemas.js";
import type {
  Access,
  HttpMethod,
  JsonSchema,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  PathItemObject,
  RequestBodyObject,
  ResponseObject,
  SecurityRequirement,
  SecuritySchemeObject,
} from "./openapi-types.js";

export { ROUTES, type RouteSpec } from "./openapi-catalogue.js";
export type { OpenApiDocument } from "./openapi-types.js";

/*
 * OpenAPI 3.1 from the route catalogue: bodies and queries come from the protocol's Zod schemas
 * (their input side), responses from the hand-written schemas in openapi-schemas.ts, and error
 * statuses from the one table that maps codes to statuses (http/app-error.ts).
 */

const METHOD_KEY: Record<HttpMethod, keyof PathItemObject> = { GET: "get", POST: "post", PUT: "put", PATCH: "patch", DELETE: "delete" };

const UNSAFE: ReadonlySet<HttpMethod> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const WHO: Record<Access, string> = {
  public: "public — no credentials needed.",
  user: "user — any signed-in user (session cookie or API key); else `401 unauthenticated`.",
  owner: "owner — the user who submitted the request, or an admin; anyone else gets `404 not_found`, so ids cannot be probed.",
  admin: "admin — a user with the role `admin`; other users get `403 forbidden`.",
  metrics: "metrics scraper — with the metrics token as a bearer token when the server has one, else anyone.",
  worker: "the worker connection holding the request — its worker token as a bearer token and its connection id in `X-Wsspaces-Connection`; anyone else gets `401` or `409 not_assigned`.",
};

const SECURITY_SCHEMES: Record<string, SecuritySchemeObject> = {
  workerToken: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "wst_…",
    description: "A worker token (as the worker connected with), together with the `X-Wsspaces-Connection` header.",
  },
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "wsk_…",
    description: "An API key: `Authorization: Bearer wsk_…`. No CSRF token. A present but invalid or revoked key is `401 unauthenticated` on every route, public ones included.",
  },
  sessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: "wsspaces_session",
    description: "The browser session, set by `POST /api/v1/auth/register` and `POST /api/v1/auth/login`.",
  },
  csrfToken: {
    type: "apiKey",
    in: "header",
    name: "x-csrf-token",
    description: "The session's `csrf_token` (from sign-in or `GET /api/v1/me`), needed with the cookie on POST, PATCH and DELETE; a foreign `Origin` is refused too.",
  },
  metricsToken: {
    type: "http",
    scheme: "bearer",
    description: "The metrics token (`WSSPACES_METRICS_TOKEN`), needed by `GET /metrics` when configured. Not an API key.",
  },
};

const DESCRIPTION = [
  "JSON over HTTP under `/api/v1`, plus the seed-compatible `/websockets/*` routes and operations endpoints.",
  "Errors are `{\"error\": {\"code\", \"message\", \"correlation_id\"?, \"details\"?}}` (the `Error` schema); branch on `code`. Any route may also answer `503 unavailable` (with `Retry-After`) when the database cannot be used, and `500 internal` on unexpected failures.",
  "Browsers authenticate with the `wsspaces_session` cookie and send `x-csrf-token` on unsafe methods; scripts send an API key as a bearer token. Live updates also exist over Socket.IO (namespace `/live`), which OpenAPI does not describe.",
].join("\n\n");

export function buildOpenApiDocument(): OpenApiDocument {
  const paths: Record<string, PathItemObject> = {};
  for (const route of ROUTES) {
    const item = (paths[route.path] ??= {});
    item[METHOD_KEY[route.method]] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: { title: "WebSocket Spaces API", version: "v1", description: DESCRIPTION },
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: { schemas: { ...COMPONENT_SCHEMAS }, securitySchemes: SECURITY_SCHEMES },
  };
}

/** The document as written to docs/openapi.json: keys sorted at every level, 2-space indent. */
export function openApiJson(document: OpenApiDocument = buildOpenApiDocument()): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

function operation(route: RouteSpec): OperationObject {
  const parameters = [...pathParameters(route), ...queryParameters(route), ...headerParameters(route)];
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: describe(route),
    tags: [route.tag],
    security: security(route),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBody(fromZod(route.body), route.bodyTypes ?? ["application/json"]) } : {}),
    responses: responses(route),
    "x-access": route.access,
  };
}

function describe(route: RouteSpec): string {
  const parts = [`**Who:** ${WHO[route.access]}`];
  if (UNSAFE.has(route.method) && route.access !== "metrics" && route.access !== "worker") {
    parts.push(
      route.noCsrf
        ? "Cookie callers need no CSRF token here, but a foreign `Origin` is refused."
        : "Cookie callers send `x-csrf-token`; API-key callers need no CSRF token.",
    );
  }
  if (route.description) parts.push(route.description);
  return parts.join("\n\n");
}

function security(route: RouteSpec): SecurityRequirement[] {
  const cookie: SecurityRequirement = UNSAFE.has(route.method) && !route.noCsrf ? { sessionCookie: [], csrfToken: [] } : { sessionCookie: [] };
  switch (route.access) {
    case "metrics":
      return [{}, { metricsToken: [] }];
    case "worker":
      return [{ workerToken: [] }];
    case "public":
      return route.tag === "ops" ? [] : [{}, { apiKey: [] }, cookie];
    case "user":
    case "owner":
    case "admin":
      return [{ apiKey: [] }, cookie];
  }
}

function pathParameters(route: RouteSpec): ParameterObject[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name = ""]) => ({
    name,
    in: "path",
    required: true,
    ...(route.params?.[name] !== undefined ? { description: route.params[name] } : {}),
    schema: { type: "string" },
  }));
}

function queryParameters(route: RouteSpec): ParameterObject[] {
  if (!route.query) return [];
  const { properties, required } = objectParts(fromZod(route.query));
  return Object.entries(properties).map(([name, schema]) => ({ name, in: "query", required: required.includes(name), schema }));
}

function headerParameters(route: RouteSpec): ParameterObject[] {
  return (route.headers ?? []).map(({ name, description }) => ({ name, in: "header", required: false, description, schema: { type: "string" } }));
}

function requestBody(schema: JsonSchema, types: string[]): RequestBodyObject {
  return {
    // Bodies without required fields may be left out (an empty POST is read as `{}`).
    required: objectParts(schema).required.length > 0,
    content: Object.fromEntries(types.map((type) => [type, { schema }])),
  };
}

function responses(route: RouteSpec): Record<string, ResponseObject> {
  const out: Record<string, ResponseObject> = {};
  for (const spec of route.responses) out[String(spec.status)] = response(spec);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes(route)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const errorSchema = route.seedErrors ? { oneOf: [ref("SeedError"), ref("Error")] } : ref("Error");
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] ??= {
      description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code]}`).join(" "),
      content: { "application/json": { schema: errorSchema } },
    };
  }
  out.default = {
    description: "`500 internal` on unexpected failures; `503 unavailable` (with `Retry-After`) when the database cannot be used.",
    content: { "application/json": { schema: ref("Error") } },
  };
  return out;
}

function response(spec: ResponseSpec): ResponseObject {
  if (!spec.schema) return { description: spec.description };
  const media = { schema: spec.schema, ...(spec.example !== undefined ? { example: spec.example } : {}) };
  return { description: spec.description, content: { [spec.contentType ?? "application/json"]: media } };
}

/** Codes a route raises itself, plus those implied by who may call it, its method and its input. */
function errorCodes(route: RouteSpec): ErrorCode[] {
  const implied: ErrorCode[] = [];
  if (route.access === "user" || route.access === "owner" || route.access === "admin") implied.push("unauthenticated");
  if (route.access === "admin") implied.push("forbidden");
  if (route.access === "owner") implied.push("not_found");
  if (UNSAFE.has(route.method) && route.access !== "metrics") implied.push("csrf_failed");
  if (route.body) implied.push("bad_request", "validation_failed", "payload_too_large");
  if (route.query) implied.push("validation_failed");
  return [...new Set([...implied, ...(route.errors ?? [])])];
}

function objectParts(schema: JsonSchema): { properties: Record<string, JsonSchema>; required: string[] } {
  const properties = isRecord(schema.properties) ? schema.properties : {};
  return {
    properties: Object.fromEntries(Object.entries(properties).filter((entry): entry is [string, JsonSchema] => isRecord(entry[1]))),
    required: Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === "string") : [],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
