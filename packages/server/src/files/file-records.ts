import type { Kysely, Selectable } from "kysely";
import type { Database, FilesTable } from "../db/schema.js";

export type FileRow = Selectable<FilesTable>;

/** The `files` table: which request and user a stored blob belongs to, and what it is. */
export class FileRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(rows: FileRow[]): Promise<void> {
    if (rows.length > 0) await this.db.insertInto("files").values(rows).execute();
  }

  byId(id: string): Promise<FileRow | undefined> {
    return this.db.selectFrom("files").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Inputs, and the outputs of `attempt` (earlier attempts' outputs are leftovers). */
  forRequest(requestId: string, attempt: number): Promise<FileRow[]> {
    return this.db
      .selectFrom("files")
      .selectAll()
      .where("request_id", "=", requestId)
      .where((eb) => eb.or([eb("kind", "=", "input"), eb("attempt", "=", attempt)]))
      .orderBy("kind")
      .orderBy("created_at")
      .orderBy("id")
      .execute();
  }

  inputsOf(requestId: string): Promise<FileRow[]> {
    return this.db.selectFrom("files").selectAll().where("request_id", "=", requestId).where("kind", "=", "input").orderBy("created_at").orderBy("id").execute();
  }

  /**
   * Files whose request ended before `before`, or whose request does not exist any more (a
   * refused submission cut short by a crash, a retention sweep of requests), created before it.
   */
  expired(before: number, limit: number): Promise<Pick<FileRow, "id" | "sha256">[]> {
    return this.db
      .selectFrom("files")
      .leftJoin("requests", "requests.id", "files.request_id")
      .select(["files.id", "files.sha256"])
      .where("files.created_at", "<", before)
      .where((eb) => eb.or([eb("requests.id", "is", null), eb("requests.finished_at", "<", before)]))
      .limit(limit)
      .execute();
  }

  async deleteIds(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.db.deleteFrom("files").where("id", "in", ids).execute();
  }

  /** Of these blobs, the ones no file row names any more. */
  async unreferenced(sha256s: string[]): Promise<string[]> {
    if (sha256s.length === 0) return [];
    const still = await this.db.selectFrom("files").select("sha256").where("sha256", "in", sha256s).execute();
    const kept = new Set(still.map((r) => r.sha256));
    return [...new Set(sha256s)].filter((sha) => !kept.has(sha));
  }
}
