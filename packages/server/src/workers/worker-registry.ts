import type { AdminWorkerView, CancelReason, InferenceRequest, WorkerPresenceView } from "@wsspaces/protocol";
import { iso } from "../util/time.js";

/** What the registry needs of a connection: a way to send to it and to close it. */
export interface WorkerChannel {
  sendRequest(request: InferenceRequest): void;
  sendCancel(requestId: string, reason: CancelReason): void;
  close(reason: string): void;
  /** The peer's address as this server sees it (behind a proxy: what trust settings allow). */
  readonly address: string | null;
}

export interface LiveWorker {
  id: string;
  channel: WorkerChannel;
  spaceIds: ReadonlySet<string>;
  tokenId: string | null;
  capacity: number;
  name: string | null;
  version: string | null;
  connectedAt: number;
  /** Last time anything (an event or a heartbeat) arrived from the worker. */
  lastSeenAt: number;
  /** Requests this worker holds right now, with their space. */
  inFlight: Map<string, string>;
  /** Slots a dispatch round has picked but not yet filled (the claim is being written). */
  reserved: number;
  /** Spaces whose round passed this worker over only because of a reservation. */
  passedOver: Set<string>;
  lastDispatchAt: number;
  /** Shutting down: finishes what it holds but gets nothing new. */
  draining: boolean;
  /** Connection lost, waiting (within the resume grace period) for the worker to come back. */
  suspended: boolean;
}

/**
 * The workers connected to this node, by space. In memory on purpose: a connection exists only
 * in the process that holds its socket (the database keeps worker_sessions for the record).
 */
export class WorkerRegistry {
  private readonly byId = new Map<string, LiveWorker>();
  private readonly bySpace = new Map<string, Set<LiveWorker>>();
  /** Multi-node: the workers other nodes announced, by node, with when they did. */
  private readonly remote = new Map<string, { workers: AdminWorkerView[]; at: number }>();

  add(worker: LiveWorker): void {
    this.byId.set(worker.id, worker);
    this.index(worker);
  }

  /**
   * Takes a worker out of its spaces (not counted as connected, gets no work) but keeps it
   * findable by id, so the requests it holds keep their slot until it resumes or is given up.
   */
  suspend(worker: LiveWorker, channel: WorkerChannel): void {
    worker.suspended = true;
    worker.channel = channel;
    this.unindex(worker);
  }

  resume(worker: LiveWorker, channel: WorkerChannel): void {
    worker.suspended = false;
    worker.channel = channel;
    this.index(worker);
  }

  private index(worker: LiveWorker): void {
    for (const spaceId of worker.spaceIds) {
      let set = this.bySpace.get(spaceId);
      if (!set) this.bySpace.set(spaceId, (set = new Set()));
      set.add(worker);
    }
  }

  remove(id: string): LiveWorker | undefined {
    const worker = this.byId.get(id);
    if (!worker) return undefined;
    this.byId.delete(id);
    this.unindex(worker);
    return worker;
  }

  private unindex(worker: LiveWorker): void {
    for (const spaceId of worker.spaceIds) {
      const set = this.bySpace.get(spaceId);
      set?.delete(worker);
      if (set?.size === 0) this.bySpace.delete(spaceId);
    }
  }

  get(id: string): LiveWorker | undefined {
    return this.byId.get(id);
  }

  forSpace(spaceId: string): LiveWorker[] {
    return [...(this.bySpace.get(spaceId) ?? [])];
  }

  countForSpace(spaceId: string): number {
    return this.bySpace.get(spaceId)?.size ?? 0;
  }

  all(): LiveWorker[] {
    return [...this.byId.values()];
  }

  /**
   * The worker of a space with the most free slots; among equals, the one that waited longest
   * since its last dispatch, so equal workers take turns.
   */
  pickForSpace(spaceId: string): LiveWorker | undefined {
    let best: LiveWorker | undefined;
    for (const worker of this.bySpace.get(spaceId) ?? []) {
      const free = worker.capacity - worker.inFlight.size - worker.reserved;
      if (worker.draining) continue;
      if (free <= 0) {
        if (worker.reserved > 0) worker.passedOver.add(spaceId);
        continue;
      }
      if (!best) {
        best = worker;
        continue;
      }
      const bestFree = best.capacity - best.inFlight.size - best.reserved;
      if (free > bestFree || (free === bestFree && worker.lastDispatchAt < best.lastDispatchAt)) best = worker;
    }
    return best;
  }

  presence(spaceId: string): WorkerPresenceView[] {
    return this.forSpace(spaceId).map(presenceOf);
  }

  // ---- the whole cluster (multi-node): what users see, not what this node dispatches to ----

  /** Another node's current workers (it re-announces them every few seconds). */
  setRemote(nodeId: string, workers: AdminWorkerView[], now: number): void {
    this.remote.set(nodeId, { workers, at: now });
  }

  /** Forgets nodes not heard from since `before`; returns the spaces their workers served. */
  dropRemoteOlderThan(before: number): Set<string> {
    const spaces = new Set<string>();
    for (const [nodeId, entry] of this.remote) {
      if (entry.at >= before) continue;
      this.remote.delete(nodeId);
      for (const w of entry.workers) for (const s of w.spaces) spaces.add(s.id);
    }
    return spaces;
  }

  remoteWorkers(): AdminWorkerView[] {
    return [...this.remote.values()].flatMap((entry) => entry.workers.filter((w) => !w.suspended));
  }

  /** Workers serving the space on any node. */
  connectedCount(spaceId: string): number {
    return this.countForSpace(spaceId) + this.remoteWorkers().filter((w) => w.spaces.some((s) => s.id === spaceId)).length;
  }

  /** Presence of the space's workers on every node. */
  clusterPresence(spaceId: string): WorkerPresenceView[] {
    const remote = this.remoteWorkers()
      .filter((w) => w.spaces.some((s) => s.id === spaceId))
      .map(({ connection_id, name, version, capacity, in_flight, connected_at, last_seen_at }) => ({ connection_id, name, version, capacity, in_flight, connected_at, last_seen_at }));
    return [...this.presence(spaceId), ...remote];
  }
}

export function presenceOf(w: LiveWorker): WorkerPresenceView {
  return {
    connection_id: w.id,
    name: w.name,
    version: w.version,
    capacity: w.capacity,
    in_flight: w.inFlight.size,
    connected_at: iso(w.connectedAt),
    last_seen_at: iso(w.lastSeenAt),
  };
}
