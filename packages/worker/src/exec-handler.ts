import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { isFileLine, isProgressLine, isStreamLine, parseJsonLine } from "./line-protocol.js";
import { attachFromLine, requestWithPaths } from "./request-with-paths.js";
import { signalGroup, trackGroup } from "./process-groups.js";
import type { Handler, WorkerLogger } from "./types.js";
import { silentLogger } from "./silent-logger.js";

export interface ExecHandlerOptions {
  /** Shell command run once per request, e.g. `python infer.py`. */
  command: string;
  /** After a cancel: SIGTERM, then SIGKILL if the command is still running after this; default 5000 ms. */
  killGraceMs?: number;
  /** How many trailing stderr lines a failure message quotes; default 5. */
  stderrLines?: number;
  logger?: WorkerLogger;
}

/**
 * Runs a command per request: the request as JSON on stdin; on stdout, lines such as
 * `{"progress":0.4,"message":"step 8/20"}` or `{"stream":"token"}` become progress and stream
 * events, `{"file":"/tmp/out.png"}` attaches an output file, and the last other JSON line is the
 * result (plain text output becomes `{text_output}`). A non-zero exit fails the request with the
 * last stderr lines. Uploaded files are downloaded first and given to the command as paths.
 */
export function createExecHandler(options: ExecHandlerOptions): Handler {
  const log = options.logger ?? silentLogger;
  const killGraceMs = options.killGraceMs ?? 5000;
  const keepStderr = options.stderrLines ?? 5;

  return async (request, ctx) => {
    const input = await requestWithPaths(request, ctx);
    const attached: Promise<void>[] = [];
    const result = await new Promise((resolve, reject) => {
      // detached: the command gets its own process group, so a cancel reaches its children too.
      const child = spawn("/bin/sh", ["-c", options.command], { stdio: ["pipe", "pipe", "pipe"], detached: true });
      const untrack = trackGroup(child.pid);
      const stderrTail: string[] = [];
      const textLines: string[] = [];
      let last: { value: unknown } | undefined;
      let killTimer: NodeJS.Timeout | undefined;

      const onAbort = () => {
        signalGroup(child.pid, "SIGTERM");
        killTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), killGraceMs);
        killTimer.unref();
      };
      ctx.signal.addEventListener("abort", onAbort, { once: true });

      createInterface({ input: child.stdout }).on("line", (line) => {
        const parsed = parseJsonLine(line);
        if (parsed === undefined) {
          textLines.push(line);
          return;
        }
        if (isProgressLine(parsed)) ctx.progress(parsed.progress, parsed.message);
        else if (isStreamLine(parsed)) ctx.stream(parsed.stream);
        else if (isFileLine(parsed)) attached.push(attachFromLine(ctx, parsed));
        else last = { value: parsed };
      });
      createInterface({ input: child.stderr }).on("line", (line) => {
        stderrTail.push(line);
        if (stderrTail.length > keepStderr) stderrTail.shift();
        log.debug(`[${request.request_id}] ${line}`);
      });

      child.on("error", (err) => reject(new Error(`could not run "${options.command}": ${err.message}`)));
      child.on("close", (code, signal) => {
        untrack();
        clearTimeout(killTimer);
        ctx.signal.removeEventListener("abort", onAbort);
        if (ctx.signal.aborted) return reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("cancelled"));
        if (code !== 0) {
          const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          const tail = stderrTail.length > 0 ? `: ${stderrTail.join("\n")}` : "";
          return reject(new Error(`the command ${why}${tail}`));
        }
        resolve(last ? last.value : { text_output: textLines.join("\n") });
      });

      // A command that does not read its stdin must not fail the request with EPIPE.
      child.stdin.on("error", () => undefined);
      child.stdin.end(`${JSON.stringify(input)}\n`);
    });
    // The command may exit before its output files are uploaded: the result waits for them.
    await Promise.all(attached);
    return result;
  };
}
