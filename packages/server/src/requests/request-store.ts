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

  /** One more output file uploaded for the request's current attempt. */
  async countOutputFile(id: string): Promise<void> {
    await this.db
      .updateTable("requests")
      .set((eb) => ({ output_files: eb("output_files", "+", 1) }))
      .where("id", "=", id)
      .execute();
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

  /**
   * The round a new request of `userId` joins: right after that user's last queued request (at
   * the same priority), or the round the queue's head is in if the user has nothing waiting.
   * Dispatch by (priority, fair_tag, seq) then takes one request per user per round.
   */
  async fairTagFor(spaceId: string, userId: string, priority: number): Promise<number> {
    const queued = this.db.selectFrom("requests").where("space_id", "=", spaceId).where("state", "=", "queued").where("priority", "=", priority);
    const own = await queued.select((eb) => eb.fn.max("fair_tag").as("tag")).where("user_id", "=", userId).executeTakeFirst();
    if (own?.tag !== null && own?.tag !== undefined) return Number(own.tag) + 1;
    const head = await queued.select((eb) => eb.fn.min("fair_tag").as("tag")).executeTakeFirst();
    return head?.tag !== null && head?.tag !== undefined ? Number(head.tag) : 0;
  }

  /**
   * Claims the next queued request of a space for a worker — highest priority, then round-robin
   * across users (fair_tag), then submission order — skipping users that already have
   * `userInFlightLimit` requests out. Undefined if there is none.
   */
  async claimNext(spaceId: string, workerSessionId: string, now: number, userInFlightLimit = 0): Promise<RequestRow | undefined> {
    // A lost race (another claimer took the head) just means: look again.
    for (let tries = 0; tries < 5; tries++) {
      let query = this.db
        .selectFrom("requests")
        .select(["id", "attempt"])
        .where("space_id", "=", spaceId)
        .where("state", "=", "queued");
      if (userInFlightLimit > 0) {
        query = query.where("user_id", "not in", (eb) =>
          eb
            .selectFrom("requests as busy")
            .select("busy.user_id")
            .where("busy.space_id", "=", spaceId)
            .where("busy.state", "in", ACTIVE_STATES)
            .groupBy("busy.user_id")
            .having((h) => h.fn.countAll(), ">=", userInFlightLimit),
        );
      }
      const head = await query.orderBy("priority", "desc").orderBy("fair_tag").orderBy("seq").limit(1).executeTakeFirst();
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

  /** Queued requests of a space (a count over all of them: for views, not the submit path). */
  async queueLength(spaceId: string): Promise<number> {
    const row = await this.db
      .selectFrom("requests")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("space_id", "=", spaceId)
      .where("state", "=", "queued")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Whether the space has at least `n` queued requests: looks for the n-th one instead of
   * counting them all, so the cost is bounded by `n`, not by the queue.
   */
  async queueAtLeast(spaceId: string, n: number): Promise<boolean> {
    if (n <= 0) return true;
    const nth = await this.db
      .selectFrom("requests")
      .select("state")
      .where("space_id", "=", spaceId)
      .where("state", "=", "queued")
      .limit(1)
      .offset(n - 1)
      .executeTakeFirst();
    return nth !== undefined;
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

  /** Whether the user has at least `n` queued requests in the space (bounded like queueAtLeast). */
  async queuedForUserAtLeast(spaceId: string, userId: string, n: number): Promise<boolean> {
    if (n <= 0) return true;
    const nth = await this.db
      .selectFrom("requests")
      .select("state")
      .where("space_id", "=", spaceId)
      .where("user_id", "=", userId)
      .where("state", "=", "queued")
      .limit(1)
      .offset(n - 1)
      .executeTakeFirst();
    return nth !== undefined;
  }

  /**
   * 1-based place in dispatch order (priority, fair_tag, seq); per-user caps are not counted.
   * The requests ahead are two ranges of the requests_queue_order index — every higher
   * priority, then this priority up to (fair_tag, seq) — so the count reads only those.
   */
  async positionOf(row: Pick<RequestRow, "space_id" | "seq" | "priority" | "fair_tag">): Promise<number> {
    const queued = this.db.selectFrom("requests").where("space_id", "=", row.space_id).where("state", "=", "queued");
    const ahead = await this.db
      .selectNoFrom([
        queued.select((q) => q.fn.countAll<number>().as("n")).where("priority", ">", row.priority).as("higher"),
        queued
          .select((q) => q.fn.countAll<number>().as("n"))
          .where("priority", "=", row.priority)
          .where((q) => q(q.refTuple("fair_tag", "seq"), "<", q.tuple(row.fair_tag, row.seq)))
          .as("same"),
      ])
      .executeTakeFirstOrThrow();
    return Number(ahead.higher) + Number(ahead.same) + 1;
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
      .orderBy("requests.fair_tag")
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
