import type { Logger } from "pino";
import type { Clock } from "../util/time.js";

export interface DeadlineTimerDeps {
  /** Times out what is due. */
  expireDue: () => Promise<number>;
  /** The earliest deadline among unfinished requests, or null. */
  earliestDeadline: () => Promise<number | null>;
  clock: Clock;
  log: Logger;
  /** Upper bound on the sleep, as a safety net against clock jumps and missed notifications. */
  maxSleepMs?: number;
}

/**
 * One timer for all deadlines: it sleeps until the earliest one, expires what is due, and
 * sleeps again. New requests call `notify` so an earlier deadline moves the alarm forward.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: DeadlineTimerDeps) {}

  start(): Promise<void> {
    this.stopped = false;
    return this.tick();
  }

  notify(deadlineAt: number): void {
    if (!this.stopped && deadlineAt < this.wakeAt) this.schedule(deadlineAt);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    const maxSleep = this.deps.maxSleepMs ?? 60_000;
    const delay = Math.min(Math.max(at - this.deps.clock.now(), 0), maxSleep);
    this.wakeAt = this.deps.clock.now() + delay;
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private tick(): Promise<void> {
    // Overlapping ticks would time out the same rows twice; run one after the other.
    const next = (this.running ?? Promise.resolve()).then(async () => {
      if (this.stopped) return;
      this.wakeAt = Number.POSITIVE_INFINITY;
      try {
        const expired = await this.deps.expireDue();
        if (expired > 0) this.deps.log.info({ expired }, "requests timed out");
        const earliest = await this.deps.earliestDeadline();
        if (!this.stopped) this.schedule(earliest ?? this.deps.clock.now() + (this.deps.maxSleepMs ?? 60_000));
      } catch (err) {
        this.deps.log.error({ err }, "deadline sweep failed; retrying in 1 s");
        if (!this.stopped) this.schedule(this.deps.clock.now() + 1000);
      }
    });
    this.running = next;
    return next;
  }
}
