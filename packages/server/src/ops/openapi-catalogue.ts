import { z } from "zod";
import type { ErrorCode } from "@wsspaces/protocol";
import {
  AdminRequestsQuerySchema,
  CreateApiKeyBodySchema,
  CreateSpaceBodySchema,
  CreateWorkerTokenBodySchema,
  ListRequestsQuerySchema,
  LoginBodySchema,
  OverviewQuerySchema,
  PatchSpaceBodySchema,
  PatchUserBodySchema,
  RegisterBodySchema,
  SeedStatusQuerySchema,
  SeedSubmitBodySchema,
  SubmitBodySchema,
  WaitQuerySchema,
} from "@wsspaces/protocol";
import { anyJson, constant, integer, listOf, shape, string } from "./openapi-json-schema.js";
import { ref } from "./openapi-schemas.js";
import type { Access, HttpMethod, JsonSchema } from "./openapi-types.js";

export type Tag = "auth" | "spaces" | "requests" | "webhooks" | "seed" | "admin" | "ops";

export const TAGS: Record<Tag, string> = {
  auth: "Sign-up, sign-in and API keys.",
  spaces: "Spaces and their worker tokens.",
  requests: "Submitting requests, reading them and following them live.",
  webhooks: "Requests may name a webhook URL that is POSTed their final view; deliveries are signed with the user's webhook secret.",
  seed: "The original Flask site's routes, answering in its `{success, …}` shape. New code should use /api/v1.",
  admin: "Site-wide views and user management for admins.",
  ops: "Health checks, metrics and this API description.",
};

export interface ResponseSpec {
  status: number;
  description: string;
  /** Default `application/json` (when there is a schema). */
  contentType?: string;
  schema?: JsonSchema;
  example?: unknown;
}

export interface RouteSpec {
  operationId: string;
  method: HttpMethod;
  /** OpenAPI form: `/api/v1/spaces/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: Tag;
  access: Access;
  /** Starts a session, so a cookie caller has no CSRF token yet (the Origin is still checked). */
  noCsrf?: true;
  /** Descriptions of the path parameters, by name. */
  params?: Record<string, string>;
  /** A Zod object schema of the query string. */
  query?: z.ZodType;
  headers?: { name: string; description: string }[];
  /** A Zod schema of the body. */
  body?: z.ZodType;
  /** Default: JSON only. */
  bodyTypes?: string[];
  /** The first is the usual success answer. */
  responses: [ResponseSpec, ...ResponseSpec[]];
  /** Codes this route raises itself; those implied by `access`, the method and the body are added. */
  errors?: ErrorCode[];
  /** The seed routes answer their own errors as `SeedError`. */
  seedErrors?: true;
}

const JSON_AND_FORMS = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"];

/** `GET /api/v1/requests/:id/events` query (packages/server/src/live/sse-routes.ts). */
const EventsQuerySchema = z.object({ last_event_id: z.string().max(100).optional() });

const spaceId = { id: "Space id (`spc_…`)." };
const requestId = { id: "Request id (`req_…`)." };

const SSE_DESCRIPTION = [
  "The request's feed as Server-Sent Events: replays what the reader missed (after `Last-Event-ID`, or everything kept), then streams new events and ends after `done`.",
  "Each event has `id: <feed>:<n>`, `event: <type>` and one JSON `data` line. Types: `state` (StateEventData), `position` (PositionEventData), `progress` (ProgressEventData), `stream` (StreamEventData) and `done` (the final RequestView). A `: keep-alive` comment is sent periodically.",
].join("\n\n");

const SSE_EXAMPLE = [
  "retry: 2000",
  "",
  "id: f1:1",
  "event: state",
  'data: {"state":"queued","attempt":0}',
  "",
  "id: f1:2",
  "event: stream",
  'data: {"seq":1,"chunk":"Hel","attempt":1}',
  "",
].join("\n");

