import type { WorkerCliConfig } from "./cli-args.js";
import { createConsoleLogger, createJsonLogger } from "./log.js";
import { StatusLine } from "./status-line.js";
import type { WorkerLogger, WorkerStats } from "./types.js";

/** Where the command's output goes: text or JSON logs, and a live status line on a terminal. */
export interface CliOutput {
  readonly log: WorkerLogger;
  readonly json: boolean;
  /** Present only on a terminal with text logs. */
  readonly status: StatusLine | undefined;
  /** The closing summary: a block of text, or one JSON log line. */
  statistics(stats: WorkerStats): void;
}

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  return m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function summary(stats: WorkerStats) {
  const uptimeMs = Date.now() - stats.startedAt.getTime();
  const finished = stats.completed + stats.failed;
  return {
    uptimeMs,
    perMinute: uptimeMs > 0 ? (stats.completed / uptimeMs) * 60_000 : 0,
    success: finished > 0 ? stats.completed / finished : undefined,
  };
}

export function createCliOutput(
  config: WorkerCliConfig,
  stdout: OutputStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): CliOutput {
  if (config.jsonLogs) {
    const log = createJsonLogger({ verbose: config.verbose, stream: stdout });
    return {
      log,
      json: true,
      status: undefined,
      statistics(stats) {
        const { uptimeMs, perMinute, success } = summary(stats);
        log.info("statistics", {
          event: "statistics",
          received: stats.received,
          completed: stats.completed,
          failed: stats.failed,
          cancelled: stats.cancelled,
          refused: stats.refused,
          uptime_ms: uptimeMs,
          completed_per_minute: Math.round(perMinute * 10) / 10,
          success_rate: success,
        });
      },
    };
  }

  // Only a terminal shows a status line: in a file or a pipe it would be noise, and a dumb
  // terminal cannot clear a line.
  const status = stdout.isTTY === true && env.TERM !== "dumb" ? new StatusLine(stdout) : undefined;
  const log = createConsoleLogger({ verbose: config.verbose, stream: status ?? stdout });
  return {
    log,
    json: false,
    status,
    statistics(stats) {
      status?.clear();
      const { uptimeMs, perMinute, success } = summary(stats);
      stdout.write(
        `${[
          "Statistics",
          `  received   ${stats.received}`,
          `  completed  ${stats.completed}`,
          `  failed     ${stats.failed}`,
          `  cancelled  ${stats.cancelled}`,
          ...(stats.refused > 0 ? [`  refused    ${stats.refused}`] : []),
          `  uptime     ${formatDuration(uptimeMs)}`,
          `  rate       ${perMinute.toFixed(1)} completed/min, success ${success === undefined ? "n/a" : `${(success * 100).toFixed(1)}%`}`,
        ].join("\n")}\n`,
      );
    },
  };
}
