import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { migrateOrThrow, type OpenedDatabase } from "@wsspaces/server";
import { RequestStore, type NewRequestRow } from "../packages/server/src/requests/request-store.js";
import { SpaceStore } from "../packages/server/src/spaces/space-store.js";
import { UserStore } from "../packages/server/src/auth/user-store.js";
import { SessionStore } from "../packages/server/src/auth/session-store.js";
import { ApiKeyStore } from "../packages/server/src/auth/api-key-store.js";
import { WorkerTokenStore } from "../packages/server/src/spaces/worker-token-store.js";
import type { Database } from "../packages/server/src/db/schema.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "./helpers/database.js";

/** The storage layer, run on every dialect of DIALECTS (SQLite and PostgreSQL by default). */
describe.each(DIALECTS)("storage on %s", (dialect) => {
  let testDb: TestDatabase;
  let opened: OpenedDatabase;
  let db: Kysely<Database>;
  let requests: RequestStore;
  let spaces: SpaceStore;
  let users: UserStore;
  let n = 0;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
    opened = testDb.open();
    db = opened.db;
    await migrateOrThrow(db, opened.caps);
    requests = new RequestStore(db);
    spaces = new SpaceStore(db);
    users = new UserStore(db);
  });

  afterAll(async () => {
    await db.destroy();
    await testDb.drop();
  });

  async function makeUser(name = `user${n++}`) {
    const row = { id: `usr_${name}`, username: name, username_key: name.toLowerCase(), password_hash: "x", role: "user" as const, disabled: 0, created_at: Date.now(), webhook_secret: null };
    await users.insert(row);
    return row;
  }

  async function makeSpace(name = `Space${n++}`) {
    const now = Date.now();
    const row = {
      id: `spc_${name}`,
      name,
      name_key: name.toLowerCase(),
      description: "",
      inputs: '["prompt"]',
      timeout_seconds: 120,
      max_queue: 100,
      queue_offline: 0,
      open_workers: 0,
      pause: "off" as const,
      user_in_flight_limit: 0,
      max_file_mb: 100,
      max_upload_mb: 200,
      file_types: "[]",
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    await spaces.insert(row);
    return row;
  }

  function newRequest(spaceId: string, userId: string, overrides: Partial<NewRequestRow> = {}): NewRequestRow {
    const now = Date.now();
    return {
      id: `req_${n++}`,
      space_id: spaceId,
      user_id: userId,
      state: "queued",
      fair_tag: 0,
      webhook: null,
      priority: 0,
      prompt: "hello",
      inputs: "{}",
      attempt: 0,
      max_attempts: 3,
      worker_session_id: null,
      progress: null,
      progress_message: null,
      result: null,
      error_code: null,
      error_message: null,
      created_at: now,
      updated_at: now,
      dispatched_at: null,
      started_at: null,
      finished_at: null,
      deadline_at: now + 120_000,
      input_files: 0,
      output_files: 0,
      ...overrides,
    };
  }

  it("applies migrations once and again as a no-op", async () => {
    expect(await migrateOrThrow(db, opened.caps)).toEqual([]);
  });

  it("finds users case-insensitively and refuses a duplicate name", async () => {
    await makeUser("Alice");
    expect((await users.byUsername("alice"))?.username).toBe("Alice");
    await expect(makeUser("ALICE")).rejects.toThrow();
  });

  it("keeps space names unique regardless of case, and frees the name on delete", async () => {
    const space = await makeSpace("Whisper");
    await expect(makeSpace("whisper")).rejects.toThrow();
    expect(await spaces.markDeleted(space.id, Date.now())).toBe(true);
    expect(await spaces.byId(space.id)).toBeUndefined();
    const again = await makeSpace("WHISPER");
    expect((await spaces.byName("whisper"))?.id).toBe(again.id);
  });

  it("stores sessions by hash and only returns live ones", async () => {
    const user = await makeUser();
    const sessions = new SessionStore(db);
    const now = Date.now();
    await sessions.insert({ id: "hash-live", user_id: user.id, csrf_token: "c", created_at: now, expires_at: now + 1000, last_seen_at: now });
    await sessions.insert({ id: "hash-old", user_id: user.id, csrf_token: "c", created_at: now, expires_at: now - 1, last_seen_at: now });
    expect((await sessions.findLive("hash-live", now))?.user.username).toBe(user.username);
    expect(await sessions.findLive("hash-old", now)).toBeUndefined();
  });

  it("finds API keys and worker tokens only while unrevoked", async () => {
    const user = await makeUser();
    const keys = new ApiKeyStore(db);
    await keys.insert({ id: `key_${n++}`, user_id: user.id, name: "k", prefix: "wsk_", key_hash: `kh${n}`, created_at: 1, last_used_at: null, revoked_at: null });
    const [key] = await keys.listForUser(user.id);
    expect(key).toBeDefined();
    expect((await keys.findActive(key!.key_hash))?.user.id).toBe(user.id);
    expect(await keys.revoke(key!.id, user.id, Date.now())).toBe(true);
    expect(await keys.findActive(key!.key_hash)).toBeUndefined();

    const space = await makeSpace();
    const tokens = new WorkerTokenStore(db);
    await tokens.insert({ id: `wtk_${n++}`, space_id: space.id, name: "t", prefix: "wss_", token_hash: `th${n}`, created_at: 1, last_used_at: null, revoked_at: null });
    const [token] = await tokens.listForSpace(space.id);
    expect((await tokens.findActive(token!.token_hash))?.space_id).toBe(space.id);
    expect(await tokens.revoke(space.id, token!.id, Date.now())).toBe(true);
    expect(await tokens.findActive(token!.token_hash)).toBeUndefined();
  });

  it("claims queued requests in FIFO order and counts positions", async () => {
    const user = await makeUser();
    const space = await makeSpace();
    const rows = [];
    for (let i = 0; i < 3; i++) rows.push(await requests.insert(newRequest(space.id, user.id)));
    expect(rows[1]!.seq).toBeGreaterThan(rows[0]!.seq);
    expect(await requests.positionOf(rows[2]!)).toBe(3);
    expect(await requests.queueLength(space.id)).toBe(3);
    expect(await requests.queuedForUser(space.id, user.id)).toBe(3);

    const first = await requests.claimNext(space.id, "wrk_a", Date.now());
    expect(first?.id).toBe(rows[0]!.id);
    expect(first?.state).toBe("dispatched");
    expect(first?.attempt).toBe(1);
    expect(first?.worker_session_id).toBe("wrk_a");
    expect(await requests.positionOf(rows[2]!)).toBe(2);
    expect((await requests.activeForWorker("wrk_a")).map((r) => r.id)).toEqual([rows[0]!.id]);

    const entries = await requests.queueEntries(space.id, 10);
    expect(entries.map((e) => [e.id, e.state])).toEqual([
      [rows[0]!.id, "dispatched"],
      [rows[1]!.id, "queued"],
      [rows[2]!.id, "queued"],
    ]);
  });

  it("lets exactly one of many concurrent claimers take each request", async () => {
    const user = await makeUser();
    const space = await makeSpace();
    for (let i = 0; i < 5; i++) await requests.insert(newRequest(space.id, user.id));
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => requests.claimNext(space.id, `wrk_${i}`, Date.now())));
    const claimed = claims.filter((c) => c !== undefined).map((c) => c.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.length).toBe(5);
    expect(await requests.queueLength(space.id)).toBe(0);
  });

  it("applies a transition only from the expected state and holder", async () => {
    const user = await makeUser();
    const space = await makeSpace();
    const row = await requests.insert(newRequest(space.id, user.id));
    const claimed = await requests.claimNext(space.id, "wrk_holder", Date.now());
    expect(claimed?.id).toBe(row.id);
    // Another worker cannot finish it.
    expect(await requests.transition(row.id, ["dispatched", "running"], { state: "completed" }, { workerSessionId: "wrk_other" })).toBeUndefined();
    const done = await requests.transition(row.id, ["dispatched", "running"], { state: "completed", result: '{"ok":1}' }, { workerSessionId: "wrk_holder" });
    expect(done?.state).toBe("completed");
    // A terminal request never changes again.
    expect(await requests.transition(row.id, ["queued", "dispatched", "running"], { state: "cancelled" })).toBeUndefined();
    expect((await requests.byId(row.id))?.state).toBe("completed");
  });

  it("reports the earliest deadline and the expired requests", async () => {
    const user = await makeUser();
    const space = await makeSpace();
    const now = Date.now();
    const soon = await requests.insert(newRequest(space.id, user.id, { deadline_at: now - 10 }));
    await requests.insert(newRequest(space.id, user.id, { deadline_at: now + 60_000, state: "completed" }));
    const earliest = await requests.earliestDeadline();
    expect(earliest).not.toBeNull();
    expect(earliest!).toBeLessThanOrEqual(now - 10);
    const expired = await requests.expired(now, 100);
    expect(expired.map((r) => r.id)).toContain(soon.id);
    expect(expired.every((r) => r.state !== "completed")).toBe(true);
    expect(typeof expired[0]!.deadline_at).toBe("number");
  });

  it("lists a user's requests newest first and filters by state", async () => {
    const user = await makeUser();
    const space = await makeSpace();
    const a = await requests.insert(newRequest(space.id, user.id));
    const b = await requests.insert(newRequest(space.id, user.id, { state: "failed" }));
    expect((await requests.list({ userId: user.id, limit: 10 })).map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await requests.list({ userId: user.id, state: "failed", limit: 10 })).map((r) => r.id)).toEqual([b.id]);
  });
});
