import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import type {
  ErrorCode,
  LiveAck,
  LiveClientToServerEvents,
  LiveServerToClientEvents,
  RequestFeedEvent,
  RequestView,
  SpaceDetail,
  SubmitResponse,
  WorkerToServerEvents,
} from "@wsspaces/protocol";
import { buildOpenApiDocument } from "@wsspaces/server";
import { ApiClient, type ApiResponse } from "./helpers/http.js";
import { RawWorker } from "./helpers/raw-worker.js";
import { startTestServer, uniqueName, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

/**
 * The authorization matrix of docs/security.md, cell by cell: every HTTP route of the OpenAPI
 * catalogue and every client → server socket event, called by each kind of caller against one
 * real server. Refusals are checked by status and error code, successes by status (and, for
 * worker events, by their effect on the request).
 */

const ACTORS = ["anonymous", "user", "owner", "admin", "worker-this-space", "worker-other-space"] as const;
type Actor = (typeof ACTORS)[number];
type HumanActor = "user" | "owner" | "admin";

/** The catalogue's access classes (packages/server/src/ops/openapi-types.ts `Access`). */
type Access = "public" | "user" | "owner" | "admin" | "metrics" | "worker";
type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

type HttpExpect = { ok: number } | { status: number; code: ErrorCode };

const UNAUTHENTICATED: HttpExpect = { status: 401, code: "unauthenticated" };
/** A worker token is no API key: as a bearer token it is refused on every route, public ones too. */
const WORKERS = { "worker-this-space": UNAUTHENTICATED, "worker-other-space": UNAUTHENTICATED } as const;

/** The cells of a route, by its access class and its success status. */
function cellsFor(access: Access, status: number): Record<Actor, HttpExpect> {
  const ok: HttpExpect = { ok: status };
  switch (access) {
    case "public":
      return { anonymous: ok, user: ok, owner: ok, admin: ok, ...WORKERS };
    case "user":
      return { anonymous: UNAUTHENTICATED, user: ok, owner: ok, admin: ok, ...WORKERS };
    case "owner":
      // Someone else's request (or key) is "not found", so ids cannot be probed.
      return { anonymous: UNAUTHENTICATED, user: { status: 404, code: "not_found" }, owner: ok, admin: ok, ...WORKERS };
    case "admin": {
      const forbidden: HttpExpect = { status: 403, code: "forbidden" };
      return { anonymous: UNAUTHENTICATED, user: forbidden, owner: forbidden, admin: ok, ...WORKERS };
    }
    case "metrics":
      // With --metrics-token set only that token opens it; no API key does.
      return { anonymous: UNAUTHENTICATED, user: UNAUTHENTICATED, owner: UNAUTHENTICATED, admin: UNAUTHENTICATED, ...WORKERS };
    case "worker":
      // Only the connection holding the request, naming itself in X-Wsspaces-Connection, gets
      // in; without that header nobody does. The holder's cells are in tests/files.test.ts.
      return { anonymous: UNAUTHENTICATED, user: UNAUTHENTICATED, owner: UNAUTHENTICATED, admin: UNAUTHENTICATED, ...WORKERS };
  }
}

const METRICS_TOKEN = "matrix-metrics-token-0123456789";

interface Env {
  server: TestServer;
  clients: Record<Actor, ApiClient>;
  /** Raw API keys of the human callers (for socket handshakes). */
  keys: Record<HumanActor, string>;
  ownerId: string;
  /** The space the HTTP rows act on: queues while offline, so submissions need no worker. */
  spaceA: SpaceDetail;
  /** Worker tokens: of space A (this space) and of space B (another space). */
  tokenA: string;
  tokenB: string;
  spaceB: SpaceDetail;
  login: { username: string; password: string };
  /** A connected worker on a space of its own, for the drain route. */
  drainWorkerId: string;
}

let env: Env;

/** A fresh queued request of the owner in space A. */
async function ownersRequest(): Promise<string> {
  const res = await env.clients.owner.post<SubmitResponse>(`/api/v1/spaces/${env.spaceA.id}/requests`, { prompt: "matrix" });
  if (res.status !== 202) throw new Error(`submit failed: ${JSON.stringify(res.body)}`);
  return res.body.request_id;
}

/** A fresh cancelled (terminal) request of the owner: retryable, and its event stream ends. */
async function ownersFinishedRequest(): Promise<string> {
  const id = await ownersRequest();
  const cancelled = await env.clients.owner.post(`/api/v1/requests/${id}/cancel`);
  if (cancelled.status !== 200) throw new Error(`cancel failed: ${JSON.stringify(cancelled.body)}`);
  return id;
}

let fileSpace: SpaceDetail | undefined;

/** A file the owner uploaded with a fresh request (in a space taking files, queueing offline). */
async function ownersFile(): Promise<string> {
  fileSpace ??= (await env.server.space({ inputs: ["prompt", "file"], queue_offline: true })).space;
  const form = new FormData();
  form.set("prompt", "matrix");
  form.append("file", new Blob(["plain text"]), "note.txt");
  const res = await fetch(`${env.server.url}/api/v1/spaces/${fileSpace.id}/requests`, { method: "POST", headers: { authorization: `Bearer ${env.keys.owner}` }, body: form });
  const submitted = (await res.json()) as SubmitResponse;
  const view = await env.clients.owner.get<RequestView>(`/api/v1/requests/${submitted.request_id}`);
  const id = view.body.files[0]?.id;
  if (!id) throw new Error(`upload failed: ${JSON.stringify(view.body)}`);
  return id;
}

async function freshSpace(): Promise<SpaceDetail> {
  return (await env.server.space()).space;
}

interface HttpRow {
  method: HttpMethod;
  /** OpenAPI form, as in the catalogue. */
  path: string;
  access: Access;
  /** The success status of an allowed caller. */
  status: number;
  /** Cells that differ from what the access class implies. */
  cells?: Record<Actor, HttpExpect>;
  /** Makes the call as `caller`; resources named in the path are created fresh where a success would use them up. */
  call(caller: ApiClient): Promise<ApiResponse<unknown>>;
}

const HTTP_ROWS: HttpRow[] = [
  // ---- auth ----
  {
    method: "POST",
    path: "/api/v1/auth/register",
    access: "public",
    status: 201,
    call: (c) => c.post("/api/v1/auth/register", { username: uniqueName("reg"), password: "register-password" }),
  },
  { method: "POST", path: "/api/v1/auth/login", access: "public", status: 200, call: (c) => c.post("/api/v1/auth/login", env.login) },
  { method: "POST", path: "/api/v1/auth/logout", access: "public", status: 204, call: (c) => c.post("/api/v1/auth/logout") },
  { method: "GET", path: "/api/v1/me", access: "user", status: 200, call: (c) => c.get("/api/v1/me") },
  { method: "GET", path: "/api/v1/me/api-keys", access: "user", status: 200, call: (c) => c.get("/api/v1/me/api-keys") },
  { method: "POST", path: "/api/v1/me/api-keys", access: "user", status: 201, call: (c) => c.post("/api/v1/me/api-keys", { name: "matrix" }) },
  {
    // Only the key's owner may revoke it: to anyone else, admins included, it does not exist.
    method: "DELETE",
    path: "/api/v1/me/api-keys/{id}",
    access: "user",
    status: 204,
    cells: { ...cellsFor("owner", 204), admin: { status: 404, code: "not_found" } },
    call: async (c) => c.delete(`/api/v1/me/api-keys/${(await env.server.app.auth.createApiKey(env.ownerId, "doomed")).id}`),
  },
  { method: "GET", path: "/api/v1/me/webhook-secret", access: "user", status: 200, call: (c) => c.get("/api/v1/me/webhook-secret") },
  { method: "POST", path: "/api/v1/me/webhook-secret", access: "user", status: 200, call: (c) => c.post("/api/v1/me/webhook-secret") },
  // ---- spaces ----
  { method: "GET", path: "/api/v1/spaces", access: "public", status: 200, call: (c) => c.get("/api/v1/spaces") },
  { method: "GET", path: "/api/v1/spaces/{id}", access: "public", status: 200, call: (c) => c.get(`/api/v1/spaces/${env.spaceA.id}`) },
  { method: "POST", path: "/api/v1/spaces", access: "admin", status: 201, call: (c) => c.post("/api/v1/spaces", { name: uniqueName("Made") }) },
  {
    method: "PATCH",
    path: "/api/v1/spaces/{id}",
    access: "admin",
    status: 200,
    call: (c) => c.patch(`/api/v1/spaces/${env.spaceA.id}`, { description: "patched by the matrix" }),
  },
  { method: "DELETE", path: "/api/v1/spaces/{id}", access: "admin", status: 204, call: async (c) => c.delete(`/api/v1/spaces/${(await freshSpace()).id}`) },
  {
    method: "GET",
    path: "/api/v1/spaces/{id}/worker-tokens",
    access: "admin",
    status: 200,
    call: (c) => c.get(`/api/v1/spaces/${env.spaceA.id}/worker-tokens`),
  },
  {
    method: "POST",
    path: "/api/v1/spaces/{id}/worker-tokens",
    access: "admin",
    status: 201,
    call: (c) => c.post(`/api/v1/spaces/${env.spaceA.id}/worker-tokens`, { name: "matrix" }),
  },
  {
    method: "DELETE",
    path: "/api/v1/spaces/{id}/worker-tokens/{tokenId}",
    access: "admin",
    status: 204,
    call: async (c) => {
      const token = await env.clients.admin.post<{ id: string }>(`/api/v1/spaces/${env.spaceA.id}/worker-tokens`, { name: "doomed" });
      return c.delete(`/api/v1/spaces/${env.spaceA.id}/worker-tokens/${token.body.id}`);
    },
  },
  {
    method: "POST",
    path: "/api/v1/spaces/{id}/queue/purge",
    access: "admin",
    status: 200,
    // A space of its own with a queued request, so an allowed purge has something to do.
    call: async (c) => {
      const space = await freshSpace();
      await env.clients.admin.patch(`/api/v1/spaces/${space.id}`, { queue_offline: true });
      await env.clients.owner.post(`/api/v1/spaces/${space.id}/requests`, { prompt: "to purge" });
      return c.post(`/api/v1/spaces/${space.id}/queue/purge`);
    },
  },
  // ---- requests ----
  {
    method: "POST",
    path: "/api/v1/spaces/{id}/requests",
    access: "user",
    status: 202,
    call: (c) => c.post(`/api/v1/spaces/${env.spaceA.id}/requests`, { prompt: "hello" }),
  },
  { method: "GET", path: "/api/v1/requests", access: "user", status: 200, call: (c) => c.get("/api/v1/requests") },
  { method: "GET", path: "/api/v1/requests/{id}", access: "owner", status: 200, call: async (c) => c.get(`/api/v1/requests/${await ownersRequest()}`) },
  { method: "GET", path: "/api/v1/files/{id}", access: "owner", status: 200, call: async (c) => c.get(`/api/v1/files/${await ownersFile()}`) },
  {
    method: "PUT",
    path: "/api/v1/worker/requests/{id}/files/{name}",
    access: "worker",
    status: 201,
    call: async (c) => c.request("PUT", `/api/v1/worker/requests/${await ownersRequest()}/files/out.txt`, "output"),
  },
  {
    method: "POST",
    path: "/api/v1/requests/{id}/cancel",
    access: "owner",
    status: 200,
    call: async (c) => c.post(`/api/v1/requests/${await ownersRequest()}/cancel`),
  },
  {
    method: "POST",
    path: "/api/v1/requests/{id}/retry",
    access: "owner",
    status: 202,
    call: async (c) => c.post(`/api/v1/requests/${await ownersFinishedRequest()}/retry`),
  },
  {
    // A finished request: its stream replays and ends after `done`, so the answer completes.
    method: "GET",
    path: "/api/v1/requests/{id}/events",
    access: "owner",
    status: 200,
    call: async (c) => c.get(`/api/v1/requests/${await ownersFinishedRequest()}/events`),
  },
  {
    method: "GET",
    path: "/api/v1/requests/{id}/webhooks",
    access: "owner",
    status: 200,
    call: async (c) => c.get(`/api/v1/requests/${await ownersRequest()}/webhooks`),
  },
  // ---- seed-compatible ----
  {
    method: "POST",
    path: "/websockets/submit/{space_id}",
    access: "user",
    status: 200,
    call: (c) => c.post(`/websockets/submit/${env.spaceA.id}`, { prompt: "seed" }),
  },
  {
    method: "GET",
    path: "/websockets/status",
    access: "owner",
    status: 200,
    call: async (c) => c.get(`/websockets/status?request_id=${await ownersRequest()}`),
  },
  // ---- admin ----
  { method: "GET", path: "/api/v1/admin/workers", access: "admin", status: 200, call: (c) => c.get("/api/v1/admin/workers") },
  {
    method: "POST",
    path: "/api/v1/admin/workers/{id}/drain",
    access: "admin",
    status: 200,
    call: (c) => c.post(`/api/v1/admin/workers/${env.drainWorkerId}/drain`),
  },
  { method: "GET", path: "/api/v1/admin/requests", access: "admin", status: 200, call: (c) => c.get("/api/v1/admin/requests") },
  { method: "GET", path: "/api/v1/admin/overview", access: "admin", status: 200, call: (c) => c.get("/api/v1/admin/overview") },
  { method: "GET", path: "/api/v1/admin/users", access: "admin", status: 200, call: (c) => c.get("/api/v1/admin/users") },
  {
    method: "PATCH",
    path: "/api/v1/admin/users/{id}",
    access: "admin",
    status: 200,
    call: async (c) => {
      const target = await env.server.app.auth.createUser(uniqueName("target"), "target-password", "user");
      return c.patch(`/api/v1/admin/users/${target.id}`, { disabled: true });
    },
  },
  // ---- ops ----
  { method: "GET", path: "/healthz", access: "public", status: 200, call: (c) => c.get("/healthz") },
  { method: "GET", path: "/readyz", access: "public", status: 200, call: (c) => c.get("/readyz") },
  { method: "GET", path: "/metrics", access: "metrics", status: 200, call: (c) => c.get("/metrics") },
  { method: "GET", path: "/openapi.json", access: "public", status: 200, call: (c) => c.get("/openapi.json") },
  { method: "GET", path: "/docs", access: "public", status: 200, call: (c) => c.get("/docs") },
];

/** The error code of either error shape: `{error: {code}}` or the seed routes' `{success: false, code}`. */
function errorCode(body: unknown): unknown {
  if (typeof body !== "object" || body === null) return undefined;
  if ("success" in body && body.success === false && "code" in body) return body.code;
  if ("error" in body && typeof body.error === "object" && body.error !== null && "code" in body.error) return body.error.code;
  return undefined;
}

const label = (e: HttpExpect) => ("ok" in e ? `${e.ok}` : `${e.status} ${e.code}`);

// ---- sockets ---------------------------------------------------------------------------------

/** What a socket caller got: success, or a refusal at connect, at register, or in the event's ack. */
type SocketOutcome = { ok: true } | { code: string; at: "connect" | "register" | "ack" };
type SocketExpect = { ok: true } | { code: ErrorCode; at: "connect" | "register" | "ack" };

const socketLabel = (e: SocketExpect) => ("ok" in e ? "✓" : e.at === "connect" ? `connect_error ${e.code}` : e.code);

interface SocketRow {
  cells: Record<Actor, SocketExpect>;
  run(actor: Actor): Promise<SocketOutcome>;
}

interface SocketEnv {
  /** Space W: its token-holding worker `holder` holds the requests the worker rows act on. */
  spaceW: SpaceDetail;
  tokenW: string;
  holder: RawWorker;
  /** A worker of space B (token B), registered. */
  otherWorker: RawWorker;
  /** A tokenless worker registered for an open space: the most an anonymous party can reach. */
  openWorker: RawWorker;
}

let sockets: SocketEnv;
const closers: (() => void)[] = [];

function codeOf(err: unknown): string {
  const data = typeof err === "object" && err !== null && "data" in err ? err.data : undefined;
  const code = typeof data === "object" && data !== null && "code" in data ? data.code : undefined;
  return typeof code === "string" ? code : `no code in ${String(err)}`;
}

async function workerSocket(token: string | undefined): Promise<RawWorker> {
  const worker = await RawWorker.connect(env.server.url, token === undefined ? {} : { token });
  closers.push(() => worker.close());
  return worker;
}

/** Connects as `actor` (an API key for humans): resolves the worker, or the connect refusal's code. */
async function workerSocketAs(actor: Actor): Promise<RawWorker | SocketOutcome> {
  const token: Record<Actor, string | undefined> = {
    anonymous: undefined,
    user: env.keys.user,
    owner: env.keys.owner,
    admin: env.keys.admin,
    "worker-this-space": sockets.tokenW,
    "worker-other-space": env.tokenB,
  };
  try {
    return await workerSocket(token[actor]);
  } catch (err) {
    return { code: codeOf(err), at: "connect" };
  }
}

/** A request of the owner in space W, dispatched to (and held by) the holder. */
async function heldRequest(): Promise<string> {
  const res = await env.clients.owner.post<SubmitResponse>(`/api/v1/spaces/${sockets.spaceW.id}/requests`, { prompt: "held" });
  if (res.status !== 202) throw new Error(`submit failed: ${JSON.stringify(res.body)}`);
  const dispatched = await sockets.holder.nextRequest();
  expect(dispatched.request_id).toBe(res.body.request_id);
  return dispatched.request_id;
}

async function requestView(id: string): Promise<RequestView> {
  return (await env.clients.admin.get<RequestView>(`/api/v1/requests/${id}`)).body;
}

const API_KEY_REFUSED: SocketExpect = { code: "invalid_token", at: "connect" };
const NOT_ASSIGNED: SocketExpect = { code: "not_assigned", at: "ack" };

type WorkerEvent = Exclude<keyof WorkerToServerEvents, "register">;

/** A worker → server event about a request the holder holds, sent by `actor`'s connection. */
function heldRequestEvent(event: WorkerEvent, payload: (requestId: string) => Record<string, unknown>, effect: (view: RequestView) => void): SocketRow {
  return {
    cells: {
      anonymous: NOT_ASSIGNED,
      user: API_KEY_REFUSED,
      owner: API_KEY_REFUSED,
      admin: API_KEY_REFUSED,
      "worker-this-space": { ok: true },
      "worker-other-space": NOT_ASSIGNED,
    },
    async run(actor) {
      const requestId = await heldRequest();
      const sender: RawWorker | SocketOutcome =
        actor === "worker-this-space"
          ? sockets.holder
          : actor === "worker-other-space"
            ? sockets.otherWorker
            : actor === "anonymous"
              ? sockets.openWorker
              : await workerSocketAs(actor);
      let outcome: SocketOutcome;
      if (sender instanceof RawWorker) {
        const ack = await sender.emit(event, payload(requestId));
        outcome = ack.ok ? { ok: true } : { code: ack.error.code, at: "ack" };
      } else {
        outcome = sender;
      }
      const view = await requestView(requestId);
      if ("ok" in outcome) effect(view);
      else {
        // A refused event changed nothing.
        expect(view).toMatchObject({ state: "dispatched", progress: null, result: null });
      }
      await sockets.holder.complete(requestId, { text_output: "cleanup" });
      return outcome;
    },
  };
}

const WORKER_ROWS: { [E in keyof WorkerToServerEvents]: SocketRow } = {
  register: {
    cells: {
      anonymous: { code: "invalid_token", at: "register" },
      user: API_KEY_REFUSED,
      owner: API_KEY_REFUSED,
      admin: API_KEY_REFUSED,
      "worker-this-space": { ok: true },
      "worker-other-space": { code: "space_not_allowed", at: "register" },
    },
    async run(actor) {
      const worker = await workerSocketAs(actor);
      if (!(worker instanceof RawWorker)) return worker;
      const response = await worker.register({ space_name: sockets.spaceW.name });
      if (!response.success) {
        // A refused registration also ends the connection.
        await worker.disconnected();
        return { code: response.code, at: "register" };
      }
      // Leave no second worker on space W to take the holder's requests.
      const gone = worker.disconnected();
      worker.close();
      await gone;
      await eventually(async () => expect((await env.clients.admin.get<SpaceDetail>(`/api/v1/spaces/${sockets.spaceW.id}`)).body.workers).toBe(1));
      return { ok: true };
    },
  },
  accept: heldRequestEvent("accept", (id) => ({ request_id: id }), (view) => expect(view.state).toBe("running")),
  progress: heldRequestEvent(
    "progress",
    (id) => ({ request_id: id, progress: 0.5, message: "half" }),
    (view) => expect(view).toMatchObject({ state: "running", progress: 0.5, progress_message: "half" }),
  ),
  stream: heldRequestEvent("stream", (id) => ({ request_id: id, chunk: "partial", seq: 1 }), (view) => expect(view.state).toBe("dispatched")),
  inference_result: heldRequestEvent(
    "inference_result",
    (id) => ({ request_id: id, status: "completed", result: { text_output: "from the holder" } }),
    (view) => expect(view).toMatchObject({ state: "completed", result: { text_output: "from the holder" } }),
  ),
};

type LiveSocket = Socket<LiveServerToClientEvents, LiveClientToServerEvents>;

/** Connects to `/live` as `actor` (API key or worker token in `auth.token`; anonymous: nothing). */
function liveSocketAs(actor: Actor): Promise<LiveSocket | SocketOutcome> {
  const token: Record<Actor, string | undefined> = {
    anonymous: undefined,
    user: env.keys.user,
    owner: env.keys.owner,
    admin: env.keys.admin,
    "worker-this-space": env.tokenA,
    "worker-other-space": env.tokenB,
  };
  const credential = token[actor];
  const socket: LiveSocket = io(`${env.server.url}/live`, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    ...(credential === undefined ? {} : { auth: { token: credential } }),
  });
  closers.push(() => socket.close());
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      resolve({ code: codeOf(err), at: "connect" });
    });
  });
}

