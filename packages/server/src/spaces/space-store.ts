import type { Kysely, Selectable, Updateable } from "kysely";
import type { Database, SpacesTable } from "../db/schema.js";

export type SpaceRow = Selectable<SpacesTable>;

/**
 * How long a space read by id may be reused. Every submission and dispatch round reads its space;
 * changes made on this node drop the copy at once, changes made on another node (multi-node)
 * are seen within this time.
 */
const CACHE_MS = 1000;

export class SpaceStore {
  private readonly cache = new Map<string, { row: SpaceRow | undefined; at: number }>();

  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: SpaceRow): Promise<void> {
    await this.db.insertInto("spaces").values(row).execute();
  }

  async byId(id: string): Promise<SpaceRow | undefined> {
    const now = Date.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.at < CACHE_MS) return cached.row;
    const row = await this.db.selectFrom("spaces").selectAll().where("id", "=", id).where("deleted_at", "is", null).executeTakeFirst();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { row, at: now });
    return row;
  }

  byName(name: string): Promise<SpaceRow | undefined> {
    return this.db.selectFrom("spaces").selectAll().where("name_key", "=", name.trim().toLowerCase()).executeTakeFirst();
  }

  list(): Promise<SpaceRow[]> {
    return this.db.selectFrom("spaces").selectAll().where("deleted_at", "is", null).orderBy("name_key").execute();
  }

  async update(id: string, changes: Updateable<SpacesTable>): Promise<void> {
    this.cache.delete(id);
    await this.db.updateTable("spaces").set(changes).where("id", "=", id).where("deleted_at", "is", null).execute();
    // Again after the write: a read that ran during it may have cached the old row.
    this.cache.delete(id);
  }

  /** Soft delete: requests keep their space, and the name is free again. */
  async markDeleted(id: string, now: number): Promise<boolean> {
    this.cache.delete(id);
    const result = await this.db
      .updateTable("spaces")
      .set({ deleted_at: now, name_key: null, updated_at: now })
      .where("id", "=", id)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    this.cache.delete(id);
    return result.numUpdatedRows > 0n;
  }
}
