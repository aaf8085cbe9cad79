import type { RequestState } from "@wsspaces/protocol";
import type { WorkerRegistry } from "../workers/worker-registry.js";
import type { Clock } from "../util/time.js";
import { estimateEtaSeconds } from "./eta.js";
import type { RunHistory } from "./run-history.js";

export interface EtaSubject {
  space_id: string;
  state: RequestState;
  started_at: number | null;
}

/** ETA of one request from its space's run history and the workers serving the space now. */
export class EtaEstimator {
  constructor(
    private readonly history: RunHistory,
    private readonly registry: WorkerRegistry,
    private readonly clock: Clock,
  ) {}

  async etaSeconds(row: EtaSubject, position: number | null): Promise<number | null> {
    const { state } = row;
    if (state !== "queued" && state !== "dispatched" && state !== "running") return null;
    const slots = this.registry
      .forSpace(row.space_id)
      .filter((w) => !w.draining)
      .reduce((sum, w) => sum + w.capacity, 0);
    return estimateEtaSeconds({
      state,
      position,
      medianRunMs: await this.history.medianRunMs(row.space_id),
      slots,
      runningForMs: row.started_at === null ? 0 : this.clock.now() - row.started_at,
    });
  }
}