const WORKER_TOKEN_REFUSED: SocketExpect = { code: "unauthenticated", at: "connect" };

function liveRow(
  humans: Record<"anonymous" | HumanActor, SocketExpect>,
  call: (socket: LiveSocket) => Promise<LiveAck>,
  whenOk: (socket: LiveSocket, ack: LiveAck) => Promise<void> = () => Promise.resolve(),
): SocketRow {
  return {
    cells: { ...humans, "worker-this-space": WORKER_TOKEN_REFUSED, "worker-other-space": WORKER_TOKEN_REFUSED },
    async run(actor) {
      const socket = await liveSocketAs(actor);
      if (!("emit" in socket)) return socket;
      const ack = await call(socket);
      if (!ack.ok) return { code: ack.error.code, at: "ack" };
      await whenOk(socket, ack);
      return { ok: true };
    },
  };
}

const EVERYONE_OK = { anonymous: { ok: true }, user: { ok: true }, owner: { ok: true }, admin: { ok: true } } as const;

/** A `/live` ack (socket.io types a timed-out emit's answer loosely). */
async function liveAck(emitted: Promise<unknown>): Promise<LiveAck> {
  return (await emitted) as LiveAck;
}

/** The first `request_event` each watching socket got for the request it asked to watch. */
const firstEvents = new Map<LiveSocket, Promise<RequestFeedEvent>>();

