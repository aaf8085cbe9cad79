import { createRequire } from "node:module";
import { WORKER_USAGE, parseWorkerArgs, type WorkerCliConfig } from "./cli-args.js";
import { reportEvents } from "./cli-events.js";
import { createModeHandler, describeMode } from "./cli-handler.js";
import { createCliOutput } from "./cli-output.js";
import { WorkerError } from "./errors.js";
import { Worker } from "./worker.js";

/** Sent at registration so that the site shows which worker build serves a space. */
const WORKER_VERSION = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

export { WORKER_USAGE } from "./cli-args.js";

/** Exit status for "terminated by SIGINT", as shells report it. */
const EXIT_INTERRUPTED = 130;

async function runModelWorker(config: WorkerCliConfig): Promise<number> {
  const output = createCliOutput(config);
  const { log } = output;
  const mode = createModeHandler(config, log);
  const worker = new Worker({
    server: config.server,
    token: config.token,
    spaces: config.spaces,
    capacity: config.capacity,
    name: config.name,
    version: WORKER_VERSION,
    logger: log,
  }).handle(mode.handler);
  const report = reportEvents(worker, output, config);

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
      log.warn(`${signal} again: quitting without waiting`, output.json ? { event: "forced_exit", signal } : undefined);
      output.status?.clear();
      // process-groups.ts stops the commands the exec modes started on the way out.
      process.exit(EXIT_INTERRUPTED);
    }
    const seconds = config.drainTimeoutMs / 1000;
    log.info(
      `${signal} received: finishing requests in flight for up to ${seconds} s (press Ctrl+C again to quit now)`,
      output.json ? { event: "draining", signal, in_flight: worker.stats().inFlight, drain_timeout_s: seconds } : undefined,
    );
    report.draining();
    worker.stop({ drainTimeoutMs: config.drainTimeoutMs }).then(
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
    log.debug(`mode: ${describeMode(config)}`);
    mode.start();
    try {
      await worker.start();
    } catch (error) {
      // Interrupted while connecting: nothing ran, so there is nothing to report.
      if (error instanceof WorkerError && error.code === "worker_stopping") return 0;
      log.error(`could not start: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    const code = await finished;
    output.statistics(worker.stats());
    return code;
  } finally {
    report.stop();
    output.status?.clear();
    await mode.close();
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
    case "run":
      return runModelWorker(parsed.config);
  }
}
