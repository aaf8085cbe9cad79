import type { LogStream } from "./log.js";

/** A terminal to draw on: process.stdout when it is a TTY. */
export interface Terminal {
  write(text: string): unknown;
  columns?: number;
}

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "draining";

export interface StatusSnapshot {
  state: ConnectionState;
  spaces: string[];
  inFlight: number;
  capacity: number;
  completed: number;
  failed: number;
  /** Requests finished (completed or failed) per minute, over the last minute. */
  perMinute: number;
}

const CLEAR_LINE = "\r\u001b[2K";
const MARK: Record<ConnectionState, string> = { connecting: "…", connected: "●", reconnecting: "○", draining: "◐" };

export function formatStatus(s: StatusSnapshot): string {
  const where = s.state === "connected" || s.state === "draining" ? `${s.state} · ${s.spaces.join(", ")}` : s.state;
  return [
    `${MARK[s.state]} ${where}`,
    `in flight ${s.inFlight}/${s.capacity}`,
    `done ${s.completed}`,
    `failed ${s.failed}`,
    `${s.perMinute.toFixed(1)}/min`,
  ].join(" · ");
}

/**
 * One live line at the bottom of the terminal, with log lines scrolling above it: every write
 * clears the status line, prints the text, and draws the status again underneath. Used as the
 * logger's stream, so logs and the status never overwrite each other.
 */
export class StatusLine implements LogStream {
  readonly isTTY = true;
  private status = "";

  constructor(private readonly terminal: Terminal) {}

  write(text: string): void {
    this.terminal.write(`${CLEAR_LINE}${text}${this.status}`);
  }

  /** Replaces the status text. */
  show(status: string): void {
    // A line that wraps cannot be cleared with \r, so it is cut to the terminal's width.
    // A pseudo-terminal nobody sized reports 0 columns.
    const columns = this.terminal.columns !== undefined && this.terminal.columns > 0 ? this.terminal.columns : 80;
    const width = columns - 1;
    this.status = status.length > width ? `${status.slice(0, Math.max(0, width - 1))}…` : status;
    this.terminal.write(`${CLEAR_LINE}${this.status}`);
  }

  /** Removes the status line, e.g. before the final statistics. */
  clear(): void {
    if (this.status === "") return;
    this.status = "";
    this.terminal.write(CLEAR_LINE);
  }
}

/** Counts events over a sliding window, for a rate that falls back to zero when work stops. */
export class RateMeter {
  private readonly times: number[] = [];
  private readonly startedAt: number;

  constructor(
    private readonly windowMs = 60_000,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.startedAt = now();
  }

  record(): void {
    this.times.push(this.now());
  }

  perMinute(): number {
    const cutoff = this.now() - this.windowMs;
    while (this.times.length > 0 && (this.times[0] ?? 0) <= cutoff) this.times.shift();
    // In the first minute the window is as long as the worker has run (at least a second),
    // so early work is not diluted over time that had not passed yet.
    const window = Math.max(1000, Math.min(this.windowMs, this.now() - this.startedAt));
    return (this.times.length * 60_000) / window;
  }
}
