import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema.js";

/**
 * This node's row in `nodes`, kept fresh by a heartbeat: a node whose heartbeat is older than
 * the lease is dead, and the survivors take over what it held.
 */
export class NodeLeases {
  constructor(private readonly db: Kysely<Database>) {}

  async register(nodeId: string, now: number): Promise<void> {
    await this.db.insertInto("nodes").values({ id: nodeId, started_at: now, heartbeat_at: now }).execute();
  }

  /** Renews the lease; false if the row is gone (a survivor declared this node dead). */
  async heartbeat(nodeId: string, now: number): Promise<boolean> {
    const result = await this.db.updateTable("nodes").set({ heartbeat_at: now }).where("id", "=", nodeId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async isAlive(nodeId: string, since: number): Promise<boolean> {
    const row = await this.db.selectFrom("nodes").select("id").where("id", "=", nodeId).where("heartbeat_at", ">=", since).executeTakeFirst();
    return row !== undefined;
  }

  async leave(nodeId: string): Promise<void> {
    await this.db.deleteFrom("nodes").where("id", "=", nodeId).execute();
  }

  /**
   * Deletes the rows of nodes whose lease ran out and returns their ids. A delete is atomic, so
   * of several survivors sweeping at once each dead node is claimed by exactly one.
   */
  async claimExpired(before: number): Promise<string[]> {
    const rows = await this.db.deleteFrom("nodes").where("heartbeat_at", "<", before).returning("id").execute();
    return rows.map((r) => r.id);
  }

  /**
   * Worker connections whose node is no longer alive (dead, or from before the cluster) and that
   * still hold unfinished requests.
   */
  async orphanedWorkerSessions(): Promise<string[]> {
    const rows = await this.db
      .selectFrom("requests")
      .select("worker_session_id")
      .distinct()
      .where("state", "in", ["dispatched", "running"])
      .where("worker_session_id", "is not", null)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("worker_sessions")
              .innerJoin("nodes", "nodes.id", "worker_sessions.node_id")
              .select(sql<number>`1`.as("one"))
              .whereRef("worker_sessions.id", "=", "requests.worker_session_id"),
          ),
        ),
      )
      .execute();
    return rows.map((r) => r.worker_session_id).filter((id): id is string => id !== null);
  }

  async closeSessionsOf(nodeId: string, now: number): Promise<void> {
    await this.db.updateTable("worker_sessions").set({ disconnected_at: now }).where("node_id", "=", nodeId).where("disconnected_at", "is", null).execute();
  }
}
