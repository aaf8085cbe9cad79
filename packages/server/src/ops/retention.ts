import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { TERMINAL_STATES } from "@wsspaces/protocol";
import type { Database } from "../db/schema.js";
import type { Clock } from "../util/time.js";

export interface RetentionDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  /** Finished requests older than this are deleted; 0 keeps them forever. */
  retentionDays: number;
  /** Files of requests finished longer ago than this are deleted; 0 keeps them. */
  fileRetentionDays: number;
  /** Deletes files of requests finished before the time given; returns how many. */
  sweepFiles: (before: number) => Promise<number>;
  intervalMs?: number;
}

const DAY_MS = 86_400_000;
/** Rows deleted per statement, so that a large backlog never holds the database for long. */
const BATCH = 1000;

export interface SweepResult {
  requests: number;
  sessions: number;
  files: number;
}

/**
 * Deletes what is no longer needed: requests that finished more than `retentionDays` ago (never
 * one still queued or running, whatever its age), expired sign-in sessions, and files of requests
 * that finished more than `fileRetentionDays` ago. Runs hourly.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;

  constructor(private readonly deps: RetentionDeps) {}

  start(): void {
    this.timer = setInterval(() => {
      void this.sweep().catch((err: unknown) => this.deps.log.warn({ err }, "retention sweep failed"));
    }, this.deps.intervalMs ?? 3_600_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep now (also what the timer runs); overlapping calls share the sweep under way. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<SweepResult> {
    const now = this.deps.clock.now();
    const result: SweepResult = { requests: 0, sessions: 0, files: 0 };
    if (this.deps.retentionDays > 0) {
      const before = now - this.deps.retentionDays * DAY_MS;
      for (;;) {
        const ids = await this.deps.db
          .selectFrom("requests")
          .select("id")
          .where("state", "in", TERMINAL_STATES)
          .where("finished_at", "<", before)
          .limit(BATCH)
          .execute();
        if (ids.length === 0) break;
        const deleted = await this.deps.db
          .deleteFrom("requests")
          .where("id", "in", ids.map((r) => r.id))
          .where("state", "in", TERMINAL_STATES)
          .executeTakeFirst();
        result.requests += Number(deleted.numDeletedRows);
        if (ids.length < BATCH) break;
      }
    }
    const sessions = await this.deps.db.deleteFrom("sessions").where("expires_at", "<=", now).executeTakeFirst();
    result.sessions = Number(sessions.numDeletedRows);
    // After the requests: files of requests just deleted have no request any more, and go too.
    if (this.deps.fileRetentionDays > 0) result.files = await this.deps.sweepFiles(now - this.deps.fileRetentionDays * DAY_MS);
    if (result.requests + result.sessions + result.files > 0) this.deps.log.info(result, "retention sweep deleted old data");
    return result;
  }
}
