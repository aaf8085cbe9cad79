import type { Kysely, Selectable, Updateable } from "kysely";
import type { RequestState } from "@wsspaces/protocol";
import { ACTIVE_STATES } from "@wsspaces/protocol";
import type { Database, RequestsTable } from "../db/schema.js";

export type RequestRow = Selectable<RequestsTable>;
export type NewRequestRow = Omit<RequestRow, "seq">;

export const NON_TERMINAL_STATES = ["queued", "dispatched", "running"] as const satisfies readonly RequestState[];

export interface QueueRow {
  id: string;
  seq: number;
  user_id: string;
  username: string;
  state: RequestState;
}

/**
 * Every read and conditional write on `requests`. Transitions are compare-and-set updates
 * (`WHERE state IN (…)`): the database decides which of two racing writers wins.
 */
export class RequestStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: NewRequestRow): Promise<RequestRow> {
    return this.db.insertInto("requests").values(row).returningAll().executeTakeFirstOrThrow();
  }

  byId(id: string): Promise<RequestRow | undefined> {
    return this.db.selectFrom("requests").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /**
   * Applies `changes` only if the request is still in one of `from` (and, when given, still
   * held by `workerSessionId`). Returns the updated row, or undefined if someone else won.
   */
  async transition(
    id: string,
    from: readonly RequestState[],
    changes: Updateable<RequestsTable>,
    guard: { workerSessionId?: string } = {},
  ): Promise<RequestRow | undefined> {
    let query = this.db.updateTable("requests").set(changes).where("id", "=", id).where("state", "in", from);
    if (guard.workerSessionId !== undefined) query = query.where("worker_session_id", "=", guard.workerSessionId);
    return query.returningAll().executeTakeFirst();
  }

  /** Claims the oldest queued request of a space for a worker (FIFO), or returns undefined. */
  async claimNext(spaceId: string, workerSessionId: string, now: number): Promise<RequestRow | undefined> {
    // A lost race (another claimer took the head) just means: look again.
    for (let tries = 0; tries < 5; tries++) {
      const head = await this.db
        .selectFrom("requests")
        .select(["id", "attempt"])
        .where("space_id", "=", spaceId)
        .where("state", "=", "queued")
        .orderBy("priority", "desc")
        .orderBy("seq")
        .limit(1)
        .executeTakeFirst();
      if (!head) return undefined;
      const claimed = await this.transition(head.id, ["queued"], {
        state: "dispatched",
        attempt: head.attempt + 1,
        worker_session_id: workerSessionId,
        dispatched_at: now,
        updated_at: now,
        progress: null,
        progress_message: null,
      });
      if (claimed) return claimed;
    }
    return undefined;
  }

  async queueLength(spaceId: string): Promise<number> {
    const row = await this.db
      .selectFrom("requests")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("space_id", "=", spaceId)
      .where("state", "=", "queued")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async queuedForUser(spaceId: string, userId: string): Promise<number> {
    const row = await this.db
      .selectFrom("requests")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("space_id", "=", spaceId)
      .where("user_id", "=", userId)
      .where("state", "=", "queued")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** 1-based place of a queued request in its space's dispatch order. */
  async positionOf(row: Pick<RequestRow, "space_id" | "seq" | "priority">): Promise<number> {
    const ahead = await this.db
      .selectFrom("requests")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("space_id", "=", row.space_id)
      .where("state", "=", "queued")
      .where((eb) => eb.or([eb("priority", ">", row.priority), eb.and([eb("priority", "=", row.priority), eb("seq", "<", row.seq)])]))
      .executeTakeFirstOrThrow();
    return Number(ahead.n) + 1;
  }

  /** Requests being worked on, then the queue in dispatch order. */
  async queueEntries(spaceId: string, limit: number): Promise<QueueRow[]> {
    const base = this.db
      .selectFrom("requests")
      .innerJoin("users", "users.id", "requests.user_id")
      .select(["requests.id", "requests.seq", "requests.user_id", "users.username", "requests.state"])
      .where("requests.space_id", "=", spaceId);
    const active = await base.where("requests.state", "in", ACTIVE_STATES).orderBy("requests.seq").limit(limit).execute();
    const queued = await base
      .where("requests.state", "=", "queued")
      .orderBy("requests.priority", "desc")
      .orderBy("requests.seq")
      .limit(limit)
      .execute();
    return [...active, ...queued];
  }

  activeForWorker(workerSessionId: string): Promise<RequestRow[]> {
    return this.db
      .selectFrom("requests")
      .selectAll()
      .where("worker_session_id", "=", workerSessionId)
      .where("state", "in", ACTIVE_STATES)
      .execute();
  }

  allActive(): Promise<RequestRow[]> {
    return this.db.selectFrom("requests").selectAll().where("state", "in", ACTIVE_STATES).execute();
  }

  nonTerminalForSpace(spaceId: string): Promise<RequestRow[]> {
    return this.db.selectFrom("requests").selectAll().where("space_id", "=", spaceId).where("state", "in", NON_TERMINAL_STATES).execute();
  }

  async earliestDeadline(): Promise<number | null> {
    const row = await this.db
      .selectFrom("requests")
      .select((eb) => eb.fn.min<number>("deadline_at").as("at"))
      .where("state", "in", NON_TERMINAL_STATES)
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  expired(now: number, limit: number): Promise<RequestRow[]> {
    return this.db
      .selectFrom("requests")
      .selectAll()
      .where("state", "in", NON_TERMINAL_STATES)
      .where("deadline_at", "<=", now)
      .orderBy("deadline_at")
      .limit(limit)
      .execute();
  }

  /** Newest first, each with its submitter's username. */
  list(filter: { userId?: string; spaceId?: string; state?: RequestState; limit: number }): Promise<(RequestRow & { username: string })[]> {
    let query = this.db.selectFrom("requests").innerJoin("users", "users.id", "requests.user_id").selectAll("requests").select("users.username");
    if (filter.userId !== undefined) query = query.where("requests.user_id", "=", filter.userId);
    if (filter.spaceId !== undefined) query = query.where("requests.space_id", "=", filter.spaceId);
    if (filter.state !== undefined) query = query.where("requests.state", "=", filter.state);
    return query.orderBy("requests.seq", "desc").limit(filter.limit).execute();
  }

  /** Timestamps of requests created, dispatched or finished since `since` (the admin overview). */
  activitySince(since: number): Promise<Pick<RequestRow, "space_id" | "state" | "created_at" | "dispatched_at" | "started_at" | "finished_at">[]> {
    return this.db
      .selectFrom("requests")
      .select(["space_id", "state", "created_at", "dispatched_at", "started_at", "finished_at"])
      .where((eb) => eb.or([eb("created_at", ">=", since), eb("finished_at", ">=", since), eb("dispatched_at", ">=", since)]))
      .execute();
  }

  /** Unfinished requests per space and state, with the oldest one's creation time. */
  async activeCounts(): Promise<{ space_id: string; state: RequestState; count: number; oldest_created_at: number }[]> {
    const rows = await this.db
      .selectFrom("requests")
      .select((eb) => ["space_id", "state", eb.fn.countAll<number>().as("count"), eb.fn.min("created_at").as("oldest")])
      .where("state", "in", NON_TERMINAL_STATES)
      .groupBy(["space_id", "state"])
      .execute();
    return rows.map((r) => ({ space_id: r.space_id, state: r.state, count: Number(r.count), oldest_created_at: Number(r.oldest) }));
  }

  /** Run times (start to finish, ms) of the space's latest completed requests, oldest first. */
  async recentRunTimes(spaceId: string, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom("requests")
      .select(["started_at", "dispatched_at", "finished_at"])
      .where("space_id", "=", spaceId)
      .where("state", "=", "completed")
      .orderBy("seq", "desc")
      .limit(limit)
      .execute();
    return rows
      .map((r) => Number(r.finished_at) - Number(r.started_at ?? r.dispatched_at))
      .filter((ms) => Number.isFinite(ms) && ms >= 0)
      .reverse();
  }

  async usernameOf(userId: string): Promise<string> {
    const row = await this.db.selectFrom("users").select("username").where("id", "=", userId).executeTakeFirst();
    return row?.username ?? "unknown";
  }
}
