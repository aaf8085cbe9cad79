import type { InferenceRequest } from "@wsspaces/protocol";
import { JobAbortedError } from "./errors.js";
import { isFileLine, isJsonObject, isProgressLine, isStreamLine, parseJsonLine, type JsonObject } from "./line-protocol.js";
import { attachFromLine, requestWithPaths } from "./request-with-paths.js";
import { silentLogger } from "./silent-logger.js";
import { SupervisedProcess } from "./supervised-process.js";
import type { Handler, JobContext, WorkerLogger } from "./types.js";

export interface PersistentExecOptions {
  /** Shell command started once, e.g. `python serve.py`. */
  command: string;
  /** Told to the command as WSSPACES_CAPACITY: how many requests it may be sent at once. */
  capacity?: number;
  /** Trailing stderr lines quoted when the command dies; default 5. */
  stderrLines?: number;
  /** First restart delay after the command died; doubles per quick crash up to 30 s. Default 1000 ms. */
  restartDelayMs?: number;
  /** At close: wait this long after closing stdin, and again after SIGTERM; default 5000 ms. */
  closeGraceMs?: number;
  logger?: WorkerLogger;
}

export interface PersistentExecHandler {
  readonly handler: Handler;
  /** Starts the command now rather than at the first request, so a model loads while the worker connects. */
  start(): void;
  /** Ends the command (stdin closed, then SIGTERM, then SIGKILL); requests still waiting fail. */
  close(): Promise<void>;
}

interface Pending {
  readonly ctx: JobContext;
  resolve(result: unknown): void;
  reject(error: Error): void;
  /** The process generation the request line was written to; undefined while not yet written. */
  generation: number | undefined;
  readonly line: string;
  /** Output files the command named, being uploaded. */
  readonly attached: Promise<void>[];
}

/** Keys a reply line may carry beside its payload key. */
const REPLY_KEYS = ["request_id"] as const;

/**
 * `--exec-persistent`: one long-lived command serves every request over JSON lines (the
 * protocol is in docs/cli.md). Requests are multiplexed by `request_id`, so the command may
 * answer them in any order and work on several at once.
 */
export function createPersistentExecHandler(options: PersistentExecOptions): PersistentExecHandler {
  const log = options.logger ?? silentLogger;
  const pending = new Map<string, Pending>();
  let closed = false;

  const supervisor = new SupervisedProcess(
    {
      command: options.command,
      env: options.capacity === undefined ? {} : { WSSPACES_CAPACITY: String(options.capacity) },
      logger: log,
      ...(options.stderrLines === undefined ? {} : { stderrLines: options.stderrLines }),
      ...(options.restartDelayMs === undefined ? {} : { restartDelayMs: options.restartDelayMs }),
      ...(options.closeGraceMs === undefined ? {} : { closeGraceMs: options.closeGraceMs }),
    },
    {
      // Requests that arrived while no process ran were kept; the new one gets them now.
      started: (generation) => {
        for (const entry of pending.values()) {
          if (entry.generation === undefined) entry.generation = supervisor.write(entry.line);
        }
        log.debug("command started", { generation });
      },
      line: (line) => onLine(line),
      died: (generation, why) => {
        for (const [id, entry] of pending) {
          if (entry.generation !== generation) continue;
          pending.delete(id);
          entry.reject(new Error(why));
        }
      },
    },
  );

  const onLine = (line: string): void => {
    const parsed = parseJsonLine(line);
    if (!isJsonObject(parsed) || typeof parsed.request_id !== "string") {
      // The command's own output (banners, logs): shown with --verbose, like its stderr.
      log.debug(`[${options.command}] ${line}`);
      return;
    }
    const id = parsed.request_id;
    const entry = pending.get(id);
    if (!entry) {
      // Typically the last words of a request that was cancelled meanwhile.
      log.debug("ignored a line for a request that is not running", { request_id: id });
      return;
    }
    reply(id, entry, parsed);
  };

  const reply = (id: string, entry: Pending, line: JsonObject): void => {
    if ("result" in line) {
      pending.delete(id);
      // Output files named earlier may still be uploading: the result waits for them.
      const result = line.result;
      Promise.all(entry.attached).then(
        () => entry.resolve(result),
        (error: unknown) => entry.reject(error instanceof Error ? error : new Error(String(error))),
      );
    } else if ("error" in line) {
      pending.delete(id);
      entry.reject(new Error(errorText(line.error)));
    } else if (isProgressLine(line, REPLY_KEYS)) {
      entry.ctx.progress(line.progress, line.message);
    } else if (isStreamLine(line, REPLY_KEYS)) {
      entry.ctx.stream(line.stream);
    } else if (isFileLine(line, REPLY_KEYS)) {
      entry.attached.push(attachFromLine(entry.ctx, line));
    } else {
      log.warn("ignored a line with none of result, error, progress, message or stream", { request_id: id });
    }
  };

  const handler: Handler = async (request: InferenceRequest, ctx: JobContext) => {
    const input = await requestWithPaths(request, ctx);
    return new Promise((resolve, reject) => {
      const id = request.request_id;
      if (closed) return reject(new Error("the command has been stopped"));
      if (pending.has(id)) return reject(new Error(`request ${id} is already running`));

      const entry: Pending = { ctx, resolve, reject, generation: undefined, line: JSON.stringify(input), attached: [] };
      pending.set(id, entry);
      ctx.signal.addEventListener(
        "abort",
        () => {
          if (pending.get(id) !== entry) return;
          pending.delete(id);
          // Only a process that was sent the request needs telling; an unsent one is just dropped.
          if (entry.generation !== undefined) {
            const reason = ctx.signal.reason instanceof JobAbortedError ? ctx.signal.reason.reason : "cancelled";
            supervisor.write(JSON.stringify({ cancel: id, reason }));
          }
          reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("cancelled"));
        },
        { once: true },
      );

      // Starting a process writes every unsent request, this one included.
      supervisor.start();
      entry.generation ??= supervisor.write(entry.line);
    });
  };

  return {
    handler,
    start: () => supervisor.start(),
    close: async () => {
      closed = true;
      await supervisor.close();
      for (const [id, entry] of pending) {
        pending.delete(id);
        entry.reject(new Error("the command has been stopped"));
      }
    },
  };
}

function errorText(error: unknown): string {
  if (typeof error === "string") return error || "the command reported an error";
  if (isJsonObject(error) && typeof error.message === "string") return error.message;
  try {
    return JSON.stringify(error) ?? "the command reported an error";
  } catch {
    return "the command reported an error";
  }
}
