/** How many recent runs per space the estimate looks at. */
const WINDOW = 50;

/**
 * Recent run times (dispatch to result) of each space's completed requests, newest last. The
 * window is seeded from the database the first time a space is asked about, so estimates
 * survive a restart, then kept up to date from completions seen by this process.
 */
export class RunHistory {
  private readonly runs = new Map<string, number[]>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(private readonly loadRecent: (spaceId: string, limit: number) => Promise<number[]>) {}

  record(spaceId: string, runMs: number): void {
    if (!(runMs >= 0)) return;
    const window = this.runs.get(spaceId);
    // Not loaded yet: the load will read this completion from the database anyway.
    if (!window) return;
    window.push(runMs);
    if (window.length > WINDOW) window.shift();
  }

  /** Median run time in ms, or null when the space has no completed request yet. */
  async medianRunMs(spaceId: string): Promise<number | null> {
    await this.ensureLoaded(spaceId);
    return median(this.runs.get(spaceId) ?? []);
  }

  forget(spaceId: string): void {
    this.runs.delete(spaceId);
  }

  private ensureLoaded(spaceId: string): Promise<void> {
    if (this.runs.has(spaceId)) return Promise.resolve();
    let pending = this.loading.get(spaceId);
    if (!pending) {
      pending = this.loadRecent(spaceId, WINDOW)
        .then((recent) => {
          if (!this.runs.has(spaceId)) this.runs.set(spaceId, recent.slice(-WINDOW));
        })
        .finally(() => this.loading.delete(spaceId));
      this.loading.set(spaceId, pending);
    }
    return pending;
  }
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
