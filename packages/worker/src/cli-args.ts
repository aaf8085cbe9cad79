import { parseArgs } from "node:util";
import { UsageError, WORKER_OPTIONS, type OptionName, type RawValues } from "./cli-options.js";
import { layerOptions, readConfigFile, readEnvironment } from "./worker-config-file.js";

export const WORKER_USAGE = `Usage: wsspaces worker --server URL --token T [--space NAME ...]
                       [--capacity K] [--name NAME] [--drain-timeout S] [--json-logs]
                       [--config FILE] [--verbose]
                       (--mock [--min-ms N] [--max-ms N] [--fail-rate R]
                        | --exec CMD | --exec-persistent CMD
                        | --http URL [--openai [--model NAME]] [--api-key KEY])

Connects out to a WebSocket Spaces site and answers inference requests for the given spaces.

Options:
  --server URL      site to connect to, e.g. http://127.0.0.1:5001 (env WSSPACES_SERVER)
  --token T         the space's worker token (env WSSPACES_WORKER_TOKEN); not needed for
                    spaces with open worker registration
  --space NAME      space to serve (default: the token's own); repeat, or --spaces "A,B"
  --capacity K      requests to run at once, 1-64 (default 1)
  --name NAME       name shown to admins (default: this machine's host name)
  --mock            answer with a simulated model, like the seed's mock_app.py
  --min-ms N        shortest simulated inference in ms (default 1000)
  --max-ms N        longest simulated inference in ms (default 5000)
  --fail-rate R     share of requests that fail on purpose, 0-1 (default 0)
  --exec CMD        run CMD (via /bin/sh) per request: request JSON on stdin, result JSON
                    on stdout; {"progress":0.4,"message":"…"} / {"stream":"…"} lines
                    before it become progress and streamed output
  --exec-persistent CMD
                    start CMD once and send it every request as a JSON line on stdin; it
                    answers with {"request_id":…,"result":…} lines (see docs/cli.md)
  --http URL        POST each request as JSON to URL; the JSON response is the result
  --openai          with --http: speak the OpenAI chat completions API (or Ollama's, for a
                    URL ending in /api/generate), streaming tokens to the site
  --model NAME      with --openai: the model to ask for (required for Ollama)
  --api-key KEY     with --http: sent as "Authorization: Bearer KEY"
  --drain-timeout S on Ctrl+C or SIGTERM, seconds to let requests in flight finish (default 10)
  --json-logs       log one JSON object per line instead of text
  --config FILE     read options from a JSON file ({"server": …, "capacity": 2, …});
                    flags override it, WSSPACES_WORKER_<OPTION> variables sit in between
  -v, --verbose     also log prompts, results and protocol details
  -h, --help        show this help

Press Ctrl+C once to finish the requests in flight and print statistics, twice to quit at once.`;

export interface MockSettings {
  minMs: number;
  maxMs: number;
  failRate: number;
}

/** How requests are answered. */
export type WorkerMode =
  | { kind: "mock"; settings: MockSettings }
  | { kind: "exec"; command: string }
  | { kind: "exec-persistent"; command: string }
  | { kind: "http"; url: string; apiKey: string | undefined }
  | { kind: "openai"; url: string; model: string | undefined; apiKey: string | undefined };

export interface WorkerCliConfig {
  server: string;
  token: string | undefined;
  spaces: string[];
  capacity: number;
  name: string | undefined;
  verbose: boolean;
  jsonLogs: boolean;
  drainTimeoutMs: number;
  mode: WorkerMode;
}

export type ParsedWorkerArgs =
  | { kind: "help" }
  | { kind: "usage_error"; message: string }
  | { kind: "run"; config: WorkerCliConfig };

const DEFAULT_DRAIN_TIMEOUT_S = 10;
const MAX_DRAIN_TIMEOUT_S = 86_400;

/** Typed access to merged option values, whatever source each came from. */
class Values {
  constructor(private readonly raw: RawValues) {}

