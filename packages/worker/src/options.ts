import { hostname } from "node:os";
import { silentLogger } from "./silent-logger.js";
import type { TransportName, WorkerLogger, WorkerOptions } from "./types.js";

/** Limits mirror the protocol's RegisterSchema, so a bad option fails here rather than at register. */
const MAX_SPACES = 32;
const MAX_CAPACITY = 64;
const MAX_LABEL = 100;

export interface ResolvedOptions {
  server: string;
  token: string | undefined;
  spaces: string[];
  capacity: number;
  name: string | undefined;
  version: string | undefined;
  logger: WorkerLogger;
  reconnectDelayMs: number;
  reconnectDelayMaxMs: number;
  registerTimeoutMs: number;
  maxBufferedResults: number;
  transports: TransportName[];
}

function nonNegativeMs(value: number | undefined, fallback: number, label: string): number {
  const ms = value ?? fallback;
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${label} must be a non-negative number`);
  return ms;
}

function label(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, MAX_LABEL) : undefined;
}

/** Validates the caller's options once, at construction, and fills in the defaults. */
export function resolveOptions(options: WorkerOptions): ResolvedOptions {
  try {
    new URL(options.server);
  } catch {
    throw new TypeError(`server must be an absolute URL such as http://127.0.0.1:5001, got "${options.server}"`);
  }

  const spaces = [...new Set((options.spaces ?? []).map((s) => s.trim()).filter((s) => s.length > 0))];
  if (spaces.length === 0 && options.token === undefined) throw new TypeError("spaces must name at least one space (or give a worker token, which names its own)");
  if (spaces.length > MAX_SPACES) throw new RangeError(`a worker may serve at most ${MAX_SPACES} spaces`);

  const capacity = options.capacity ?? 1;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new RangeError(`capacity must be an integer from 1 to ${MAX_CAPACITY}`);
  }

  const reconnectDelayMs = nonNegativeMs(options.reconnectDelayMs, 1000, "reconnectDelayMs");
  const reconnectDelayMaxMs = Math.max(
    reconnectDelayMs,
    nonNegativeMs(options.reconnectDelayMaxMs, 5000, "reconnectDelayMaxMs"),
  );

  const transports = options.transports ?? ["websocket", "polling"];
  if (transports.length === 0) throw new TypeError("transports must list at least one transport");

  return {
    server: options.server,
    token: options.token,
    spaces,
    capacity,
    // The host name tells admins which machine a worker runs on when nobody named it.
    name: label(options.name) ?? label(hostname()),
    version: label(options.version),
    logger: options.logger ?? silentLogger,
    reconnectDelayMs,
    reconnectDelayMaxMs,
    registerTimeoutMs: nonNegativeMs(options.registerTimeoutMs, 10_000, "registerTimeoutMs"),
    maxBufferedResults: Math.max(1, Math.floor(options.maxBufferedResults ?? 1000)),
    transports,
  };
}
