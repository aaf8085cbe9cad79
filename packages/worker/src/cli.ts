import { WORKER_USAGE, parseWorkerArgs, type WorkerCliConfig } from "./cli-args.js";
import { WorkerError } from "./errors.js";
import { createConsoleLogger } from "./log.js";
import { createExecHandler } from "./exec-handler.js";
import { createMockHandler } from "./mock-handler.js";
import type { WorkerLogger, WorkerStats } from "./types.js";
import { Worker } from "./worker.js";

export { WORKER_USAGE } from "./cli-args.js";

/** Exit status for "terminated by SIGINT", as shells report it. */
const EXIT_INTERRUPTED = 130;
const SUMMARY_LENGTH = 200;

function summarise(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? "undefined");
  } catch {
    text = "[unserialisable]";
  }
  return text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH)}…` : text;
}

function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  return m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function printStatistics(stats: WorkerStats): void {
  const uptimeMs = Date.now() - stats.startedAt.getTime();
  const finished = stats.completed + stats.failed;
  const perMinute = uptimeMs > 0 ? (stats.completed / uptimeMs) * 60_000 : 0;
  const success = finished > 0 ? `${((stats.completed / finished) * 100).toFixed(1)}%` : "n/a";
  console.log(
    [
      "Statistics",
      `  received   ${stats.received}`,
      `  completed  ${stats.completed}`,
      `  failed     ${stats.failed}`,
      `  cancelled  ${stats.cancelled}`,
      ...(stats.refused > 0 ? [`  refused    ${stats.refused}`] : []),
      `  uptime     ${formatDuration(uptimeMs)}`,
      `  rate       ${perMinute.toFixed(1)} completed/min, success ${success}`,
    ].join("\n"),
  );
}

/** Turns the worker's events into the command's log lines. */
function logEvents(worker: Worker, log: WorkerLogger, config: WorkerCliConfig): void {
  let registrations = 0;
  worker.on("registered", (response) => {
    registrations += 1;
    const spaces = response.spaces?.map((space) => space.name) ?? config.spaces;
    const capacity = response.capacity ?? config.capacity;
    if (registrations === 1) {
      log.info(
        `connected to ${config.server} as ${response.connection_id}, serving ${spaces.join(", ")} (capacity ${capacity})`,
      );
    } else {
      log.info(`registered again as ${response.connection_id}`);
    }
  });
  worker.on("disconnected", (reason) => log.warn(`disconnected (${reason}); will reconnect`));
  worker.on("reconnecting", (attempt) => log.info(`reconnecting (attempt ${attempt})`));
  worker.on("request", (request) => {
    log.info(`request ${request.request_id} received`, {
      space: request.space_name || undefined,
      user: request.username || undefined,
      attempt: request.attempt > 1 ? request.attempt : undefined,
    });
    if (request.payload.prompt !== undefined) log.debug(`prompt: ${summarise(request.payload.prompt)}`);
  });
  worker.on("completed", (request, result, ms) => {
    log.info(`request ${request.request_id} completed in ${ms} ms`);
    log.debug(`result: ${summarise(result)}`);
  });
  worker.on("failed", (request, error, ms) =>
    log.warn(`request ${request.request_id} failed after ${ms} ms: ${error.message}`),
  );
  worker.on("cancelled", (request, reason) => log.warn(`request ${request.request_id} cancelled (${reason})`));
  worker.on("error", (error) =>
    log.error(error.message, error instanceof WorkerError ? { code: error.code } : undefined),
  );
}

async function runModelWorker(config: WorkerCliConfig): Promise<number> {
  const log = createConsoleLogger({ verbose: config.verbose });
  const worker = new Worker({
    server: config.server,
    token: config.token,
    spaces: config.spaces,
    capacity: config.capacity,
    name: config.name,
    logger: log,
  }).handle(config.exec !== undefined ? createExecHandler({ command: config.exec, logger: log }) : createMockHandler(config.mock));
  logEvents(worker, log, config);

  let settle: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    settle = resolve;
  });
  // A fatal error after start (token revoked, space deleted) ends the command with status 1.
  worker.on("closed", (error) => {
    if (error) settle(1);
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      log.warn(`${signal} again: quitting without waiting`);
      process.exit(EXIT_INTERRUPTED);
    }
    log.info(`${signal} received: finishing requests in flight (press Ctrl+C again to quit now)`);
    worker.stop().then(
      () => settle(0),
      (error: unknown) => {
        log.error(`stopping failed: ${String(error)}`);
        settle(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    log.info(`connecting to ${config.server}`);
    try {
      await worker.start();
    } catch (error) {
      // Interrupted while connecting: nothing ran, so there is nothing to report.
      if (error instanceof WorkerError && error.code === "worker_stopping") return 0;
      log.error(`could not start: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    const code = await finished;
    printStatistics(worker.stats());
    return code;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * `wsspaces worker …`: `argv` holds the flags only (no node, script or subcommand).
 * Resolves with the exit status: 0 after a clean stop, 1 when the worker could not start or
 * died, 2 for bad flags.
 */
export async function runWorkerCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const parsed = parseWorkerArgs(argv, env);
  switch (parsed.kind) {
    case "help":
      console.log(WORKER_USAGE);
      return 0;
    case "usage_error":
      console.error(`error: ${parsed.message}\n\n${WORKER_USAGE}`);
      return 2;
    case "not_available":
      console.error(parsed.message);
      return 2;
    case "run":
      return runModelWorker(parsed.config);
  }
}
