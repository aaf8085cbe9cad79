import type { Logger } from "pino";
import type { RegisterMessage, RegisterResponse } from "@wsspaces/protocol";
import { ERROR_CODES, isTerminalState } from "@wsspaces/protocol";
import type { Dispatcher } from "../requests/dispatcher.js";
import type { RequestEvents } from "../requests/request-events.js";
import type { RequestService } from "../requests/request-service.js";
import type { RequestStore } from "../requests/request-store.js";
import type { SpaceRow, SpaceStore } from "../spaces/space-store.js";
import { newId } from "../util/ids.js";
import { parseStoredJson } from "../util/json.js";
import type { Clock } from "../util/time.js";
import type { WorkerCredential } from "./worker-auth.js";
import { WorkerMailbox } from "./worker-mailbox.js";
import type { LiveWorker, WorkerChannel, WorkerRegistry } from "./worker-registry.js";
import type { WorkerSessionRow, WorkerSessionStore } from "./worker-session-store.js";

export interface WorkerServiceDeps {
  spaces: SpaceStore;
  sessions: WorkerSessionStore;
  requestStore: RequestStore;
  registry: WorkerRegistry;
  dispatcher: Dispatcher;
  requests: RequestService;
  events: RequestEvents;
  clock: Clock;
  log: Logger;
  nodeId: string;
  /**
   * Multi-node: whether a worker connection recorded by another node may resume here (that node
   * is gone). Unset on a single node.
   */
  mayAdopt?: (session: WorkerSessionRow) => Promise<boolean>;
  /** How long a worker whose connection dropped keeps its requests, waiting for it to resume. */
  resumeGraceMs: number;
}

type Refusal = Extract<RegisterResponse, { success: false }>;

/**
 * Disconnect reasons after which the worker is gone for good: it said goodbye, or we closed it.
 * Any other reason (transport closed, ping timeout) may be a network blip: the worker gets the
 * grace period to come back with its `resume_id`.
 */
const FINAL_REASONS = new Set(["client namespace disconnect", "server namespace disconnect", "server shutting down"]);

/** Registration, suspension, resumption and departure of workers. */
export class WorkerService {
  private readonly cleanups = new Set<Promise<void>>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private closing = false;

  constructor(private readonly deps: WorkerServiceDeps) {}

  async register(channel: WorkerChannel, credential: WorkerCredential | null, msg: RegisterMessage): Promise<RegisterResponse> {
    const resumed = msg.resume_id !== undefined ? await this.tryResume(msg.resume_id, channel, credential, msg) : undefined;
    if (resumed) return resumed;

    const names = [...new Set([...(msg.space_name !== undefined ? [msg.space_name] : []), ...(msg.spaces ?? [])])];
    const spaces: SpaceRow[] = [];
    if (names.length === 0) {
      // No space named: the token's own space (a token opens exactly one).
      const own = credential ? await this.deps.spaces.byId(credential.spaceId) : undefined;
      if (!own) return refusal("space_not_found", credential ? "The token's space no longer exists." : "Give space_name (or spaces), or connect with a worker token.");
      names.push(own.name);
    }
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
    const first = spaces[0];
    if (!first) return refusal("space_not_found", "No space given.");
    const now = this.deps.clock.now();
    const worker: LiveWorker = {
      id: newId("wrk"),
      channel,
      spaceIds: new Set(spaces.map((s) => s.id)),
      tokenId: credential?.tokenId ?? null,
      capacity: msg.capacity ?? 1,
      name: msg.name ?? null,
      version: msg.version ?? null,
      connectedAt: now,
      lastSeenAt: now,
      inFlight: new Map<string, string>(),
      reserved: 0,
      passedOver: new Set<string>(),
      lastDispatchAt: 0,
      draining: false,
      suspended: false,
    };
    // Written before the worker is announced anywhere.
    await this.deps.sessions.insert({
      id: worker.id,
      node_id: this.deps.nodeId,
      token_id: worker.tokenId,
      space_ids: JSON.stringify([...worker.spaceIds]),
      name: worker.name,
      version: worker.version,
      capacity: worker.capacity,
      connected_at: now,
      last_seen_at: now,
      disconnected_at: null,
    });
    this.deps.registry.add(worker);
    this.deps.log.info({ workerId: worker.id, spaces: spaces.map((s) => s.name), capacity: worker.capacity, name: worker.name }, "worker registered");
    this.announce(worker);
    return {
      success: true,
      connection_id: worker.id,
      space_id: first.id,
      spaces: spaces.map((s) => ({ id: s.id, name: s.name })),
      capacity: worker.capacity,
      message: `Registered for ${spaces.map((s) => `"${s.name}"`).join(", ")}`,
    };
  }

