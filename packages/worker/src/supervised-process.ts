import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { signalGroup, trackGroup } from "./process-groups.js";
import type { WorkerLogger } from "./types.js";

export interface SupervisedProcessOptions {
  /** Shell command, run through `/bin/sh -c`. */
  command: string;
  /** Extra environment for the command (on top of the worker's own). */
  env?: NodeJS.ProcessEnv;
  /** Trailing stderr lines quoted when the process dies; default 5. */
  stderrLines?: number;
  /** First restart delay after an unexpected exit; doubles per quick crash. Default 1000 ms. */
  restartDelayMs?: number;
  /** Longest restart delay; default 30000 ms. */
  restartDelayMaxMs?: number;
  /** A process that ran at least this long before dying restarts after the first delay again; default 30000 ms. */
  stableAfterMs?: number;
  /** On close: how long after closing stdin, and again after SIGTERM, before the next step; default 5000 ms. */
  closeGraceMs?: number;
  logger: WorkerLogger;
}

export interface SupervisedProcessListener {
  /** A new process is running; `generation` counts starts from 1. */
  started(generation: number): void;
  /** One stdout line of the current process. */
  line(line: string, generation: number): void;
  /** The process of `generation` ended without being asked to; `why` quotes its last stderr lines. */
  died(generation: number, why: string): void;
}

/**
 * Keeps one long-lived command running: starts it, reads its stdout line by line, remembers the
 * tail of its stderr, and restarts it with exponential backoff when it dies. Writes go to the
 * current process only; callers decide what to do with work the dead one held.
 */
export class SupervisedProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private generation = 0;
  private quickCrashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private readonly options: Required<Omit<SupervisedProcessOptions, "env">> & { env: NodeJS.ProcessEnv };

  constructor(
    options: SupervisedProcessOptions,
    private readonly listener: SupervisedProcessListener,
  ) {
    this.options = {
      env: {},
      stderrLines: 5,
      restartDelayMs: 1000,
      restartDelayMaxMs: 30_000,
      stableAfterMs: 30_000,
      closeGraceMs: 5000,
      ...options,
    };
  }

  /** True while a process is running and writable. */
  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process unless it runs, is waiting to restart, or the supervisor is closed. */
  start(): void {
    if (this.child || this.restartTimer || this.closing) return;
    this.spawnChild();
  }

  /**
   * Writes one line to the current process and returns its generation; undefined when none is
   * running (the line is dropped).
   */
  write(line: string): number | undefined {
    if (!this.child) return undefined;
    this.child.stdin.write(`${line}\n`);
    return this.generation;
  }

  /**
   * Stops for good: closes stdin (a well-behaved command exits on end of input), then SIGTERM,
   * then SIGKILL, each after the grace period. Resolves once the process is gone.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) return;
    const exited = once(child, "close").then(() => true);
    const after = (ms: number) => new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref());
    child.stdin.end();
    if (await Promise.race([exited, after(this.options.closeGraceMs)])) return;
    this.options.logger.warn("the command did not exit when its input closed; sending SIGTERM");
    signalGroup(child.pid, "SIGTERM");
    if (await Promise.race([exited, after(this.options.closeGraceMs)])) return;
    this.options.logger.warn("the command ignored SIGTERM; sending SIGKILL");
    signalGroup(child.pid, "SIGKILL");
    await exited;
  }

  private spawnChild(): void {
    const { command, logger } = this.options;
    this.generation += 1;
    const generation = this.generation;
    // detached: its own process group, so a Ctrl+C meant for the worker does not kill the model
    // before the worker has drained (process-groups.ts stops the group if the worker dies).
    const child = spawn("/bin/sh", ["-c", command], {
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      env: { ...process.env, ...this.options.env },
    });
    const untrack = trackGroup(child.pid);
    const startedAt = performance.now();
    const stderrTail: string[] = [];
    let spawnError: Error | undefined;
    this.child = child;
    logger.info(`started "${command}" (pid ${child.pid ?? "?"})`);

    // A process that died takes its unread input with it; the write error says nothing new.
    child.stdin.on("error", () => undefined);
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (this.child === child) this.listener.line(line, generation);
    });
    createInterface({ input: child.stderr }).on("line", (line) => {
      stderrTail.push(line);
      if (stderrTail.length > this.options.stderrLines) stderrTail.shift();
      logger.debug(`[${command}] ${line}`);
    });
    child.on("error", (error) => {
      spawnError = error;
    });
    child.on("close", (code, signal) => {
      untrack();
      if (this.child === child) this.child = undefined;
      if (this.closing) return;
      const ended = spawnError
        ? `could not run "${command}": ${spawnError.message}`
        : `the command ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`;
      this.listener.died(generation, stderrTail.length > 0 ? `${ended}: ${stderrTail.join("\n")}` : ended);
      // One log line: the last stderr line is usually the one that says why.
      const last = stderrTail.at(-1);
      this.scheduleRestart(performance.now() - startedAt, last === undefined ? ended : `${ended}: ${last}`);
    });

    this.listener.started(generation);
  }

  private scheduleRestart(livedMs: number, why: string): void {
    this.quickCrashes = livedMs >= this.options.stableAfterMs ? 1 : this.quickCrashes + 1;
    const delay = Math.min(this.options.restartDelayMs * 2 ** (this.quickCrashes - 1), this.options.restartDelayMaxMs);
    this.options.logger.warn(`${why}; restarting in ${Math.round(delay / 100) / 10} s`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closing) this.spawnChild();
    }, delay);
  }
}
