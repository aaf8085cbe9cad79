import type { Kysely, Selectable } from "kysely";
import type { Database, WorkerSessionsTable } from "../db/schema.js";

export type WorkerSessionRow = Selectable<WorkerSessionsTable>;

/** The record of worker connections (who served, when); live state is in WorkerRegistry. */
export class WorkerSessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: WorkerSessionRow): Promise<void> {
    await this.db.insertInto("worker_sessions").values(row).execute();
  }

  async markDisconnected(id: string, now: number): Promise<void> {
    await this.db.updateTable("worker_sessions").set({ disconnected_at: now, last_seen_at: now }).where("id", "=", id).execute();
  }

  byId(id: string): Promise<WorkerSessionRow | undefined> {
    return this.db.selectFrom("worker_sessions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async markResumed(id: string, now: number): Promise<void> {
    await this.db.updateTable("worker_sessions").set({ disconnected_at: null, last_seen_at: now }).where("id", "=", id).execute();
  }

  /** Multi-node: the connection continues on this node. */
  async adopt(id: string, nodeId: string, now: number): Promise<void> {
    await this.db.updateTable("worker_sessions").set({ node_id: nodeId, disconnected_at: null, last_seen_at: now }).where("id", "=", id).execute();
  }

  /** Start-up: sessions a previous run of this node left open are over. */
  async closeAllOpen(now: number): Promise<void> {
    await this.db.updateTable("worker_sessions").set({ disconnected_at: now }).where("disconnected_at", "is", null).execute();
  }
}
