import type { AdminOverview, OverviewMinute, OverviewSpace } from "@wsspaces/protocol";
import type { RequestStore } from "../requests/request-store.js";
import type { SpaceStore } from "../spaces/space-store.js";
import type { WorkerRegistry } from "../workers/worker-registry.js";
import { iso, type Clock } from "../util/time.js";

type Outcome = "completed" | "failed" | "timed_out" | "cancelled";
const OUTCOMES: readonly Outcome[] = ["completed", "failed", "timed_out", "cancelled"];
const MINUTE = 60_000;

export interface OverviewDeps {
  requests: RequestStore;
  spaces: SpaceStore;
  registry: WorkerRegistry;
  clock: Clock;
}

/**
 * The admin overview: traffic per minute, outcome counts, and queue-wait and run-time
 * percentiles per space, over the last `minutes`, computed from the requests table.
 */
export async function buildOverview(deps: OverviewDeps, minutes: number): Promise<AdminOverview> {
  const now = deps.clock.now();
  const since = now - minutes * MINUTE;
  const firstMinute = Math.floor(since / MINUTE) * MINUTE;
  const perMinute = new Map<number, OverviewMinute>();
  for (let t = firstMinute; t <= now; t += MINUTE) {
    perMinute.set(t, { minute: iso(t) ?? "", submitted: 0, completed: 0, failed: 0, timed_out: 0, cancelled: 0 });
  }
  const bySpace = new Map<string, { counts: Record<Outcome | "submitted", number>; waits: number[]; runs: number[] }>();
  const spaceEntry = (id: string) => {
    let entry = bySpace.get(id);
    if (!entry) bySpace.set(id, (entry = { counts: { submitted: 0, completed: 0, failed: 0, timed_out: 0, cancelled: 0 }, waits: [], runs: [] }));
    return entry;
  };
  const bucket = (t: number) => perMinute.get(Math.floor(t / MINUTE) * MINUTE);

  for (const row of await deps.requests.activitySince(since)) {
    const entry = spaceEntry(row.space_id);
    if (row.created_at >= since) {
      entry.counts.submitted++;
      const b = bucket(row.created_at);
      if (b) b.submitted++;
    }
    if (row.dispatched_at !== null && row.dispatched_at >= since) entry.waits.push((row.dispatched_at - row.created_at) / 1000);
    if (row.finished_at !== null && row.finished_at >= since && isOutcome(row.state)) {
      entry.counts[row.state]++;
      const b = bucket(row.finished_at);
      if (b) b[row.state]++;
      const began = row.started_at ?? row.dispatched_at;
      if ((row.state === "completed" || row.state === "failed") && began !== null) entry.runs.push((row.finished_at - began) / 1000);
    }
  }

  const spaces: OverviewSpace[] = [];
  for (const space of await deps.spaces.list()) {
    const entry = spaceEntry(space.id);
    spaces.push({
      space_id: space.id,
      name: space.name,
      ...entry.counts,
      queue_wait_p50: percentile(entry.waits, 0.5),
      queue_wait_p95: percentile(entry.waits, 0.95),
      run_p50: percentile(entry.runs, 0.5),
      run_p95: percentile(entry.runs, 0.95),
      queue_length: await deps.requests.queueLength(space.id),
      workers: deps.registry.connectedCount(space.id),
    });
  }
  const totals = { submitted: 0, completed: 0, failed: 0, timed_out: 0, cancelled: 0 };
  for (const space of spaces) for (const key of ["submitted", ...OUTCOMES] as const) totals[key] += space[key];
  return {
    minutes,
    generated_at: iso(now) ?? "",
    per_minute: [...perMinute.values()],
    spaces,
    workers_online: deps.registry.all().filter((w) => !w.suspended).length + deps.registry.remoteWorkers().length,
    totals,
  };
}

function isOutcome(state: string): state is Outcome {
  return (OUTCOMES as readonly string[]).includes(state);
}

/** Nearest-rank percentile, rounded to milliseconds; null for no data. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return Math.round((sorted[index] ?? 0) * 1000) / 1000;
}
