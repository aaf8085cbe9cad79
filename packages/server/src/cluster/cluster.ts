import { createHash } from "node:crypto";
import { createAdapter } from "@socket.io/postgres-adapter";
import type pg from "pg";
import type { Logger } from "pino";
import type { Server } from "socket.io";
import type { AdminWorkerView } from "@wsspaces/protocol";
import { isTerminalState } from "@wsspaces/protocol";
import type { RequestEvent, RequestEvents } from "../requests/request-events.js";
import type { Dispatcher } from "../requests/dispatcher.js";
import type { RequestService } from "../requests/request-service.js";
import type { WorkerRegistry } from "../workers/worker-registry.js";
import type { WorkerService } from "../workers/worker-service.js";
import type { Clock } from "../util/time.js";
import type { NodeLeases } from "./node-lease.js";

export interface ClusterDeps {
  io: Server;
  pool: pg.Pool;
  /** Nodes on the same database talk on a channel named after it. */
  databaseUrl: string;
  nodeId: string;
  leases: NodeLeases;
  events: RequestEvents;
  registry: WorkerRegistry;
  workers: WorkerService;
  requests: RequestService;
  dispatcher: Dispatcher;
  /** This node's workers as admins and space pages see them. */
  localWorkers: () => Promise<AdminWorkerView[]>;
  /** Tells the deadline timer about a deadline another node created. */
  onDeadline: (at: number) => void;
  clock: Clock;
  log: Logger;
  /** A node silent for this long is dead: its requests go back to the queue. */
  leaseMs: number;
}

/** Messages between nodes, carried by the Socket.IO PostgreSQL adapter (`serverSideEmit`). */
interface ClusterEvents {
  "wsspaces:request": (event: RequestEvent) => void;
  "wsspaces:space": (spaceId: string) => void;
  "wsspaces:catalogue": () => void;
  "wsspaces:workers": (nodeId: string, workers: AdminWorkerView[]) => void;
  "wsspaces:disconnect": (filter: { tokenId?: string; spaceId?: string; tokenless?: boolean }, reason: string) => void;
}

type ClusterServer = {
  serverSideEmit<E extends keyof ClusterEvents>(event: E, ...args: Parameters<ClusterEvents[E]>): boolean;
  on<E extends keyof ClusterEvents>(event: E, listener: ClusterEvents[E]): unknown;
};

/**
 * Several `wsspaces serve` nodes on one PostgreSQL (DESIGN.md §8). PostgreSQL is the only
 * coordinator: the request table is the queue (claims are compare-and-set updates, so two nodes
 * never dispatch one request), node rows with leases say who is alive, and the Socket.IO
 * PostgreSQL adapter (LISTEN/NOTIFY) carries what one node tells the others: request events
 * (so SSE, `/live` and `?wait=` work wherever the client is), queue changes (so the node
 * holding a space's workers dispatches at once), worker presence, and disconnect orders.
 */
export class Cluster {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private announceTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly server: ClusterServer;

  constructor(private readonly deps: ClusterDeps) {
    const channel = `wsspaces_${createHash("sha256").update(deps.databaseUrl).digest("hex").slice(0, 12)}`;
    deps.io.adapter(
      createAdapter(deps.pool, {
        channelPrefix: channel,
        tableName: "socket_io_attachments",
        heartbeatInterval: Math.max(1000, Math.floor(deps.leaseMs / 3)),
        heartbeatTimeout: deps.leaseMs,
        errorHandler: (err) => deps.log.warn({ err }, "cluster messaging error"),
      }),
    );
    this.server = deps.io.of("/");
  }

