import type { ServerConfig } from "./config.js";

type Kind = "string" | "int" | "bool" | "enum";

/** One setting: its flag (also its config-file key), its environment variable, its unit. */
export interface ConfigOption {
  key: keyof ServerConfig;
  /** `--name` on the command line and `"name"` in the config file. */
  name: string;
  env: `WSSPACES_${string}`;
  kind: Kind;
  choices?: readonly string[];
  /** The value users write is multiplied by this to get the internal one (seconds → ms). */
  scale?: number;
  min?: number;
  max?: number;
  /** In the user's unit; undefined means "not set". */
  default: string | number | boolean | undefined;
  /** Shown as "(redacted)" by --print-config; URLs keep everything but the password. */
  secret?: boolean;
  unit?: string;
  help: string;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Every server setting, in the order `--print-config` and docs/configuration.md show them. */
export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  { key: "host", name: "host", env: "WSSPACES_HOST", kind: "string", default: "127.0.0.1", help: "Address to listen on (0.0.0.0 for all interfaces)." },
  { key: "port", name: "port", env: "WSSPACES_PORT", kind: "int", min: 0, max: 65_535, default: 5001, help: "TCP port (0 picks a free one)." },
  { key: "dataDir", name: "data", env: "WSSPACES_DATA", kind: "string", default: "./data", help: "Directory for the SQLite database and files." },
  {
    key: "databaseUrl",
    name: "database-url",
    env: "WSSPACES_DATABASE_URL",
    kind: "string",
    default: undefined,
    secret: true,
    help: "postgres://… to use PostgreSQL; unset for SQLite at <data>/wsspaces.db.",
  },
  { key: "registration", name: "registration", env: "WSSPACES_REGISTRATION", kind: "enum", choices: ["open", "closed"], default: "open", help: "Whether anyone may create an account." },
  { key: "logLevel", name: "log-level", env: "WSSPACES_LOG_LEVEL", kind: "enum", choices: LOG_LEVELS, default: "info", help: "Least severe log level written." },
  { key: "logFormat", name: "log-format", env: "WSSPACES_LOG_FORMAT", kind: "enum", choices: ["auto", "json", "pretty"], default: "auto", help: "auto: readable lines on a terminal, JSON otherwise." },
  { key: "trustProxy", name: "trust-proxy", env: "WSSPACES_TRUST_PROXY", kind: "bool", default: false, help: "Behind a TLS-terminating proxy: trust X-Forwarded-*, mark cookies Secure." },
  { key: "maxAttempts", name: "max-attempts", env: "WSSPACES_MAX_ATTEMPTS", kind: "int", min: 1, max: 100, default: 3, help: "Dispatches of a request whose workers keep vanishing before it fails as worker_lost." },
  { key: "userQueueLimit", name: "user-queue-limit", env: "WSSPACES_USER_QUEUE_LIMIT", kind: "int", min: 1, max: 1_000_000, default: 20, help: "Queued requests one user may have in one space." },
  { key: "sessionTtlMs", name: "session-ttl-hours", env: "WSSPACES_SESSION_TTL_HOURS", kind: "int", scale: 3_600_000, min: 1, max: 24 * 365, default: 336, unit: "hours", help: "Idle lifetime of a browser session." },
  { key: "submitsPerMinute", name: "submits-per-minute", env: "WSSPACES_SUBMITS_PER_MINUTE", kind: "int", min: 0, max: 1_000_000, default: 120, help: "Requests one user may submit per minute (bursts up to this); 0 turns the limit off." },
  { key: "loginMaxFailures", name: "login-max-failures", env: "WSSPACES_LOGIN_MAX_FAILURES", kind: "int", min: 1, max: 1_000_000, default: 10, help: "Failed sign-ins per address and per username within the window before 429." },
  { key: "loginWindowMs", name: "login-window-seconds", env: "WSSPACES_LOGIN_WINDOW_SECONDS", kind: "int", scale: 1000, min: 1, max: 86_400, default: 900, unit: "seconds", help: "Window of the sign-in limit." },
  { key: "workerEventsPerSecond", name: "worker-events-per-second", env: "WSSPACES_WORKER_EVENTS_PER_SECOND", kind: "int", min: 1, max: 10_000_000, default: 200, help: "Events one worker socket may send per second before it is disconnected." },
  { key: "resumeGraceMs", name: "resume-grace-ms", env: "WSSPACES_RESUME_GRACE_MS", kind: "int", min: 0, max: 3_600_000, default: 30_000, unit: "ms", help: "How long a dropped worker keeps its requests while it may resume." },
  { key: "pingIntervalMs", name: "ping-interval-ms", env: "WSSPACES_PING_INTERVAL_MS", kind: "int", min: 100, max: 600_000, default: 25_000, unit: "ms", help: "Socket.IO heartbeat interval." },
  { key: "pingTimeoutMs", name: "ping-timeout-ms", env: "WSSPACES_PING_TIMEOUT_MS", kind: "int", min: 100, max: 600_000, default: 20_000, unit: "ms", help: "No heartbeat answer within this closes the socket." },
  { key: "maxSocketMessageBytes", name: "max-socket-message-bytes", env: "WSSPACES_MAX_SOCKET_MESSAGE_BYTES", kind: "int", min: 1024, max: 1 << 30, default: 8 * 1024 * 1024, unit: "bytes", help: "Largest Socket.IO message." },
  { key: "bodyLimitBytes", name: "body-limit-bytes", env: "WSSPACES_BODY_LIMIT_BYTES", kind: "int", min: 1024, max: 1 << 30, default: 1024 * 1024, unit: "bytes", help: "Largest HTTP request body." },
  { key: "liveBufferEvents", name: "live-buffer-events", env: "WSSPACES_LIVE_BUFFER_EVENTS", kind: "int", min: 10, max: 10_000_000, default: 20_000, help: "Events kept per request for late and resuming readers." },
  { key: "liveRetainMs", name: "live-retain-seconds", env: "WSSPACES_LIVE_RETAIN_SECONDS", kind: "int", scale: 1000, min: 0, max: 86_400, default: 120, unit: "seconds", help: "How long a finished request's events stay once nobody reads them." },
  { key: "sseHeartbeatMs", name: "sse-heartbeat-seconds", env: "WSSPACES_SSE_HEARTBEAT_SECONDS", kind: "int", scale: 1000, min: 1, max: 3600, default: 15, unit: "seconds", help: "Comment line interval on event streams." },
  { key: "sseStreamsPerUser", name: "sse-streams-per-user", env: "WSSPACES_SSE_STREAMS_PER_USER", kind: "int", min: 1, max: 100_000, default: 100, help: "Event streams (SSE) one user may hold open at once, per server node." },
  { key: "spaceStatusIntervalMs", name: "space-status-interval-ms", env: "WSSPACES_SPACE_STATUS_INTERVAL_MS", kind: "int", min: 10, max: 60_000, default: 200, unit: "ms", help: "A space's live status goes out at most once per interval." },
  { key: "retentionDays", name: "retention-days", env: "WSSPACES_RETENTION_DAYS", kind: "int", min: 0, max: 36_500, default: 0, unit: "days", help: "Finished requests older than this are deleted by an hourly sweep; 0 keeps them forever." },
  { key: "fileRetentionDays", name: "file-retention-days", env: "WSSPACES_FILE_RETENTION_DAYS", kind: "int", min: 0, max: 36_500, default: 7, unit: "days", help: "Uploaded and output files of requests that finished longer ago are deleted by the hourly sweep; 0 keeps them." },
  { key: "maxOutputFileBytes", name: "max-output-file-mb", env: "WSSPACES_MAX_OUTPUT_FILE_MB", kind: "int", scale: 1024 * 1024, min: 1, max: 1 << 20, default: 4096, unit: "MiB", help: "Largest output file a worker may upload." },
  { key: "publicUrl", name: "public-url", env: "WSSPACES_PUBLIC_URL", kind: "string", default: undefined, help: "The site's address as workers reach it (https://spaces.example.org), for file links; default: the address each worker connected to." },
  { key: "webhookAllowPrivate", name: "webhook-allow-private", env: "WSSPACES_WEBHOOK_ALLOW_PRIVATE", kind: "bool", default: false, help: "Let webhooks reach loopback and private addresses (only where every user is trusted)." },
  { key: "webhookMaxAttempts", name: "webhook-max-attempts", env: "WSSPACES_WEBHOOK_MAX_ATTEMPTS", kind: "int", min: 1, max: 100, default: 8, help: "Delivery attempts per webhook before giving up." },
  { key: "webhookRetryBaseMs", name: "webhook-retry-base-ms", env: "WSSPACES_WEBHOOK_RETRY_BASE_MS", kind: "int", min: 1, max: 3_600_000, default: 2000, unit: "ms", help: "Delay before the first retry; doubled for each further one (at most 10 minutes)." },
  { key: "webhookGiveUpMs", name: "webhook-give-up-seconds", env: "WSSPACES_WEBHOOK_GIVE_UP_SECONDS", kind: "int", scale: 1000, min: 1, max: 7 * 86_400, default: 3600, unit: "seconds", help: "No retry starts later than this after the request finished." },
  { key: "webhookTimeoutMs", name: "webhook-timeout-ms", env: "WSSPACES_WEBHOOK_TIMEOUT_MS", kind: "int", min: 100, max: 600_000, default: 10_000, unit: "ms", help: "Longest wait for a webhook receiver's answer." },
  { key: "metricsToken", name: "metrics-token", env: "WSSPACES_METRICS_TOKEN", kind: "string", default: undefined, secret: true, help: "When set, GET /metrics needs Authorization: Bearer <token>." },
  { key: "webDir", name: "web-dir", env: "WSSPACES_WEB_DIR", kind: "string", default: undefined, help: "Built web app to serve (default: the one in this installation)." },
  { key: "cluster", name: "cluster", env: "WSSPACES_CLUSTER", kind: "bool", default: false, help: "Run as one of several nodes on a shared PostgreSQL (docs/deploy.md)." },
  { key: "nodeLeaseMs", name: "node-lease-ms", env: "WSSPACES_NODE_LEASE_MS", kind: "int", min: 1000, max: 600_000, default: 15_000, unit: "ms", help: "Multi-node: a node silent this long is dead and its requests go back to the queue." },
  { key: "nodeId", name: "node-id", env: "WSSPACES_NODE_ID", kind: "string", default: undefined, help: "Name of this server process among several (default: random per start)." },
];

