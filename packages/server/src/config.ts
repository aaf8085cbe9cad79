import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { CONFIG_OPTIONS, ConfigError, displayValue, parseOptionValue } from "./config-options.js";
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
  /** Submissions per user per minute; 0 = unlimited. */
  submitsPerMinute: number;
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
  logFormat: "auto" | "json" | "pretty";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Events kept per request for late and resuming readers (SSE, `/live`). */
  liveBufferEvents: number;
  /** A finished request's events stay this long once nobody reads them. */
  liveRetainMs: number;
  sseStreamsPerUser: number;
  /** SSE comment heartbeat interval. */
  sseHeartbeatMs: number;
  /** A space's live status goes out at most once per this interval. */
  spaceStatusIntervalMs: number;
  /** Finished requests older than this many days are purged hourly; 0 keeps them. */
  retentionDays: number;
  /** Files of requests finished more than this many days ago are deleted; 0 keeps them. */
  fileRetentionDays: number;
  maxOutputFileBytes: number;
  /** Base of the file links given to workers; unset: the address each worker connected to. */
  publicUrl: string | undefined;
  webhookAllowPrivate: boolean;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  webhookGiveUpMs: number;
  webhookTimeoutMs: number;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** The built web app (`npm run build`); the site answers with a hint when it is missing. */
  webDir: string;
  /** Several nodes on one PostgreSQL. */
  cluster: boolean;
  nodeLeaseMs: number;
  /** Identifies this process in worker_sessions (multi-node comes later). */
  nodeId: string;
}

/**
 * The effective settings: each option from, in order of precedence, a flag, a `WSSPACES_*`
 * environment variable, the config file, or its default (CONFIG_OPTIONS). `overrides` (tests,
 * embedding) win over all of them.
 */
export function resolveConfig(
  sources: { flags?: Record<string, unknown>; env?: NodeJS.ProcessEnv; file?: Record<string, unknown> } = {},
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  const known = new Set(CONFIG_OPTIONS.map((o) => o.name));
  const unknown = Object.keys(sources.file ?? {}).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new ConfigError(`config file: unknown setting(s) ${unknown.join(", ")}`);
  const values: Record<string, unknown> = {};
  for (const option of CONFIG_OPTIONS) {
    let value = option.default === undefined ? undefined : parseOptionValue(option, option.default, "default");
    const fromFile = sources.file?.[option.name];
    if (fromFile !== undefined && fromFile !== null) value = parseOptionValue(option, fromFile, "config file:");
    const fromEnv = sources.env?.[option.env];
    if (fromEnv !== undefined && fromEnv !== "") value = parseOptionValue(option, fromEnv, `${option.env}:`);
    const fromFlag = sources.flags?.[option.name];
    if (fromFlag !== undefined) value = parseOptionValue(option, fromFlag, "--");
    values[option.key] = value;
  }
  const config = values as unknown as ServerConfig;
  return {
    ...config,
    dataDir: resolve(overrides.dataDir ?? config.dataDir),
    webDir: resolve(overrides.webDir ?? config.webDir ?? DEFAULT_WEB_DIR),
    nodeId: overrides.nodeId ?? config.nodeId ?? `node_${randomBytes(6).toString("hex")}`,
    ...withoutPaths(overrides),
  };
}

/** Settings from the environment and defaults, with `overrides` on top (tests, embedding). */
export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return resolveConfig({ env: process.env }, overrides);
}

/** Reads a JSON config file whose keys are the flag names (`"port": 8080`). */
export function readConfigFile(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ConfigError(`config file ${path}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}

/** The settings as `--print-config` shows them: user units, secrets redacted. */
export function printableConfig(config: ServerConfig): Record<string, string | number | boolean | null> {
  return Object.fromEntries(CONFIG_OPTIONS.map((option) => [option.name, displayValue(option, config[option.key])]));
}

function withoutPaths(overrides: Partial<ServerConfig>): Partial<ServerConfig> {
  const { dataDir: _dataDir, webDir: _webDir, nodeId: _nodeId, ...rest } = overrides;
  return rest;
}

export function sqlitePath(config: ServerConfig): string {
  return join(config.dataDir, "wsspaces.db");
}
