import type { Kysely, Selectable } from "kysely";
import type { ApiKeysTable, Database } from "../db/schema.js";
import type { UserRow } from "./user-store.js";

export type ApiKeyRow = Selectable<ApiKeysTable>;

export class ApiKeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto("api_keys").values(row).execute();
  }

  listForUser(userId: string): Promise<ApiKeyRow[]> {
    return this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .orderBy("created_at", "desc")
      .execute();
  }

  /** The unrevoked key with this hash and its enabled user. */
  async findActive(keyHash: string): Promise<{ key: ApiKeyRow; user: UserRow } | undefined> {
    const key = await this.db
      .selectFrom("api_keys")
      .selectAll()
      .where("key_hash", "=", keyHash)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (!key) return undefined;
    const user = await this.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", key.user_id)
      .where("disabled", "=", 0)
      .executeTakeFirst();
    return user ? { key, user } : undefined;
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id).execute();
  }

  /** True when a key of this user was revoked by this call. */
  async revoke(id: string, userId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("api_keys")
      .set({ revoked_at: now })
      .where("id", "=", id)
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
