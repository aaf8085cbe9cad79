import type { Logger } from "pino";
import type { RegisterMessage, RegisterResponse } from "@wsspaces/protocol";
import { ERROR_CODES } from "@wsspaces/protocol";
import type { Dispatcher } from "../requests/dispatcher.js";
import type { RequestEvents } from "../requests/request-events.js";
import type { RequestService } from "../requests/request-service.js";
import type { SpaceRow, SpaceStore } from "../spaces/space-store.js";
import { newId } from "../util/ids.js";
import type { Clock } from "../util/time.js";
import type { WorkerCredential } from "./worker-auth.js";
import type { WorkerChannel, WorkerRegistry } from "./worker-registry.js";
import type { WorkerSessionStore } from "./worker-session-store.js";

export interface WorkerServiceDeps {
  spaces: SpaceStore;
  sessions: WorkerSessionStore;
  registry: WorkerRegistry;
  dispatcher: Dispatcher;
  requests: RequestService;
  events: RequestEvents;
  clock: Clock;
  log: Logger;
  nodeId: string;
}

type Refusal = Extract<RegisterResponse, { success: false }>;

/** Registration and departure of workers; the socket handlers only translate to and from this. */
export class WorkerService {
  constructor(private readonly deps: WorkerServiceDeps) {}

  async register(channel: WorkerChannel, credential: WorkerCredential | null, msg: RegisterMessage): Promise<RegisterResponse> {
    const names = [...new Set([...(msg.space_name !== undefined ? [msg.space_name] : []), ...(msg.spaces ?? [])])];
    const spaces: SpaceRow[] = [];
    for (const name of names) {
      const space = await this.deps.spaces.byName(name);
      if (!space) return refusal("space_not_found", `No space named "${name}".`);
      if (credential ? credential.spaceId !== space.id : space.open_workers !== 1) {
        return credential
          ? refusal("space_not_allowed", `This worker token does not open the space "${space.name}".`)
          : refusal("invalid_token", `The space "${space.name}" needs a worker token (pass it as auth.token or ?token=).`);
      }
      spaces.push(space);
    }
    const now = this.deps.clock.now();
    const id = newId("wrk");
    const capacity = msg.capacity ?? 1;
    // Written before the worker is announced anywhere.
    await this.deps.sessions.insert({
      id,
      node_id: this.deps.nodeId,
      token_id: credential?.tokenId ?? null,
      space_ids: JSON.stringify(spaces.map((s) => s.id)),
      name: msg.name ?? null,
      version: msg.version ?? null,
      capacity,
      connected_at: now,
      last_seen_at: now,
      disconnected_at: null,
    });
    const worker = {
      id,
      channel,
      spaceIds: new Set(spaces.map((s) => s.id)),
      tokenId: credential?.tokenId ?? null,
      capacity,
      name: msg.name ?? null,
      version: msg.version ?? null,
      connectedAt: now,
      inFlight: new Set<string>(),
      lastDispatchAt: 0,
      draining: false,
    };
    this.deps.registry.add(worker);
    this.deps.log.info({ workerId: id, spaces: spaces.map((s) => s.name), capacity, name: worker.name }, "worker registered");
    for (const space of spaces) this.deps.events.spaceChanged(space.id);
    const first = spaces[0];
    if (!first) return refusal("space_not_found", "No space given.");
    void this.deps.dispatcher.pumpWorkerSpaces(worker);
    return {
      success: true,
      connection_id: id,
      space_id: first.id,
      spaces: spaces.map((s) => ({ id: s.id, name: s.name })),
      capacity,
      message: `Registered for ${spaces.map((s) => `"${s.name}"`).join(", ")}`,
    };
  }

  private readonly cleanups = new Set<Promise<void>>();

  /** The connection is gone: record it and hand its work back to the queue. */
  disconnected(workerId: string, reason: string): Promise<void> {
    const cleanup = this.cleanUp(workerId, reason).finally(() => this.cleanups.delete(cleanup));
    this.cleanups.add(cleanup);
    return cleanup;
  }

  /** Resolves once every disconnect cleanup under way has finished (used when closing). */
  async idle(): Promise<void> {
    while (this.cleanups.size > 0) await Promise.allSettled([...this.cleanups]);
  }

  private async cleanUp(workerId: string, reason: string): Promise<void> {
    const worker = this.deps.registry.remove(workerId);
    if (!worker) return;
    this.deps.log.info({ workerId, reason, inFlight: worker.inFlight.size }, "worker disconnected");
    await this.deps.sessions.markDisconnected(workerId, this.deps.clock.now());
    await this.deps.requests.workerLost(workerId);
    for (const spaceId of worker.spaceIds) this.deps.events.spaceChanged(spaceId);
  }

  disconnectWhere(filter: { tokenId?: string; spaceId?: string }, reason: string): void {
    for (const worker of this.deps.registry.all()) {
      const byToken = filter.tokenId !== undefined && worker.tokenId === filter.tokenId;
      const bySpace = filter.spaceId !== undefined && worker.spaceIds.has(filter.spaceId);
      if (byToken || bySpace) worker.channel.close(reason);
    }
  }
}

function refusal(code: Refusal["code"], message?: string): Refusal {
  return { success: false, code, message: message ?? ERROR_CODES[code] };
}