const LIVE_ROWS: { [E in keyof LiveClientToServerEvents]: SocketRow } = {
  subscribe_spaces: liveRow(EVERYONE_OK, (s) => liveAck(s.timeout(5000).emitWithAck("subscribe_spaces", { space_ids: [env.spaceA.id] }))),
  unsubscribe_spaces: liveRow(EVERYONE_OK, (s) => liveAck(s.timeout(5000).emitWithAck("unsubscribe_spaces", { space_ids: [env.spaceA.id] }))),
  watch_request: liveRow(
    { anonymous: { code: "unauthenticated", at: "ack" }, user: { code: "not_found", at: "ack" }, owner: { ok: true }, admin: { ok: true } },
    async (s) => {
      const watched = await ownersRequest();
      firstEvents.set(s, new Promise((resolve) => s.on("request_event", (event) => event.request_id === watched && resolve(event))));
      return liveAck(s.timeout(5000).emitWithAck("watch_request", { request_id: watched }));
    },
    // Allowed watchers really get the request's events (the replayed `state` first).
    async (s) => expect((await firstEvents.get(s))?.type).toBe("state"),
  ),
  unwatch_request: liveRow(EVERYONE_OK, async (s) => liveAck(s.timeout(5000).emitWithAck("unwatch_request", { request_id: await ownersRequest() }))),
};

