import type { Kysely, Selectable } from "kysely";
import type { Database, WorkerTokensTable } from "../db/schema.js";

export type WorkerTokenRow = Selectable<WorkerTokensTable>;

export class WorkerTokenStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: WorkerTokenRow): Promise<void> {
    await this.db.insertInto("worker_tokens").values(row).execute();
  }

  listForSpace(spaceId: string): Promise<WorkerTokenRow[]> {
    return this.db.selectFrom("worker_tokens").selectAll().where("space_id", "=", spaceId).orderBy("created_at", "desc").execute();
  }

  /** An unrevoked token of a space that still exists. */
  findActive(tokenHash: string): Promise<WorkerTokenRow | undefined> {
    return this.db
      .selectFrom("worker_tokens")
      .innerJoin("spaces", "spaces.id", "worker_tokens.space_id")
      .selectAll("worker_tokens")
      .where("worker_tokens.token_hash", "=", tokenHash)
      .where("worker_tokens.revoked_at", "is", null)
      .where("spaces.deleted_at", "is", null)
      .executeTakeFirst();
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable("worker_tokens").set({ last_used_at: now }).where("id", "=", id).execute();
  }

  async revoke(spaceId: string, id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("worker_tokens")
      .set({ revoked_at: now })
      .where("id", "=", id)
      .where("space_id", "=", spaceId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async revokeAllForSpace(spaceId: string, now: number): Promise<void> {
    await this.db.updateTable("worker_tokens").set({ revoked_at: now }).where("space_id", "=", spaceId).where("revoked_at", "is", null).execute();
  }
}
