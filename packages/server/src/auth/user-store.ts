import type { Kysely, Selectable } from "kysely";
import type { Database, UsersTable } from "../db/schema.js";

export type UserRow = Selectable<UsersTable>;

export class UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: UserRow): Promise<void> {
    await this.db.insertInto("users").values(row).execute();
  }

  byId(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  byUsername(username: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("username_key", "=", username.toLowerCase()).executeTakeFirst();
  }

  list(limit: number): Promise<UserRow[]> {
    return this.db.selectFrom("users").selectAll().orderBy("created_at").limit(limit).execute();
  }

  async countAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("role", "=", "admin")
      .where("disabled", "=", 0)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.db.updateTable("users").set({ disabled: disabled ? 1 : 0 }).where("id", "=", id).execute();
  }

  async setRole(id: string, role: UserRow["role"]): Promise<void> {
    await this.db.updateTable("users").set({ role }).where("id", "=", id).execute();
  }

  async setPassword(id: string, passwordHash: string): Promise<void> {
    await this.db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", id).execute();
  }
}
