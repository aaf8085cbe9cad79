import type { Logger } from "pino";
import type { SpaceStatusEvent } from "@wsspaces/protocol";

export interface SpaceStatusBroadcasterDeps {
  intervalMs: number;
  /** Whether anyone follows the space right now (nothing is computed otherwise). */
  hasAudience: (spaceId: string) => boolean;
  /** The space's current status, or undefined once it is deleted. */
  status: (spaceId: string) => Promise<SpaceStatusEvent | undefined>;
  send: (spaceId: string, status: SpaceStatusEvent | undefined) => void;
  log: Logger;
}

/**
 * Coalesces a space's changes (a burst of submissions, workers coming and going) into at most
 * one status per interval: the first change schedules a send; later ones ride along with it.
 */
export class SpaceStatusBroadcaster {
  /** Spaces with a send scheduled or under way; `dirty`: changed again since it started. */
  private readonly pending = new Map<string, { timer: NodeJS.Timeout | null; dirty: boolean }>();
  private closed = false;

  constructor(private readonly deps: SpaceStatusBroadcasterDeps) {}

  changed(spaceId: string): void {
    if (this.closed) return;
    const pending = this.pending.get(spaceId);
    if (pending) {
      // A send that is computing may have read the state before this change: send again after.
      if (pending.timer === null) pending.dirty = true;
      return;
    }
    if (!this.deps.hasAudience(spaceId)) return;
    this.schedule(spaceId);
  }

  close(): void {
    this.closed = true;
    for (const { timer } of this.pending.values()) if (timer) clearTimeout(timer);
    this.pending.clear();
  }

  private schedule(spaceId: string): void {
    const entry = { timer: null as NodeJS.Timeout | null, dirty: false };
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void this.flush(spaceId, entry);
    }, this.deps.intervalMs);
    entry.timer.unref();
    this.pending.set(spaceId, entry);
  }

  private async flush(spaceId: string, entry: { dirty: boolean }): Promise<void> {
    try {
      const status = await this.deps.status(spaceId);
      if (!this.closed) this.deps.send(spaceId, status);
    } catch (err) {
      this.deps.log.warn({ err, spaceId }, "could not compute a space status");
    }
    if (this.pending.get(spaceId) !== entry) return;
    this.pending.delete(spaceId);
    if (entry.dirty && !this.closed) this.schedule(spaceId);
  }
}