describe("authorization matrix", () => {
  beforeAll(async () => {
    const server = await startTestServer({
      config: { metricsToken: METRICS_TOKEN, submitsPerMinute: 0, userQueueLimit: 100_000, workerEventsPerSecond: 10_000 },
    });
    const humans = {} as Record<HumanActor, { id: string; key: string }>;
    for (const [actor, role] of [
      ["user", "user"],
      ["owner", "user"],
      ["admin", "admin"],
    ] as const) {
      const created = await server.app.auth.createUser(uniqueName(actor), `${actor}-password`, role);
      humans[actor] = { id: created.id, key: (await server.app.auth.createApiKey(created.id, "matrix")).key };
    }
    const a = await server.space({ queue_offline: true, max_queue: 100_000 });
    const b = await server.space();
    const login = { username: uniqueName("login"), password: "login-password" };
    await server.app.auth.createUser(login.username, login.password, "user");
    const drainSpace = await server.space();
    const drainWorker = await RawWorker.connect(server.url, { token: drainSpace.token });
    closers.push(() => drainWorker.close());
    const drainRegistered = await drainWorker.register({ space_name: drainSpace.space.name });
    if (!drainRegistered.success) throw new Error("drain worker not registered");
    env = {
      server,
      clients: {
        anonymous: new ApiClient(server.url),
        user: new ApiClient(server.url, humans.user.key),
        owner: new ApiClient(server.url, humans.owner.key),
        admin: new ApiClient(server.url, humans.admin.key),
        "worker-this-space": new ApiClient(server.url, a.token),
        "worker-other-space": new ApiClient(server.url, b.token),
      },
      keys: { user: humans.user.key, owner: humans.owner.key, admin: humans.admin.key },
      ownerId: humans.owner.id,
      spaceA: a.space,
      spaceB: b.space,
      tokenA: a.token,
      tokenB: b.token,
      login,
      drainWorkerId: drainRegistered.connection_id,
    };

    const w = await server.space();
    const holder = await workerSocket(w.token);
    expect((await holder.register({ space_name: w.space.name, capacity: 8 })).success).toBe(true);
    const otherWorker = await workerSocket(b.token);
    expect((await otherWorker.register({ space_name: b.space.name, capacity: 8 })).success).toBe(true);
    const open = await server.space({ open_workers: true });
    const openWorker = await workerSocket(undefined);
    expect((await openWorker.register({ space_name: open.space.name, capacity: 8 })).success).toBe(true);
    sockets = { spaceW: w.space, tokenW: w.token, holder, otherWorker, openWorker };
  });

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) close();
    await env.server.close();
  });

  describe("HTTP routes", () => {
    for (const row of HTTP_ROWS) {
      const cells = row.cells ?? cellsFor(row.access, row.status);
      for (const actor of ACTORS) {
        const expected = cells[actor];
        it(`${row.method} ${row.path} — ${actor} → ${label(expected)}`, async () => {
          const res = await row.call(env.clients[actor]);
          if ("ok" in expected) {
            expect(res.status, JSON.stringify(res.body)).toBe(expected.ok);
          } else {
            expect({ status: res.status, code: errorCode(res.body) }).toEqual({ status: expected.status, code: expected.code });
          }
        });
      }
    }

    it("GET /metrics — the metrics token → 200", async () => {
      const res = await new ApiClient(env.server.url, METRICS_TOKEN).get("/metrics");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    });
  });

  describe("worker namespace `/`", () => {
    for (const [event, row] of Object.entries(WORKER_ROWS)) {
      for (const actor of ACTORS) {
        const expected = row.cells[actor];
        it(`worker ${event} — ${actor} → ${socketLabel(expected)}`, async () => {
          expect(await row.run(actor)).toEqual(expected);
        });
      }
    }

    it("worker accept — another worker of this space (not the holder) → not_assigned", async () => {
      const second = await workerSocket(sockets.tokenW);
      expect((await second.register({ space_name: sockets.spaceW.name, capacity: 1 })).success).toBe(true);
      // The holder has free slots and the oldest dispatch, so it may or may not get the request:
      // whoever does not hold it is the one tested.
      const res = await env.clients.owner.post<SubmitResponse>(`/api/v1/spaces/${sockets.spaceW.id}/requests`, { prompt: "which one" });
      const id = res.body.request_id;
      const holds = await eventually(() => {
        const found = [sockets.holder, second].find((w) => w.requests.some((r) => r.request_id === id));
        if (!found) throw new Error("not dispatched yet");
        return found;
      });
      // Keep the holder's queue of untaken requests in step for the other tests.
      if (holds === sockets.holder) expect(await sockets.holder.nextRequest()).toMatchObject({ request_id: id });
      const bystander = holds === second ? sockets.holder : second;
      const ack = await bystander.emit("accept", { request_id: id });
      expect(ack).toMatchObject({ ok: false, error: { code: "not_assigned" } });
      expect((await requestView(id)).state).toBe("dispatched");
      expect(await holds.complete(id, { text_output: "done" })).toEqual({ ok: true });
      const gone = second.disconnected();
      second.close();
      await gone;
      await eventually(async () => expect((await env.clients.admin.get<SpaceDetail>(`/api/v1/spaces/${sockets.spaceW.id}`)).body.workers).toBe(1));
    });
  });

  describe("live namespace `/live`", () => {
    for (const [event, row] of Object.entries(LIVE_ROWS)) {
      for (const actor of ACTORS) {
        const expected = row.cells[actor];
        it(`/live ${event} — ${actor} → ${socketLabel(expected)}`, async () => {
          expect(await row.run(actor)).toEqual(expected);
        });
      }
    }
  });

  describe("coverage", () => {
    const doc = buildOpenApiDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, access: operation["x-access"] })),
    );
    const rows = HTTP_ROWS.map((row) => `${row.method} ${row.path}`);

    it("has one row per route, without duplicates", () => {
      expect(new Set(rows).size).toBe(rows.length);
    });

    it("covers every route the OpenAPI catalogue lists (a new route needs a matrix row)", () => {
      expect([...rows].sort()).toEqual(documented.map((d) => d.route).sort());
    });

    it("agrees with the access class the catalogue documents for each route", () => {
      const declared = Object.fromEntries(HTTP_ROWS.map((row) => [`${row.method} ${row.path}`, row.access]));
      expect(declared).toEqual(Object.fromEntries(documented.map((d) => [d.route, d.access])));
    });
  });
});
