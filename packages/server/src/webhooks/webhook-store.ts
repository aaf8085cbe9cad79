import type { Kysely, Selectable } from "kysely";
import type { Database, WebhookDeliveriesTable } from "../db/schema.js";
import { randomToken } from "../util/secrets.js";

export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

export class WebhookStore {
  constructor(private readonly db: Kysely<Database>) {}

  async record(row: DeliveryRow): Promise<void> {
    await this.db.insertInto("webhook_deliveries").values(row).execute();
  }

  forRequest(requestId: string): Promise<DeliveryRow[]> {
    return this.db.selectFrom("webhook_deliveries").selectAll().where("request_id", "=", requestId).orderBy("attempted_at").orderBy("attempt").execute();
  }

  /** The user's signing secret, created on first use. */
  async secretFor(userId: string): Promise<string> {
    const row = await this.db.selectFrom("users").select("webhook_secret").where("id", "=", userId).executeTakeFirst();
    if (row?.webhook_secret) return row.webhook_secret;
    const secret = `whsec_${randomToken(24)}`;
    // Set only if still unset, so two first uses at once agree on one secret.
    await this.db.updateTable("users").set({ webhook_secret: secret }).where("id", "=", userId).where("webhook_secret", "is", null).execute();
    const again = await this.db.selectFrom("users").select("webhook_secret").where("id", "=", userId).executeTakeFirst();
    return again?.webhook_secret ?? secret;
  }

  async rotateSecret(userId: string): Promise<string> {
    const secret = `whsec_${randomToken(24)}`;
    await this.db.updateTable("users").set({ webhook_secret: secret }).where("id", "=", userId).execute();
    return secret;
  }

  /**
   * Requests whose delivery was under way when the server stopped: finished with a webhook
   * since `since`, whose latest recorded attempt is neither delivered nor given up.
   */
  async unfinished(since: number): Promise<{ requestId: string; nextAttempt: number; at: number }[]> {
    const requests = await this.db
      .selectFrom("requests")
      .select(["id", "finished_at"])
      .where("webhook", "is not", null)
      .where("finished_at", ">=", since)
      .execute();
    const pending: { requestId: string; nextAttempt: number; at: number }[] = [];
    for (const request of requests) {
      const last = await this.db
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("request_id", "=", request.id)
        .orderBy("attempt", "desc")
        .limit(1)
        .executeTakeFirst();
      if (!last) pending.push({ requestId: request.id, nextAttempt: 1, at: 0 });
      else if (last.outcome === "retrying") pending.push({ requestId: request.id, nextAttempt: last.attempt + 1, at: last.next_attempt_at ?? 0 });
    }
    return pending;
  }
}
