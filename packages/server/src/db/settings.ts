import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * A random secret made once and shared by every node through the database (the first node to
 * start writes it; the others read the same row).
 */
export async function sharedSecret(db: Kysely<Database>, key: string): Promise<Buffer> {
  await db
    .insertInto("settings")
    .values({ key, value: randomBytes(32).toString("base64url") })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  const row = await db.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirstOrThrow();
  return Buffer.from(row.value, "base64url");
}