  /**
   * The connection is gone. After a goodbye the worker's requests go back to the queue now;
   * after a drop they wait `resumeGraceMs` for the worker to resume.
   */
  disconnected(workerId: string, reason: string, channel: WorkerChannel): Promise<void> {
    const worker = this.deps.registry.get(workerId);
    // While the server shuts down, what workers hold stays held: the next start restores them
    // as suspended, so they can resume there as after any other drop. A connection the worker
    // already replaced by resuming on a new one no longer speaks for it.
    if (!worker || worker.suspended || this.closing || worker.channel !== channel) return Promise.resolve();
    if (FINAL_REASONS.has(reason) || this.deps.resumeGraceMs <= 0) return this.track(this.giveUp(workerId, reason));
    this.suspend(worker, reason);
    return Promise.resolve();
  }

  /** Resolves once every cleanup under way has finished (used when closing). */
  /** Something arrived from the worker: it is alive as of now. */
  touch(workerId: string): void {
    const worker = this.deps.registry.get(workerId);
    if (worker) worker.lastSeenAt = this.deps.clock.now();
  }

  async idle(): Promise<void> {
    while (this.cleanups.size > 0) await Promise.allSettled([...this.cleanups]);
  }

  /** Stops the grace timers; what workers hold is recovered at the next start. */
  close(): void {
    this.closing = true;
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  disconnectWhere(filter: { tokenId?: string; spaceId?: string; tokenless?: boolean }, reason: string): void {
    for (const worker of this.deps.registry.all()) {
      const byToken = filter.tokenId !== undefined && worker.tokenId === filter.tokenId;
      const bySpace = filter.spaceId !== undefined && worker.spaceIds.has(filter.spaceId) && (!filter.tokenless || worker.tokenId === null);
      if (!byToken && !bySpace) continue;
      if (worker.suspended) void this.track(this.giveUp(worker.id, reason));
      else worker.channel.close(reason);
    }
  }

  /**
   * Start-up: the workers that held requests when the previous run stopped come back as
   * suspended, so that they can resume (keeping their work) within the grace period.
   * Returns the ids of the sessions restored.
   */
  async restoreFromDatabase(): Promise<Set<string>> {
    const restored = new Set<string>();
    if (this.deps.resumeGraceMs <= 0) return restored;
    const active = await this.deps.requestStore.allActive();
    const byHolder = new Map<string, [string, string][]>();
    for (const row of active) {
      if (row.worker_session_id === null) continue;
      byHolder.set(row.worker_session_id, [...(byHolder.get(row.worker_session_id) ?? []), [row.id, row.space_id]]);
    }
    for (const [sessionId, requestIds] of byHolder) {
      const session = await this.deps.sessions.byId(sessionId);
      if (!session) continue;
      const worker: LiveWorker = {
        id: session.id,
        channel: new WorkerMailbox(),
        spaceIds: new Set(parseStoredJson<string[]>(session.space_ids, [])),
        tokenId: session.token_id,
        capacity: session.capacity,
        name: session.name,
        version: session.version,
        connectedAt: session.connected_at,
        lastSeenAt: session.last_seen_at,
        inFlight: new Map(requestIds),
          reserved: 0,
        passedOver: new Set<string>(),
        lastDispatchAt: 0,
        draining: false,
        suspended: true,
      };
      this.deps.registry.add(worker);
      this.suspend(worker, "server restarted");
      restored.add(session.id);
    }
    return restored;
  }

  // ---- helpers -----------------------------------------------------------------------------

  private suspend(worker: LiveWorker, reason: string): void {
    this.deps.registry.suspend(worker, new WorkerMailbox());
    this.deps.log.info({ workerId: worker.id, reason, inFlight: worker.inFlight.size, graceMs: this.deps.resumeGraceMs }, "worker connection lost; waiting for it to resume");
    const timer = setTimeout(() => {
      this.graceTimers.delete(worker.id);
      void this.track(this.giveUp(worker.id, "resume grace period expired"));
    }, this.deps.resumeGraceMs);
    timer.unref();
    this.graceTimers.set(worker.id, timer);
    for (const spaceId of worker.spaceIds) this.deps.events.spaceChanged(spaceId);
  }

  /** Picks up a suspended worker: same id, same requests; missed cancels and requests re-sent. */
  private async tryResume(resumeId: string, channel: WorkerChannel, credential: WorkerCredential | null, msg: RegisterMessage): Promise<RegisterResponse | undefined> {
    const worker = this.deps.registry.get(resumeId) ?? (await this.adopt(resumeId, credential));
    if (!worker || worker.tokenId !== (credential?.tokenId ?? null)) return undefined;
    // An open-registration worker has no credential to prove it is the same one: no resume.
    if (worker.tokenId === null) return undefined;
    // The worker may notice a dead connection before the server does (behind NAT the server
    // waits for the heartbeat to time out): the new connection takes over the old one.
    const previous = worker.channel;
    const mailbox = previous instanceof WorkerMailbox ? previous : undefined;
    // Reads first, so that a failing database leaves the worker as it was.
    const messages = [];
    for (const requestId of [...worker.inFlight.keys()]) {
      const row = await this.deps.requestStore.byId(requestId);
      if (!row || isTerminalState(row.state) || row.worker_session_id !== worker.id) continue;
      messages.push(await this.deps.dispatcher.toMessage(row));
    }
    const spaces = (await Promise.all([...worker.spaceIds].map((id) => this.deps.spaces.byId(id)))).filter((s): s is SpaceRow => s !== undefined);
    await this.deps.sessions.markResumed(worker.id, this.deps.clock.now());

    clearTimeout(this.graceTimers.get(resumeId));
    this.graceTimers.delete(resumeId);
    if (msg.capacity !== undefined) worker.capacity = msg.capacity;
    if (worker.suspended) this.deps.registry.resume(worker, channel);
    else worker.channel = channel;
    if (!mailbox) previous.close("replaced by a resumed connection");
    for (const cancel of mailbox?.cancels ?? []) channel.sendCancel(cancel.requestId, cancel.reason);
    const live = new Set(messages.map((m) => m.request_id));
    for (const requestId of [...worker.inFlight.keys()]) if (!live.has(requestId)) worker.inFlight.delete(requestId);
    // Whatever was sent while the connection was dying may never have arrived: send it again
    // (workers ignore a request they already run, or answer it again if they finished it).
    for (const message of messages) channel.sendRequest(message);
    this.deps.log.info({ workerId: worker.id, inFlight: worker.inFlight.size }, "worker resumed");
    this.announce(worker);
    return {
      success: true,
      connection_id: worker.id,
      space_id: spaces[0]?.id ?? "",
      spaces: spaces.map((s) => ({ id: s.id, name: s.name })),
      capacity: worker.capacity,
      message: `Resumed with ${worker.inFlight.size} request(s) in flight`,
    };
  }

  /**
   * Multi-node: a worker whose node died reconnects here with its old connection id. If that
   * node is gone and the token matches, this node takes the connection over — with the requests
   * it still holds — as if it had been suspended here.
   */
  private async adopt(resumeId: string, credential: WorkerCredential | null): Promise<LiveWorker | undefined> {
    if (!this.deps.mayAdopt || !credential) return undefined;
    const session = await this.deps.sessions.byId(resumeId);
    if (!session || session.token_id !== credential.tokenId || session.node_id === this.deps.nodeId) return undefined;
    if (!(await this.deps.mayAdopt(session))) return undefined;
    const held = await this.deps.requestStore.activeForWorker(resumeId);
    await this.deps.sessions.adopt(resumeId, this.deps.nodeId, this.deps.clock.now());
    const worker: LiveWorker = {
      id: session.id,
      channel: new WorkerMailbox(),
      spaceIds: new Set(parseStoredJson<string[]>(session.space_ids, [])),
      tokenId: session.token_id,
      capacity: session.capacity,
      name: session.name,
      version: session.version,
      connectedAt: session.connected_at,
      lastSeenAt: this.deps.clock.now(),
      inFlight: new Map(held.map((r) => [r.id, r.space_id])),
      reserved: 0,
      passedOver: new Set<string>(),
      lastDispatchAt: 0,
      draining: false,
      suspended: true,
    };
    this.deps.registry.add(worker);
    this.deps.registry.suspend(worker, worker.channel);
    this.deps.log.info({ workerId: worker.id, fromNode: session.node_id, inFlight: held.length }, "worker from a stopped node resumes here");
    return worker;
  }

  private announce(worker: LiveWorker): void {
    for (const spaceId of worker.spaceIds) this.deps.events.spaceChanged(spaceId);
    void this.deps.dispatcher.pumpWorkerSpaces(worker);
  }

  private track(cleanup: Promise<void>): Promise<void> {
    const tracked = cleanup.finally(() => this.cleanups.delete(tracked));
    this.cleanups.add(tracked);
    return tracked;
  }

  private async giveUp(workerId: string, reason: string): Promise<void> {
    clearTimeout(this.graceTimers.get(workerId));
    this.graceTimers.delete(workerId);
    const worker = this.deps.registry.remove(workerId);
    if (!worker) return;
    this.deps.log.info({ workerId, reason, inFlight: worker.inFlight.size }, "worker gone");
    try {
      await this.deps.sessions.markDisconnected(workerId, this.deps.clock.now());
      await this.deps.requests.workerLost(workerId);
    } catch (err) {
      this.deps.log.error({ err, workerId }, "could not hand a lost worker's requests back; the next start recovers them");
    }
    for (const spaceId of worker.spaceIds) this.deps.events.spaceChanged(spaceId);
  }
}

function refusal(code: Refusal["code"], message?: string): Refusal {
  return { success: false, code, message: message ?? ERROR_CODES[code] };
}
