import type { Kysely, Selectable } from "kysely";
import type { Database, SessionsTable } from "../db/schema.js";
import type { UserRow } from "./user-store.js";

export type SessionRow = Selectable<SessionsTable>;

export class SessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: SessionRow): Promise<void> {
    await this.db.insertInto("sessions").values(row).execute();
  }

  /** The live session with this hash and its (enabled) user. */
  async findLive(idHash: string, now: number): Promise<{ session: SessionRow; user: UserRow } | undefined> {
    const row = await this.db
      .selectFrom("sessions")
      .innerJoin("users", "users.id", "sessions.user_id")
      .selectAll("sessions")
      .select(["users.username", "users.username_key", "users.password_hash", "users.role", "users.disabled", "users.created_at as user_created_at", "users.webhook_secret"])
      .where("sessions.id", "=", idHash)
      .where("sessions.expires_at", ">", now)
      .where("users.disabled", "=", 0)
      .executeTakeFirst();
    if (!row) return undefined;
    const { username, username_key, password_hash, role, disabled, user_created_at, webhook_secret, ...session } = row;
    return {
      session,
      user: { id: session.user_id, username, username_key, password_hash, role, disabled, created_at: user_created_at, webhook_secret },
    };
  }

  async touch(idHash: string, now: number, expiresAt: number): Promise<void> {
    await this.db.updateTable("sessions").set({ last_seen_at: now, expires_at: expiresAt }).where("id", "=", idHash).execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("id", "=", idHash).execute();
  }
}