export class ConfigError extends Error {}

/** Parses one value from a flag, an environment variable or the config file into its internal form. */
export function parseOptionValue(option: ConfigOption, raw: unknown, source: string): string | number | boolean {
  const where = `${source} ${option.name}`;
  switch (option.kind) {
    case "string":
      if (typeof raw !== "string" && typeof raw !== "number") throw new ConfigError(`${where}: expected text`);
      return String(raw);
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "1" || raw === "true" || raw === "yes" || raw === "") return true;
      if (raw === "0" || raw === "false" || raw === "no") return false;
      throw new ConfigError(`${where}: expected true or false`);
    case "enum":
      if (typeof raw !== "string" || !option.choices?.includes(raw)) throw new ConfigError(`${where}: expected one of ${option.choices?.join(", ")}`);
      return raw;
    case "int": {
      const value = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      if (!Number.isInteger(value) || value < (option.min ?? -Infinity) || value > (option.max ?? Infinity)) {
        throw new ConfigError(`${where}: expected a whole number from ${option.min} to ${option.max}`);
      }
      return value * (option.scale ?? 1);
    }
  }
}

/** The value as a user would write it (internal units turned back), secrets redacted. */
export function displayValue(option: ConfigOption, value: unknown): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (option.secret) return typeof value === "string" && /^\w+:\/\//.test(value) ? redactUrl(value) : "(redacted)";
  if (option.kind === "int" && typeof value === "number") return value / (option.scale ?? 1);
  return value as string | number | boolean;
}

