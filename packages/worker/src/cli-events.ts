import type { WorkerCliConfig } from "./cli-args.js";
import type { CliOutput } from "./cli-output.js";
import { WorkerError } from "./errors.js";
import { RateMeter, formatStatus, type ConnectionState } from "./status-line.js";
import type { LogFields } from "./types.js";
import type { Worker } from "./worker.js";

const SUMMARY_LENGTH = 200;
const STATUS_REFRESH_MS = 1000;

function summarise(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? "undefined");
  } catch {
    text = "[unserialisable]";
  }
  return text.length > SUMMARY_LENGTH ? `${text.slice(0, SUMMARY_LENGTH)}…` : text;
}

export interface EventReport {
  /** Marks the worker as draining in the status line. */
  draining(): void;
  /** Stops the status refresh timer. */
  stop(): void;
}

/**
 * Turns the worker's events into the command's log lines and keeps the status line current.
 * Text logs say it in words; JSON logs also carry the facts as fields (`event`, `request_id`,
 * `ms`, …) so a collector need not parse the words.
 */
export function reportEvents(worker: Worker, output: CliOutput, config: WorkerCliConfig): EventReport {
  const { log } = output;
  // Text lines already say these facts; only JSON lines repeat them as fields.
  const facts = (fields: LogFields): LogFields | undefined => (output.json ? fields : undefined);
  const withFacts = (shown: LogFields, hidden: LogFields): LogFields => ({ ...shown, ...facts(hidden) });

  const rate = new RateMeter();
  let state: ConnectionState = "connecting";
  let spaces = config.spaces;
  let capacity = config.capacity;
  const refresh = (): void => {
    if (!output.status) return;
    const stats = worker.stats();
    output.status.show(
      formatStatus({
        state,
        spaces,
        capacity,
        inFlight: stats.inFlight,
        completed: stats.completed,
        failed: stats.failed,
        perMinute: rate.perMinute(),
      }),
    );
  };
  // The rate decays with time, so the line is redrawn even when nothing happens.
  const timer = output.status ? setInterval(refresh, STATUS_REFRESH_MS) : undefined;
  timer?.unref();

  let registrations = 0;
  worker.on("registered", (response) => {
    registrations += 1;
    spaces = response.spaces?.map((space) => space.name) ?? config.spaces;
    capacity = response.capacity ?? config.capacity;
    if (state !== "draining") state = "connected";
    const fields = facts({ event: "registered", connection_id: response.connection_id, spaces, capacity });
    if (registrations === 1) {
      log.info(
        `connected to ${config.server} as ${response.connection_id}, serving ${spaces.join(", ")} (capacity ${capacity})`,
        fields,
      );
    } else {
      log.info(`registered again as ${response.connection_id}`, fields);
    }
    refresh();
  });
  worker.on("disconnected", (reason) => {
    if (state !== "draining") state = "reconnecting";
    log.warn(`disconnected (${reason}); will reconnect`, facts({ event: "disconnected", reason }));
    refresh();
  });
  worker.on("reconnecting", (attempt) => log.info(`reconnecting (attempt ${attempt})`, facts({ event: "reconnecting", attempt })));
  worker.on("request", (request) => {
    log.info(
      `request ${request.request_id} received`,
      withFacts(
        {
          space: request.space_name || undefined,
          user: request.username || undefined,
          attempt: request.attempt > 1 ? request.attempt : undefined,
        },
        { event: "received", request_id: request.request_id },
      ),
    );
    if (request.payload.prompt !== undefined) log.debug(`prompt: ${summarise(request.payload.prompt)}`, facts({ request_id: request.request_id }));
    refresh();
  });
  worker.on("completed", (request, result, ms) => {
    rate.record();
    log.info(`request ${request.request_id} completed in ${ms} ms`, facts({ event: "completed", request_id: request.request_id, ms }));
    log.debug(`result: ${summarise(result)}`, facts({ request_id: request.request_id }));
    refresh();
  });
  worker.on("failed", (request, error, ms) => {
    rate.record();
    log.warn(
      `request ${request.request_id} failed after ${ms} ms: ${error.message}`,
      facts({ event: "failed", request_id: request.request_id, ms, error: error.message }),
    );
    refresh();
  });
  worker.on("cancelled", (request, reason) => {
    log.warn(`request ${request.request_id} cancelled (${reason})`, facts({ event: "cancelled", request_id: request.request_id, reason }));
    refresh();
  });
  worker.on("error", (error) =>
    log.error(error.message, error instanceof WorkerError ? { code: error.code, ...facts({ event: "error" }) } : facts({ event: "error" })),
  );

  return {
    draining() {
      state = "draining";
      refresh();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