  async start(): Promise<void> {
    const { deps } = this;
    await deps.leases.register(deps.nodeId, deps.clock.now());
    deps.events.forwarder = {
      request: (event) => this.server.serverSideEmit("wsspaces:request", stripForWire(event)),
      space: (spaceId) => {
        this.server.serverSideEmit("wsspaces:space", spaceId);
        this.scheduleAnnounce();
      },
      catalogue: () => this.server.serverSideEmit("wsspaces:catalogue"),
    };
    this.server.on("wsspaces:request", (event) => this.onRemoteRequest(event));
    this.server.on("wsspaces:space", (spaceId) => deps.events.spaceChanged(spaceId, { remote: true }));
    this.server.on("wsspaces:catalogue", () => deps.events.catalogueChanged({ remote: true }));
    this.server.on("wsspaces:workers", (nodeId, workers) => this.onRemoteWorkers(nodeId, workers));
    this.server.on("wsspaces:disconnect", (filter, reason) => deps.workers.disconnectWhere(filter, reason));

    const beat = Math.max(500, Math.floor(deps.leaseMs / 3));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), beat);
    this.heartbeatTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweep(), beat);
    this.sweepTimer.unref();
    this.scheduleAnnounce();
    deps.log.info({ nodeId: deps.nodeId, leaseMs: deps.leaseMs }, "joined the cluster");
  }

  /** Asks every other node to close matching worker connections (token revoked, space gone). */
  disconnectEverywhere(filter: { tokenId?: string; spaceId?: string; tokenless?: boolean }, reason: string): void {
    this.server.serverSideEmit("wsspaces:disconnect", filter, reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    clearTimeout(this.announceTimer);
    this.deps.events.forwarder = undefined;
    // Leaving on purpose: the others need not wait for the lease to run out. What this node's
    // workers hold stays theirs to resume (on this node after a restart, or elsewhere).
    await this.deps.leases.leave(this.deps.nodeId).catch(() => undefined);
  }

  // ---- from other nodes --------------------------------------------------------------------

  private onRemoteRequest(event: RequestEvent): void {
    const { deps } = this;
    deps.events.publish({ ...event, remote: true });
    if (event.type !== "state") return;
    const { row } = event;
    // A request one of our workers holds ended elsewhere (cancel, timeout): tell it, free it.
    if (isTerminalState(row.state) && row.worker_session_id && deps.registry.get(row.worker_session_id)) {
      deps.requests.holderFinished(row.worker_session_id, row.id, row.state);
    }
    // Work arrived (or came back) in a space we have workers for: dispatch now, not at the sweep.
    if (row.state === "queued") {
      deps.onDeadline(row.deadline_at);
      if (deps.registry.countForSpace(row.space_id) > 0) void deps.dispatcher.pump(row.space_id);
    }
  }

  private onRemoteWorkers(nodeId: string, workers: AdminWorkerView[]): void {
    if (nodeId === this.deps.nodeId) return;
    const before = new Set(this.deps.registry.remoteWorkers().flatMap((w) => w.spaces.map((s) => s.id)));
    this.deps.registry.setRemote(nodeId, workers, this.deps.clock.now());
    for (const w of workers) for (const s of w.spaces) before.add(s.id);
    for (const spaceId of before) this.deps.events.spaceChanged(spaceId, { remote: true });
  }

  // ---- timers ------------------------------------------------------------------------------

  /** Tells the others which workers this node has, soon after a change (coalesced). */
  private scheduleAnnounce(): void {
    if (this.closed || this.announceTimer) return;
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined;
      void this.announce();
    }, 100);
    this.announceTimer.unref();
  }

  private async announce(): Promise<void> {
    try {
      this.server.serverSideEmit("wsspaces:workers", this.deps.nodeId, await this.deps.localWorkers());
    } catch (err) {
      this.deps.log.warn({ err }, "could not announce this node's workers");
    }
  }

  private async heartbeat(): Promise<void> {
    const { deps } = this;
    try {
      if (!(await deps.leases.heartbeat(deps.nodeId, deps.clock.now()))) {
        // Declared dead while alive (a long pause): rejoin; survivors may have re-queued our work,
        // and the compare-and-set on each request's holder keeps that consistent.
        deps.log.warn({ nodeId: deps.nodeId }, "this node's lease had expired; rejoining");
        await deps.leases.register(deps.nodeId, deps.clock.now());
      }
      await this.announce();
    } catch (err) {
      deps.log.warn({ err }, "node heartbeat failed");
    }
  }

  /**
   * The slow safety net: claims dead nodes, re-queues what their workers held, forgets their
   * announced workers, and pumps every space this node has workers for.
   */
  private async sweep(): Promise<void> {
    const { deps } = this;
    if (this.closed) return;
    try {
      const now = deps.clock.now();
      for (const dead of await deps.leases.claimExpired(now - deps.leaseMs)) {
        deps.log.warn({ deadNode: dead }, "a server node stopped renewing its lease; taking over its requests");
        await deps.leases.closeSessionsOf(dead, now);
      }
      for (const workerId of await deps.leases.orphanedWorkerSessions()) {
        if (deps.registry.get(workerId)) continue;
        await deps.requests.workerLost(workerId);
      }
      for (const spaceId of deps.registry.dropRemoteOlderThan(now - deps.leaseMs)) deps.events.spaceChanged(spaceId, { remote: true });
      for (const worker of deps.registry.all()) if (!worker.suspended) void deps.dispatcher.pumpWorkerSpaces(worker);
    } catch (err) {
      deps.log.warn({ err }, "cluster sweep failed");
    }
  }
}

/** Only what other nodes need: the remote flag never travels. */
function stripForWire(event: RequestEvent): RequestEvent {
  const { remote: _remote, ...rest } = event;
  return rest;
}