  string(name: OptionName): string | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw new UsageError(`--${name} needs a value`);
    return value;
  }

  /** A string option that, when given, must not be blank. */
  text(name: OptionName, example: string): string | undefined {
    const value = this.string(name);
    if (value !== undefined && value.trim() === "") throw new UsageError(`--${name} needs a value, e.g. --${name} ${example}`);
    return value?.trim();
  }

  flag(name: OptionName): boolean {
    const value = this.raw[name];
    if (value === undefined) return false;
    if (typeof value !== "boolean") throw new UsageError(`--${name} takes no value`);
    return value;
  }

  list(name: OptionName): string[] {
    const value = this.raw[name];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [String(value)];
  }
}

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function decimal(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function httpUrl(flag: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--${flag} must be a URL such as http://127.0.0.1:8000/predict, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--${flag} must be an http(s) URL, got "${raw}"`);
  }
  return raw;
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

function spaceNames(repeated: string[], listed: string | undefined, token: string | undefined): string[] {
  const names = [...repeated, ...(listed?.split(",") ?? [])].map((n) => n.trim()).filter(Boolean);
  if (names.length === 0 && !token) throw new UsageError("give at least one --space NAME (or --spaces \"A,B\"), or a --token, which names its own space");
  return [...new Set(names)];
}

function chooseMode(values: Values): WorkerMode {
  const exec = values.text("exec", '"python infer.py"');
  const persistent = values.text("exec-persistent", '"python serve.py"');
  const http = values.text("http", "http://127.0.0.1:8000/predict");
  const chosen = [
    values.flag("mock") ? "--mock" : undefined,
    exec !== undefined ? "--exec" : undefined,
    persistent !== undefined ? "--exec-persistent" : undefined,
    http !== undefined ? "--http" : undefined,
  ].filter((mode): mode is string => mode !== undefined);
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length === 0
        ? "choose a mode: --mock, --exec CMD, --exec-persistent CMD or --http URL"
        : `choose one mode, not ${chosen.join(" and ")}`,
    );
  }

  const openai = values.flag("openai");
  const model = values.text("model", "llama3.2");
  const apiKey = values.text("api-key", "sk-…");
  if (openai && http === undefined) throw new UsageError("--openai goes with --http URL");
  if (model !== undefined && !openai) throw new UsageError("--model goes with --http URL --openai");

  if (exec !== undefined) return { kind: "exec", command: exec };
  if (persistent !== undefined) return { kind: "exec-persistent", command: persistent };
  if (http !== undefined) {
    const url = httpUrl("http", http);
    if (!openai) return { kind: "http", url, apiKey };
    if (model === undefined && new URL(url).pathname.replace(/\/+$/, "").endsWith("/api/generate")) {
      throw new UsageError("Ollama needs a model: add --model NAME");
    }
    return { kind: "openai", url, model, apiKey };
  }

  const minMs = integer("min-ms", values.string("min-ms"), 1000, 0, 3_600_000);
  const maxMs = integer("max-ms", values.string("max-ms"), Math.max(5000, minMs), 0, 3_600_000);
  if (maxMs < minMs) throw new UsageError(`--max-ms (${maxMs}) must not be below --min-ms (${minMs})`);
  return { kind: "mock", settings: { minMs, maxMs, failRate: decimal("fail-rate", values.string("fail-rate"), 0, 0, 1) } };
}

/**
 * Parses `wsspaces worker` flags (argv without the node binary, script and subcommand), layered
 * over WSSPACES_WORKER_* variables and a --config file. Bad options come back as a one-line
 * usage error rather than an exception.
 */
export function parseWorkerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedWorkerArgs {
  try {
    const { values: flags } = parseArgs({ args: argv, options: WORKER_OPTIONS, strict: true, allowPositionals: false });
    if (flags.help) return { kind: "help" };

    const configPath = flags.config ?? env.WSSPACES_WORKER_CONFIG;
    const file = configPath !== undefined && configPath.trim() !== "" ? readConfigFile(configPath.trim()) : {};
    const values = new Values(layerOptions(file, readEnvironment(env), flags));

    const token = values.string("token")?.trim();
    return {
      kind: "run",
      config: {
        server: serverUrl(values.string("server")),
        token: token === "" ? undefined : token,
        spaces: spaceNames(values.list("space"), values.string("spaces"), token),
        capacity: integer("capacity", values.string("capacity"), 1, 1, 64),
        name: values.string("name")?.trim() || undefined,
        verbose: values.flag("verbose"),
        jsonLogs: values.flag("json-logs"),
        drainTimeoutMs: Math.round(
          decimal("drain-timeout", values.string("drain-timeout"), DEFAULT_DRAIN_TIMEOUT_S, 0, MAX_DRAIN_TIMEOUT_S) * 1000,
        ),
        mode: chooseMode(values),
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
