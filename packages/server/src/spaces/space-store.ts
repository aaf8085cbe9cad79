import type { Kysely, Selectable, Updateable } from "kysely";
import type { Database, SpacesTable } from "../db/schema.js";

export type SpaceRow = Selectable<SpacesTable>;

export class SpaceStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: SpaceRow): Promise<void> {
    await this.db.insertInto("spaces").values(row).execute();
  }

  byId(id: string): Promise<SpaceRow | undefined> {
    return this.db.selectFrom("spaces").selectAll().where("id", "=", id).where("deleted_at", "is", null).executeTakeFirst();
  }

  byName(name: string): Promise<SpaceRow | undefined> {
    return this.db.selectFrom("spaces").selectAll().where("name_key", "=", name.trim().toLowerCase()).executeTakeFirst();
  }

  list(): Promise<SpaceRow[]> {
    return this.db.selectFrom("spaces").selectAll().where("deleted_at", "is", null).orderBy("name_key").execute();
  }

  async update(id: string, changes: Updateable<SpacesTable>): Promise<void> {
    await this.db.updateTable("spaces").set(changes).where("id", "=", id).where("deleted_at", "is", null).execute();
  }

  /** Soft delete: requests keep their space, and the name is free again. */
  async markDeleted(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("spaces")
      .set({ deleted_at: now, name_key: null, updated_at: now })
      .where("id", "=", id)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