export const ROUTES: RouteSpec[] = [
  // ---- auth ------------------------------------------------------------------------------
  {
    operationId: "register",
    method: "POST",
    path: "/api/v1/auth/register",
    summary: "Create a user account and sign in",
    description: "Sets the `wsspaces_session` cookie. Closed when the server runs with `--registration closed`.",
    tag: "auth",
    access: "public",
    noCsrf: true,
    body: RegisterBodySchema,
    responses: [{ status: 201, description: "Signed in; the profile with the session's CSRF token.", schema: ref("MeView") }],
    errors: ["conflict", "registration_closed", "csrf_failed"],
  },
  {
    operationId: "login",
    method: "POST",
    path: "/api/v1/auth/login",
    summary: "Sign in with a password",
    description: "Sets a fresh `wsspaces_session` cookie (ending the browser's previous session). Repeated failures per client address or username are refused for a while (`Retry-After`).",
    tag: "auth",
    access: "public",
    noCsrf: true,
    body: LoginBodySchema,
    responses: [{ status: 200, description: "Signed in.", schema: ref("MeView") }],
    errors: ["invalid_credentials", "csrf_failed", "rate_limited"],
  },
  {
    operationId: "logout",
    method: "POST",
    path: "/api/v1/auth/logout",
    summary: "End the cookie session",
    description: "Clears the cookie. Without a session (API key or anonymous) it does nothing and still answers 204.",
    tag: "auth",
    access: "public",
    responses: [{ status: 204, description: "Signed out." }],
  },
  {
    operationId: "getMe",
    method: "GET",
    path: "/api/v1/me",
    summary: "The caller's profile and CSRF token",
    tag: "auth",
    access: "user",
    responses: [{ status: 200, description: "The caller.", schema: ref("MeView") }],
  },
  {
    operationId: "listApiKeys",
    method: "GET",
    path: "/api/v1/me/api-keys",
    summary: "The caller's unrevoked API keys",
    tag: "auth",
    access: "user",
    responses: [{ status: 200, description: "Newest first; the keys themselves are never listed.", schema: listOf("api_keys", ref("ApiKeyView")) }],
  },
  {
    operationId: "createApiKey",
    method: "POST",
    path: "/api/v1/me/api-keys",
    summary: "Create an API key",
    tag: "auth",
    access: "user",
    body: CreateApiKeyBodySchema,
    responses: [{ status: 201, description: "The only time `key` is shown.", schema: ref("CreatedApiKey") }],
  },
  {
    operationId: "revokeApiKey",
    method: "DELETE",
    path: "/api/v1/me/api-keys/{id}",
    summary: "Revoke one of the caller's API keys",
    tag: "auth",
    access: "user",
    params: { id: "API key id (`key_…`)." },
    responses: [{ status: 204, description: "Revoked." }],
    errors: ["not_found"],
  },

  // ---- spaces ----------------------------------------------------------------------------
  {
    operationId: "listSpaces",
    method: "GET",
    path: "/api/v1/spaces",
    summary: "All spaces",
    tag: "spaces",
    access: "public",
    responses: [{ status: 200, description: "Ordered by name ignoring case.", schema: listOf("spaces", ref("SpaceSummary")) }],
  },
  {
    operationId: "getSpace",
    method: "GET",
    path: "/api/v1/spaces/{id}",
    summary: "A space with its queue and workers",
    description: "Queue entries show masked usernames except the caller's own (admins see all).",
    tag: "spaces",
    access: "public",
    params: spaceId,
    responses: [{ status: 200, description: "The space's detail view.", schema: ref("SpaceDetail") }],
    errors: ["not_found"],
  },
  {
    operationId: "createSpace",
    method: "POST",
    path: "/api/v1/spaces",
    summary: "Create a space",
    description: "No worker token is created; use `POST /api/v1/spaces/{id}/worker-tokens`.",
    tag: "spaces",
    access: "admin",
    body: CreateSpaceBodySchema,
    responses: [{ status: 201, description: "The new space's detail view.", schema: ref("SpaceDetail") }],
    errors: ["conflict"],
  },
  {
    operationId: "updateSpace",
    method: "PATCH",
    path: "/api/v1/spaces/{id}",
    summary: "Change a space",
    description: "Any non-empty subset of the fields. Turning `open_workers` off disconnects the workers registered without a token.",
    tag: "spaces",
    access: "admin",
    params: spaceId,
    body: PatchSpaceBodySchema,
    responses: [{ status: 200, description: "The space's detail view.", schema: ref("SpaceDetail") }],
    errors: ["not_found", "conflict"],
  },
  {
    operationId: "deleteSpace",
    method: "DELETE",
    path: "/api/v1/spaces/{id}",
    summary: "Delete a space",
    description: "Revokes its worker tokens, disconnects its workers, cancels its pending requests and soft-deletes it.",
    tag: "spaces",
    access: "admin",
    params: spaceId,
    responses: [{ status: 204, description: "Deleted." }],
    errors: ["not_found"],
  },
  {
    operationId: "listWorkerTokens",
    method: "GET",
    path: "/api/v1/spaces/{id}/worker-tokens",
    summary: "A space's worker tokens",
    tag: "spaces",
    access: "admin",
    params: spaceId,
    responses: [{ status: 200, description: "Revoked ones included, newest first.", schema: listOf("worker_tokens", ref("WorkerTokenView")) }],
    errors: ["not_found"],
  },
  {
    operationId: "createWorkerToken",
    method: "POST",
    path: "/api/v1/spaces/{id}/worker-tokens",
    summary: "Create a worker token for a space",
    tag: "spaces",
    access: "admin",
    params: spaceId,
    body: CreateWorkerTokenBodySchema,
    responses: [{ status: 201, description: "The only time `token` is shown.", schema: ref("CreatedWorkerToken") }],
    errors: ["not_found"],
  },
  {
    operationId: "revokeWorkerToken",
    method: "DELETE",
    path: "/api/v1/spaces/{id}/worker-tokens/{tokenId}",
    summary: "Revoke a worker token",
    description: "Disconnects every live connection that used it; their requests go back to the queue.",
    tag: "spaces",
    access: "admin",
    params: { ...spaceId, tokenId: "Worker token id (`wtk_…`)." },
    responses: [{ status: 204, description: "Revoked." }],
    errors: ["not_found"],
  },

  // ---- requests --------------------------------------------------------------------------
  {
    operationId: "submitRequest",
    method: "POST",
    path: "/api/v1/spaces/{id}/requests",
    summary: "Submit a request to a space",
    description:
      "With `?wait=N` (N > 0) the answer is held until the request is terminal or N seconds pass, and carries the full request view. A `priority` above 0 is for admins only (`403 forbidden`).\n\nFiles go as `multipart/form-data`: the fields above as text (`inputs` and `webhook` as JSON text) and files in fields named `audio`, `video` or `file` (each may repeat), for the inputs the space enables. Each file is checked by its content against the space's limits and kinds: `413 payload_too_large`, `415 unsupported_media_type`, `400 validation_failed` for an input the space does not take; a refused submission keeps nothing (docs/files.md).",
    tag: "requests",
    access: "user",
    params: spaceId,
    query: WaitQuerySchema,
    body: SubmitBodySchema,
    bodyTypes: JSON_AND_FORMS,
    responses: [
      {
        status: 202,
        description: "Stored; it will reach exactly one terminal state. With `?wait`: not finished yet, as a SubmitWaitResponse.",
        schema: { anyOf: [ref("SubmitResponse"), ref("SubmitWaitResponse")] },
      },
      { status: 200, description: "With `?wait`: finished within the wait.", schema: ref("SubmitWaitResponse") },
    ],
    errors: ["forbidden", "not_found", "space_offline", "space_paused", "queue_full", "rate_limited", "unsupported_media_type"],
  },
  {
    operationId: "getFile",
    method: "GET",
    path: "/api/v1/files/{id}",
    summary: "Download a request's file",
    description:
      "An input or output file of a request, with its sniffed `Content-Type`, a `Content-Disposition` (inline for images, audio, video and plain text; a download otherwise, `?download=1` forces it) and Range support, so players can seek. Workers get signed links to their inputs (`?expires=…&sig=…`) that work without any other credential until the request's deadline; an expired or wrong signature is `403 forbidden` for callers without credentials.",
    tag: "requests",
    access: "owner",
    params: { id: "File id (`fil_…`)." },
    headers: [{ name: "Range", description: "`bytes=START-END`: answered with `206` and that part." }],
    responses: [
      { status: 200, description: "The file.", contentType: "application/octet-stream", schema: { type: "string", format: "binary" } },
      { status: 206, description: "The requested range.", contentType: "application/octet-stream", schema: { type: "string", format: "binary" } },
    ],
    errors: ["forbidden"],
  },
  {
    operationId: "putOutputFile",
    method: "PUT",
    path: "/api/v1/worker/requests/{id}/files/{name}",
    summary: "Upload an output file (workers)",
    description:
      "For output files too large to send inline with `inference_result`: the body is the file's bytes (streamed to storage), `Content-Type` its type. Only while the request is dispatched or running, and only by the connection holding it. The file is listed in the request's `files` once the result arrives. The SDKs choose this path by size (docs/files.md).",
    tag: "requests",
    access: "worker",
    params: { id: "Request id (`req_…`).", name: "File name (sanitised; no paths)." },
    headers: [{ name: "X-Wsspaces-Connection", description: "The connection id from `register_response`." }],
    responses: [{ status: 201, description: "Stored.", schema: ref("FileView") }],
    errors: ["unauthenticated", "invalid_token", "not_assigned", "invalid_state", "payload_too_large", "bad_request"],
  },
  {
    operationId: "getRequest",
    method: "GET",
    path: "/api/v1/requests/{id}",
    summary: "A request",
    description: "`?wait=N` holds the answer until the request is terminal or N seconds pass.",
    tag: "requests",
    access: "owner",
    params: requestId,
    query: WaitQuerySchema,
    responses: [{ status: 200, description: "The request view.", schema: ref("RequestView") }],
  },
  {
    operationId: "cancelRequest",
    method: "POST",
    path: "/api/v1/requests/{id}/cancel",
    summary: "Cancel a request",
    tag: "requests",
    access: "owner",
    params: requestId,
    responses: [{ status: 200, description: "The cancelled request.", schema: ref("RequestView") }],
    errors: ["invalid_state"],
  },
  {
    operationId: "retryRequest",
    method: "POST",
    path: "/api/v1/requests/{id}/retry",
    summary: "Submit a failed, timed-out or cancelled request again",
    description: "A new request with the same inputs (and priority, where the caller may set it), through every check a submission passes.",
    tag: "requests",
    access: "owner",
    params: requestId,
    responses: [{ status: 202, description: "The new request.", schema: ref("RetryResponse") }],
    errors: ["invalid_state", "space_offline", "space_paused", "queue_full", "rate_limited"],
  },
  {
    operationId: "purgeQueue",
    method: "POST",
    path: "/api/v1/spaces/{id}/queue/purge",
    summary: "Cancel every queued request of a space",
    description: "Requests already dispatched keep running.",
    tag: "requests",
    access: "admin",
    params: spaceId,
    responses: [{ status: 200, description: "How many were removed.", schema: shape<{ purged: number }>({ purged: integer() }) }],
    errors: ["not_found"],
  },
  {
    operationId: "listRequests",
    method: "GET",
    path: "/api/v1/requests",
    summary: "The caller's requests (admins: everyone's)",
    tag: "requests",
    access: "user",
    query: ListRequestsQuerySchema,
    responses: [{ status: 200, description: "Newest first.", schema: listOf("requests", ref("RequestView")) }],
  },
  {
    operationId: "requestEvents",
    method: "GET",
    path: "/api/v1/requests/{id}/events",
    summary: "Follow a request live (Server-Sent Events)",
    description: SSE_DESCRIPTION,
    tag: "requests",
    access: "owner",
    params: requestId,
    query: EventsQuerySchema,
    headers: [{ name: "Last-Event-ID", description: "Resume after this event id (wins over `?last_event_id`)." }],
    responses: [{ status: 200, description: "An event stream.", contentType: "text/event-stream", schema: string("Server-Sent Events."), example: SSE_EXAMPLE }],
  },

  // ---- webhooks --------------------------------------------------------------------------
  {
    operationId: "listWebhookDeliveries",
    method: "GET",
    path: "/api/v1/requests/{id}/webhooks",
    summary: "The delivery log of a request's webhook",
    tag: "webhooks",
    access: "owner",
    params: requestId,
    responses: [{ status: 200, description: "One entry per delivery attempt.", schema: listOf("deliveries", ref("WebhookDeliveryView")) }],
  },
  {
    operationId: "getWebhookSecret",
    method: "GET",
    path: "/api/v1/me/webhook-secret",
    summary: "The key the caller's webhook deliveries are signed with",
    description: "Created on first read.",
    tag: "webhooks",
    access: "user",
    responses: [{ status: 200, description: "The secret.", schema: shape<{ secret: string }>({ secret: string() }) }],
  },
  {
    operationId: "rotateWebhookSecret",
    method: "POST",
    path: "/api/v1/me/webhook-secret",
    summary: "Replace the caller's webhook signing key",
    tag: "webhooks",
    access: "user",
    responses: [{ status: 200, description: "The new secret.", schema: shape<{ secret: string }>({ secret: string() }) }],
  },

  // ---- seed compatibility ----------------------------------------------------------------
  {
    operationId: "seedSubmit",
    method: "POST",
    path: "/websockets/submit/{space_id}",
    summary: "Submit a prompt (seed-compatible)",
    description: "Errors raised before the route runs (bad API key, CSRF, unparsable body) and database failures use the standard error shape.",
    tag: "seed",
    access: "user",
    params: { space_id: "Space id (`spc_…`)." },
    body: SeedSubmitBodySchema,
    bodyTypes: JSON_AND_FORMS,
    responses: [{ status: 200, description: "Submitted.", schema: ref("SeedSubmitResponse") }],
    errors: ["not_found", "space_offline", "space_paused", "queue_full", "rate_limited"],
    seedErrors: true,
  },
  {
    operationId: "seedStatus",
    method: "GET",
    path: "/websockets/status",
    summary: "A request's status (seed-compatible)",
    tag: "seed",
    access: "owner",
    query: SeedStatusQuerySchema,
    responses: [{ status: 200, description: "The request's status.", schema: ref("SeedStatusResponse") }],
    seedErrors: true,
  },

  // ---- admin -----------------------------------------------------------------------------
  {
    operationId: "adminWorkers",
    method: "GET",
    path: "/api/v1/admin/workers",
    summary: "Every connected or resuming worker",
    tag: "admin",
    access: "admin",
    responses: [{ status: 200, description: "Oldest connection first.", schema: listOf("workers", ref("AdminWorkerView")) }],
  },
  {
    operationId: "drainWorker",
    method: "POST",
    path: "/api/v1/admin/workers/{id}/drain",
    summary: "Stop sending a worker new work",
    description: "What it holds finishes normally.",
    tag: "admin",
    access: "admin",
    params: { id: "Worker connection id (`wrk_…`)." },
    responses: [{ status: 200, description: "The worker, now draining.", schema: ref("AdminWorkerView") }],
    errors: ["not_found"],
  },
  {
    operationId: "adminRequests",
    method: "GET",
    path: "/api/v1/admin/requests",
    summary: "Every user's requests",
    tag: "admin",
    access: "admin",
    query: AdminRequestsQuerySchema,
    responses: [{ status: 200, description: "Newest first, with `username`.", schema: listOf("requests", ref("RequestView")) }],
  },
  {
    operationId: "adminOverview",
    method: "GET",
    path: "/api/v1/admin/overview",
    summary: "Traffic, outcomes and latencies over the last minutes",
    tag: "admin",
    access: "admin",
    query: OverviewQuerySchema,
    responses: [{ status: 200, description: "What the admin overview page charts.", schema: ref("AdminOverview") }],
  },
  {
    operationId: "adminUsers",
    method: "GET",
    path: "/api/v1/admin/users",
    summary: "Every user",
    tag: "admin",
    access: "admin",
    responses: [{ status: 200, description: "The users.", schema: listOf("users", ref("AdminUserView")) }],
  },
  {
    operationId: "adminUpdateUser",
    method: "PATCH",
    path: "/api/v1/admin/users/{id}",
    summary: "Change a user's role or disable them",
    description: "A disabled user cannot sign in; their sessions and API keys stop working at once. Admins cannot demote or disable themselves, nor remove the last active admin.",
    tag: "admin",
    access: "admin",
    params: { id: "User id (`usr_…`)." },
    body: PatchUserBodySchema,
    responses: [{ status: 200, description: "The changed user.", schema: ref("AdminUserView") }],
    errors: ["not_found", "invalid_state"],
  },

  // ---- ops -------------------------------------------------------------------------------
  {
    operationId: "healthz",
    method: "GET",
    path: "/healthz",
    summary: "The process answers",
    tag: "ops",
    access: "public",
    responses: [{ status: 200, description: "Up.", schema: shape<{ status: string }>({ status: constant("ok") }) }],
  },
  {
    operationId: "readyz",
    method: "GET",
    path: "/readyz",
    summary: "The database answers and is fully migrated",
    tag: "ops",
    access: "public",
    responses: [
      { status: 200, description: "Ready.", schema: shape<{ status: string }>({ status: constant("ready") }) },
      {
        status: 503,
        description: "The database is not reachable, or migrations are pending.",
        schema: shape<{ status: string; error: unknown }>({ status: constant("unavailable"), error: anyJson("`{code: \"unavailable\", message}`") }),
      },
    ],
  },
  {
    operationId: "metrics",
    method: "GET",
    path: "/metrics",
    summary: "Prometheus metrics",
    description: "Needs the metrics token as a bearer token when the server is configured with one.",
    tag: "ops",
    access: "metrics",
    responses: [{ status: 200, description: "Prometheus text format.", contentType: "text/plain; version=0.0.4", schema: string() }],
    errors: ["unauthenticated"],
  },
  {
    operationId: "openapi",
    method: "GET",
    path: "/openapi.json",
    summary: "This API description (OpenAPI 3.1)",
    tag: "ops",
    access: "public",
    responses: [{ status: 200, description: "The OpenAPI document.", schema: { type: "object" } }],
  },
  {
    operationId: "docs",
    method: "GET",
    path: "/docs",
    summary: "This API description as a web page",
    tag: "ops",
    access: "public",
    responses: [{ status: 200, description: "An HTML page.", contentType: "text/html", schema: string() }],
  },
];
