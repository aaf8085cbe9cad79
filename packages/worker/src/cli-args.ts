import { parseArgs } from "node:util";

export const WORKER_USAGE = `Usage: wsspaces worker --server URL [--token T] --space NAME [--space NAME ...]
                       [--capacity K] [--name NAME] [--verbose]
                       (--mock [--min-ms N] [--max-ms N] [--fail-rate R] | --exec CMD | --http URL)

Connects out to a WebSocket Spaces site and answers inference requests for the given spaces.

Options:
  --server URL      site to connect to, e.g. http://127.0.0.1:5001 (env WSSPACES_SERVER)
  --token T         the space's worker token (env WSSPACES_WORKER_TOKEN); not needed for
                    spaces with open worker registration
  --space NAME      space to serve; repeat for several, or give --spaces "A,B"
  --capacity K      requests to run at once, 1-64 (default 1)
  --name NAME       name shown to admins (default: this machine's host name)
  --mock            answer with a simulated model, like the seed's mock_app.py
  --min-ms N        shortest simulated inference in ms (default 1000)
  --max-ms N        longest simulated inference in ms (default 5000)
  --fail-rate R     share of requests that fail on purpose, 0-1 (default 0)
  --exec CMD        run CMD (via /bin/sh) per request: request JSON on stdin, result JSON
                    on stdout; {"progress":0.4,"message":"…"} / {"stream":"…"} lines
                    before it become progress and streamed output
  --http URL        forward requests to a local HTTP model server (not available yet)
  -v, --verbose     also log prompts, results and protocol details
  -h, --help        show this help

Press Ctrl+C once to finish the requests in flight and print statistics, twice to quit at once.`;

export const NOT_YET_AVAILABLE = "--http arrives in a later release; use --exec, --mock or the SDK";

export interface MockSettings {
  minMs: number;
  maxMs: number;
  failRate: number;
}

export interface WorkerCliConfig {
  server: string;
  token: string | undefined;
  spaces: string[];
  capacity: number;
  name: string | undefined;
  verbose: boolean;
  mock: MockSettings;
  /** Set in --exec mode: the command run per request. */
  exec: string | undefined;
}

export type ParsedWorkerArgs =
  | { kind: "help" }
  | { kind: "usage_error"; message: string }
  | { kind: "not_available"; message: string }
  | { kind: "run"; config: WorkerCliConfig };

const OPTIONS = {
  server: { type: "string" },
  token: { type: "string" },
  space: { type: "string", multiple: true },
  spaces: { type: "string" },
  capacity: { type: "string" },
  name: { type: "string" },
  mock: { type: "boolean" },
  "min-ms": { type: "string" },
  "max-ms": { type: "string" },
  "fail-rate": { type: "string" },
  exec: { type: "string" },
  http: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

/** Thrown inside this module only, to turn the first bad flag into a one-line message. */
class UsageError extends Error {}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function fraction(flag: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`--${flag} must be a number from 0 to 1, got "${raw}"`);
  }
  return value;
}

function serverUrl(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === "") {
    throw new UsageError("--server is required (or set WSSPACES_SERVER)");
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:5001, got "${raw}"`);
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) {
    throw new UsageError(`--server must be an http(s) or ws(s) URL, got "${raw}"`);
  }
  return raw.trim();
}

function spaceNames(repeated: string[] | undefined, listed: string | undefined): string[] {
  const names = [...(repeated ?? []), ...(listed?.split(",") ?? [])].map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError("give at least one --space NAME (or --spaces \"A,B\")");
  return [...new Set(names)];
}

/**
 * Parses `wsspaces worker` flags (argv without the node binary, script and subcommand).
 * Bad flags come back as a one-line usage error rather than an exception.
 */
export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedWorkerArgs {
  try {
    const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
    if (values.help) return { kind: "help" };

    const chosen = [
      values.mock ? "--mock" : undefined,
      values.exec !== undefined ? "--exec" : undefined,
      values.http !== undefined ? "--http" : undefined,
    ].filter((mode): mode is string => mode !== undefined);
    if (chosen.length !== 1) {
      throw new UsageError(
        chosen.length === 0
          ? "choose a mode: --mock, --exec CMD or --http URL"
          : `choose one mode, not ${chosen.join(" and ")}`,
      );
    }
    if (values.http !== undefined) return { kind: "not_available", message: NOT_YET_AVAILABLE };
    if (values.exec !== undefined && values.exec.trim() === "") throw new UsageError("--exec needs a command, e.g. --exec \"python infer.py\"");

    const minMs = integer("min-ms", values["min-ms"], 1000, 0, 3_600_000);
    const maxMs = integer("max-ms", values["max-ms"], Math.max(5000, minMs), 0, 3_600_000);
    if (maxMs < minMs) throw new UsageError(`--max-ms (${maxMs}) must not be below --min-ms (${minMs})`);

    const token = (values.token ?? env.WSSPACES_WORKER_TOKEN)?.trim();
    return {
      kind: "run",
      config: {
        server: serverUrl(values.server ?? env.WSSPACES_SERVER),
        token: token === "" ? undefined : token,
        spaces: spaceNames(values.space, values.spaces),
        capacity: integer("capacity", values.capacity, 1, 1, 64),
        name: values.name?.trim() || undefined,
        verbose: values.verbose ?? false,
        mock: { minMs, maxMs, failRate: fraction("fail-rate", values["fail-rate"]) },
        exec: values.exec?.trim(),
      },
    };
  } catch (error) {
    // parseArgs reports unknown flags and missing values as TypeErrors with a readable message.
    if (error instanceof UsageError || error instanceof TypeError) {
      return { kind: "usage_error", message: error.message };
    }
    throw error;
  }
}
