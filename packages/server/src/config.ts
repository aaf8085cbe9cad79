import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { DEFAULT_WEB_DIR } from "./web/web-routes.js";

export interface ServerConfig {
  host: string;
  port: number;
  /** Directory for the SQLite file and (later) uploaded files. */
  dataDir: string;
  /** postgres://… selects PostgreSQL; otherwise SQLite at `<dataDir>/wsspaces.db`. */
  databaseUrl: string | undefined;
  registration: "open" | "closed";
  /** Requeue a request whose worker vanished at most this many times before `worker_lost`. */
  maxAttempts: number;
  /** Queued (not yet dispatched) requests one user may have in one space. */
  userQueueLimit: number;
  sessionTtlMs: number;
  /** Failed sign-ins per client IP and per username within `loginWindowMs` before 429. */
  loginMaxFailures: number;
  loginWindowMs: number;
  /** Inbound socket events one worker may send per second before it is disconnected. */
  workerEventsPerSecond: number;
  /** A worker whose connection dropped keeps its requests this long, waiting to resume. */
  resumeGraceMs: number;
  /** Socket.IO heartbeat: a ping every interval; no pong within the timeout closes the socket. */
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Largest Socket.IO message, in bytes. */
  maxSocketMessageBytes: number;
  /** Largest HTTP body, in bytes. */
  bodyLimitBytes: number;
  /** Set when behind a TLS-terminating proxy: cookies become Secure, X-Forwarded-* is trusted. */
  trustProxy: boolean;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Events kept per request for late and resuming readers (SSE, `/live`). */
  liveBufferEvents: number;
  /** A finished request's events stay this long once nobody reads them. */
  liveRetainMs: number;
  /** SSE comment heartbeat interval. */
  sseHeartbeatMs: number;
  /** A space's live status goes out at most once per this interval. */
  spaceStatusIntervalMs: number;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** The built web app (`npm run build`); the site answers with a hint when it is missing. */
  webDir: string;
  /** Identifies this process in worker_sessions (multi-node comes later). */
  nodeId: string;
}

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const env = process.env;
  const dataDir = resolve(overrides.dataDir ?? env.WSSPACES_DATA ?? "./data");
  return {
    host: env.WSSPACES_HOST ?? "127.0.0.1",
    port: numberFromEnv(env.WSSPACES_PORT, 5001),
    dataDir,
    databaseUrl: env.WSSPACES_DATABASE_URL || undefined,
    registration: env.WSSPACES_REGISTRATION === "closed" ? "closed" : "open",
    maxAttempts: numberFromEnv(env.WSSPACES_MAX_ATTEMPTS, 3),
    userQueueLimit: numberFromEnv(env.WSSPACES_USER_QUEUE_LIMIT, 20),
    sessionTtlMs: numberFromEnv(env.WSSPACES_SESSION_TTL_HOURS, 24 * 14) * 3_600_000,
    loginMaxFailures: numberFromEnv(env.WSSPACES_LOGIN_MAX_FAILURES, 10),
    loginWindowMs: numberFromEnv(env.WSSPACES_LOGIN_WINDOW_SECONDS, 15 * 60) * 1000,
    workerEventsPerSecond: numberFromEnv(env.WSSPACES_WORKER_EVENTS_PER_SECOND, 200),
    resumeGraceMs: numberFromEnv(env.WSSPACES_RESUME_GRACE_MS, 30_000),
    pingIntervalMs: numberFromEnv(env.WSSPACES_PING_INTERVAL_MS, 25_000),
    pingTimeoutMs: numberFromEnv(env.WSSPACES_PING_TIMEOUT_MS, 20_000),
    maxSocketMessageBytes: numberFromEnv(env.WSSPACES_MAX_SOCKET_MESSAGE_BYTES, 8 * 1024 * 1024),
    bodyLimitBytes: numberFromEnv(env.WSSPACES_BODY_LIMIT_BYTES, 1024 * 1024),
    trustProxy: env.WSSPACES_TRUST_PROXY === "1" || env.WSSPACES_TRUST_PROXY === "true",
    logLevel: (env.WSSPACES_LOG_LEVEL as ServerConfig["logLevel"] | undefined) ?? "info",
    liveBufferEvents: numberFromEnv(env.WSSPACES_LIVE_BUFFER_EVENTS, 20_000),
    liveRetainMs: numberFromEnv(env.WSSPACES_LIVE_RETAIN_SECONDS, 120) * 1000,
    sseHeartbeatMs: numberFromEnv(env.WSSPACES_SSE_HEARTBEAT_SECONDS, 15) * 1000,
    spaceStatusIntervalMs: numberFromEnv(env.WSSPACES_SPACE_STATUS_INTERVAL_MS, 200),
    metricsToken: env.WSSPACES_METRICS_TOKEN || undefined,
    webDir: resolve(env.WSSPACES_WEB_DIR ?? DEFAULT_WEB_DIR),
    nodeId: `node_${randomBytes(6).toString("hex")}`,
    ...overrides,
  };
}

export function sqlitePath(config: ServerConfig): string {
  return join(config.dataDir, "wsspaces.db");
}

function numberFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`expected a number, got "${value}"`);
  return parsed;
}
