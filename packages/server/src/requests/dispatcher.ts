import type { Logger } from "pino";
import type { InferenceRequest, RequestFile } from "@wsspaces/protocol";
import type { Clock } from "../util/time.js";
import { parseStoredJson } from "../util/json.js";
import type { SpaceStore } from "../spaces/space-store.js";
import type { LiveWorker, WorkerRegistry } from "../workers/worker-registry.js";
import type { RequestEvents } from "./request-events.js";
import type { RequestRow, RequestStore } from "./request-store.js";

export interface DispatcherDeps {
  store: RequestStore;
  spaces: SpaceStore;
  registry: WorkerRegistry;
  events: RequestEvents;
  clock: Clock;
  log: Logger;
  /** The request's uploaded files with signed links (relative; the channel makes them absolute). */
  inputFiles: (row: RequestRow) => Promise<RequestFile[]>;
}

/**
 * Moves queued requests to workers with free slots. One pump runs per space at a time (later
 * calls chain behind it), so a space's queue drains in order without double dispatch.
 */
export class Dispatcher {
  private readonly pumps = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private stopped = false;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Asks for a dispatch round in a space; returns when the round (or the next) is over. */
  pump(spaceId: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const running = this.pumps.get(spaceId);
    if (running) {
      // A round is under way; make it go round once more instead of queueing many rounds.
      this.again.add(spaceId);
      return running;
    }
    const round = this.drain(spaceId).finally(() => this.pumps.delete(spaceId));
    this.pumps.set(spaceId, round);
    return round;
  }

  /** Stops starting rounds and resolves when none is running (used when closing). */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.pumps.size > 0) await Promise.allSettled([...this.pumps.values()]);
  }

  private async drain(spaceId: string): Promise<void> {
    do {
      this.again.delete(spaceId);
      try {
        // Read once per round: a pause or a new cap applies from the next round on.
        const space = await this.deps.spaces.byId(spaceId);
        if (!space || space.pause === "queue") return;
        while (await this.dispatchOne(spaceId, space.user_in_flight_limit));
      } catch (err) {
        // The request stays queued; try the round again shortly (the database may be back).
        this.deps.log.error({ err, spaceId }, "dispatch round failed; retrying in 1 s");
        setTimeout(() => void this.pump(spaceId), 1000).unref();
        return;
      }
    } while (this.again.has(spaceId));
  }

  private async dispatchOne(spaceId: string, userInFlightLimit: number): Promise<boolean> {
    const { store, registry, clock } = this.deps;
    const worker = registry.pickForSpace(spaceId);
    if (!worker) return false;
    // Reserve the slot before the first await: another space's round may pick this worker too.
    worker.reserved++;
    let row: RequestRow | undefined;
    try {
      row = await store.claimNext(spaceId, worker.id, clock.now(), userInFlightLimit);
    } finally {
      worker.reserved--;
    }
    if (!row) {
      // The reservation was for nothing: give the rounds it turned away their turn.
      const passedOver = [...worker.passedOver];
      worker.passedOver.clear();
      for (const other of passedOver) void this.pump(other);
      return false;
    }
    if (registry.get(worker.id) !== worker) {
      // The worker left while the claim was being written: its cleanup may have run already.
      await this.unclaim(row, worker.id);
      return true;
    }
    worker.inFlight.set(row.id, spaceId);
    worker.lastDispatchAt = clock.now();
    let message: InferenceRequest;
    try {
      message = await this.toMessage(row);
    } catch (err) {
      // Never leave a request "dispatched" to a worker that was not told about it.
      worker.inFlight.delete(row.id);
      await this.unclaim(row, worker.id);
      throw err;
    }
    this.deps.events.publish({ type: "state", requestId: row.id, spaceId, state: "dispatched", row });
    worker.channel.sendRequest(message);
    this.deps.log.info({ requestId: row.id, spaceId, workerId: worker.id, attempt: row.attempt }, "dispatched");
    return true;
  }

  /** Undoes a claim: back to the queue, without using up an attempt. */
  private async unclaim(row: RequestRow, workerId: string): Promise<void> {
    await this.deps.store.transition(
      row.id,
      ["dispatched"],
      { state: "queued", worker_session_id: null, attempt: row.attempt - 1, updated_at: this.deps.clock.now() },
      { workerSessionId: workerId },
    );
  }

  async toMessage(row: RequestRow): Promise<InferenceRequest> {
    const space = await this.deps.spaces.byId(row.space_id);
    const inputs = parseStoredJson<Record<string, unknown>>(row.inputs, {});
    const payload: InferenceRequest["payload"] = { ...inputs };
    if (row.prompt !== null) payload.prompt = row.prompt;
    return {
      request_id: row.id,
      username: await this.deps.store.usernameOf(row.user_id),
      payload,
      space_id: row.space_id,
      space_name: space?.name ?? "",
      attempt: row.attempt,
      deadline: new Date(row.deadline_at).toISOString(),
      ...(row.input_files > 0 ? { files: await this.deps.inputFiles(row) } : {}),
    };
  }

  /** Re-pumps every space a worker serves (after it registers or frees a slot). */
  async pumpWorkerSpaces(worker: Pick<LiveWorker, "spaceIds">): Promise<void> {
    await Promise.all([...worker.spaceIds].map((spaceId) => this.pump(spaceId)));
  }
}
