import type { LogFields, WorkerLogger } from "./types.js";

type Level = "debug" | "info" | "warn" | "error";

/** Plain ANSI codes: styleText's own terminal detection differs between Node versions. */
const ANSI = { dim: [2, 22], red: [31, 39], yellow: [33, 39], cyan: [36, 39] } as const;
type Style = keyof typeof ANSI;

const LEVEL_STYLE: Record<Level, Style> = { debug: "dim", info: "cyan", warn: "yellow", error: "red" };

export interface LogStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ConsoleLoggerOptions {
  /** Shows debug lines. */
  verbose?: boolean;
  /** Default process.stdout: one chronological log, like the seed's mock app. */
  stream?: LogStream;
  /** Default: only on a terminal, and never when NO_COLOR is set. */
  color?: boolean;
  now?: () => Date;
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off; so does TERM=dumb. */
export function colorWanted(stream: LogStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** Local wall-clock time: someone watching a terminal reads it against their own clock. */
function clock(date: Date): string {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value instanceof Error) return JSON.stringify(value.message);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return "[unserialisable]";
  }
}

function formatFields(fields: LogFields | undefined): string {
  if (!fields) return "";
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return parts.length > 0 ? ` ${parts.join(" ")}` : "";
}

/** A terminal logger for the `wsspaces worker` command: `12:00:01.234 INFO  message key=value`. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): WorkerLogger {
  const stream = options.stream ?? process.stdout;
  const color = options.color ?? colorWanted(stream);
  const now = options.now ?? (() => new Date());
  const paint = (style: Style, text: string): string =>
    color ? `\u001b[${ANSI[style][0]}m${text}\u001b[${ANSI[style][1]}m` : text;

  const write = (level: Level, message: string, fields?: LogFields): void => {
    const time = paint("dim", clock(now()));
    const tag = paint(LEVEL_STYLE[level], level.toUpperCase().padEnd(5));
    const body = level === "error" || level === "warn" ? paint(LEVEL_STYLE[level], message) : message;
    const extra = paint("dim", formatFields(fields));
    stream.write(`${time} ${tag} ${body}${extra}\n`);
  };

  return {
    debug: (message, fields) => {
      if (options.verbose) write("debug", message, fields);
    },
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}

export interface JsonLoggerOptions {
  verbose?: boolean;
  stream?: LogStream;
  now?: () => Date;
}

function jsonSafe(value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}

/**
 * `--json-logs`: one JSON object per line, `{"time","level","msg",...fields}`, for log
 * collectors. Fields come after the fixed keys and cannot overwrite them.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): WorkerLogger {
  const stream = options.stream ?? process.stdout;
  const now = options.now ?? (() => new Date());

  const write = (level: Level, message: string, fields?: LogFields): void => {
    const time = now().toISOString();
    const entry: Record<string, unknown> = { time, level, msg: message };
    for (const [key, value] of Object.entries(fields ?? {})) {
      if (value !== undefined && !(key in entry)) entry[key] = jsonSafe(value);
    }
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ time, level, msg: message, fields: "[unserialisable]" });
    }
    stream.write(`${line}\n`);
  };

  return {
    debug: (message, fields) => {
      if (options.verbose) write("debug", message, fields);
    },
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