function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "redacted";
    return url.toString();
  } catch {
    return "(redacted)";
  }
}

/** docs/configuration.md, generated from the table above so that the two never drift apart. */
export function renderConfigurationDoc(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;");
  const rows = CONFIG_OPTIONS.map((o) => {
    const shown = o.default === undefined ? "—" : `\`${String(o.default)}\``;
    const type = o.kind === "enum" ? (o.choices ?? []).map((c) => `\`${c}\``).join(" \\| ") : o.kind === "int" ? `whole number${o.unit ? ` (${o.unit})` : ""}` : o.kind === "bool" ? "true/false" : "text";
    return `| \`--${o.name}\` | \`${o.env}\` | ${type} | ${shown} | ${cell(o.help)}${o.secret ? " Redacted by `--print-config`." : ""} |`;
  });
  return `# Configuration

<!-- Generated by scripts/write-config-docs.mjs from packages/server/src/config-options.ts; do not edit by hand. -->

Every setting of \`wsspaces serve\` (and \`wsspaces demo\`) can be given three ways. When one is
given more than once, the first of these wins:

1. a flag: \`wsspaces serve --port 8080\`;
2. an environment variable: \`WSSPACES_PORT=8080\`;
3. a JSON config file named by \`--config FILE\` (or \`WSSPACES_CONFIG=FILE\`), whose keys are the
   flag names without dashes in front: \`{"port": 8080, "retention-days": 30}\`. Unknown keys are
   an error, so a typo does not go unnoticed.

Otherwise the default applies. \`wsspaces serve --print-config\` prints the effective settings as
JSON (in the units below, secrets redacted) and exits. Invalid values stop the server at start
with a message naming the setting.

| Flag | Environment | Type | Default | Meaning |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

Command-line tools that only touch the database (\`migrate\`, \`admin\`, \`space\`, \`apikey\`,
\`backup\`, \`restore\`) read \`--data\`/\`WSSPACES_DATA\` and \`WSSPACES_DATABASE_URL\` the same way.
The worker (\`wsspaces worker\`) has its own options: see [cli.md](cli.md).
`;
}
