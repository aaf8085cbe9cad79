import { sql, type Kysely, type Migration } from "kysely";
import type { DialectCapabilities } from "./dialect.js";

/* Numbered, ordered migrations; one set for every dialect. Never edit a released one. */

// Migrations operate on a schema that changes over time, so they use an untyped Kysely.
type AnyDb = Kysely<unknown>;

export function buildMigrations(caps: DialectCapabilities): Record<string, Migration> {
  return {
    "0001_initial": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("users")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("username", "text", (c) => c.notNull())
          .addColumn("username_key", "text", (c) => c.notNull().unique())
          .addColumn("password_hash", "text", (c) => c.notNull())
          .addColumn("role", "text", (c) => c.notNull().defaultTo("user"))
          .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();

        await db.schema
          .createTable("sessions")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("csrf_token", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .addColumn("last_seen_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();

        await db.schema
          .createTable("api_keys")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("prefix", "text", (c) => c.notNull())
          .addColumn("key_hash", "text", (c) => c.notNull().unique())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_used_at", "bigint")
          .addColumn("revoked_at", "bigint")
          .execute();
        await db.schema.createIndex("api_keys_user").on("api_keys").column("user_id").execute();

        await db.schema
          .createTable("spaces")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("name_key", "text", (c) => c.unique())
          .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
          .addColumn("inputs", "text", (c) => c.notNull())
          .addColumn("timeout_seconds", "integer", (c) => c.notNull())
          .addColumn("max_queue", "integer", (c) => c.notNull())
          .addColumn("queue_offline", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("open_workers", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .addColumn("deleted_at", "bigint")
          .execute();

        await db.schema
          .createTable("worker_tokens")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("space_id", "text", (c) => c.notNull().references("spaces.id").onDelete("cascade"))
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("prefix", "text", (c) => c.notNull())
          .addColumn("token_hash", "text", (c) => c.notNull().unique())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_used_at", "bigint")
          .addColumn("revoked_at", "bigint")
          .execute();
        await db.schema.createIndex("worker_tokens_space").on("worker_tokens").column("space_id").execute();

        await db.schema
          .createTable("worker_sessions")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("node_id", "text", (c) => c.notNull())
          .addColumn("token_id", "text")
          .addColumn("space_ids", "text", (c) => c.notNull())
          .addColumn("name", "text")
          .addColumn("version", "text")
          .addColumn("capacity", "integer", (c) => c.notNull())
          .addColumn("connected_at", "bigint", (c) => c.notNull())
          .addColumn("last_seen_at", "bigint", (c) => c.notNull())
          .addColumn("disconnected_at", "bigint")
          .execute();
        await db.schema.createIndex("worker_sessions_node").on("worker_sessions").columns(["node_id", "disconnected_at"]).execute();

        await db.schema
          .createTable("requests")
          .addColumn("seq", caps.identityColumn.type, caps.identityColumn.modify)
          .addColumn("id", "text", (c) => c.notNull().unique())
          .addColumn("space_id", "text", (c) => c.notNull().references("spaces.id"))
          .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
          .addColumn("state", "text", (c) => c.notNull())
          .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("prompt", "text")
          .addColumn("inputs", "text", (c) => c.notNull().defaultTo("{}"))
          .addColumn("attempt", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("max_attempts", "integer", (c) => c.notNull())
          .addColumn("worker_session_id", "text")
          .addColumn("progress", "real")
          .addColumn("progress_message", "text")
          .addColumn("result", "text")
          .addColumn("error_code", "text")
          .addColumn("error_message", "text")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .addColumn("dispatched_at", "bigint")
          .addColumn("started_at", "bigint")
          .addColumn("finished_at", "bigint")
          .addColumn("deadline_at", "bigint", (c) => c.notNull())
          .execute();
        // The dispatcher's and the queue view's access path: a space's queued requests in order.
        await db.schema.createIndex("requests_space_state_seq").on("requests").columns(["space_id", "state", "seq"]).execute();
        // The deadline timer's: earliest deadline among non-terminal requests.
        await db.schema.createIndex("requests_state_deadline").on("requests").columns(["state", "deadline_at"]).execute();
        await db.schema.createIndex("requests_user_created").on("requests").columns(["user_id", "created_at"]).execute();
        await db.schema.createIndex("requests_worker").on("requests").column("worker_session_id").execute();
      },
      async down(db: AnyDb) {
        for (const table of ["requests", "worker_sessions", "worker_tokens", "spaces", "api_keys", "sessions", "users"]) {
          await db.schema.dropTable(table).ifExists().execute();
        }
      },
    },
    "0002_fair_share": {
      async up(db: AnyDb) {
        // Round-robin across users: a request's turn within its priority (docs/queueing.md).
        await db.schema.alterTable("requests").addColumn("fair_tag", "bigint", (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.createIndex("requests_dispatch_order").on("requests").columns(["space_id", "state", "priority", "fair_tag", "seq"]).execute();
        await db.schema.createIndex("requests_space_user_state").on("requests").columns(["space_id", "user_id", "state"]).execute();
        await db.schema.alterTable("spaces").addColumn("pause", "text", (c) => c.notNull().defaultTo("off")).execute();
        await db.schema.alterTable("spaces").addColumn("user_in_flight_limit", "integer", (c) => c.notNull().defaultTo(0)).execute();
      },
      async down(db: AnyDb) {
        await db.schema.dropIndex("requests_dispatch_order").execute();
        await db.schema.dropIndex("requests_space_user_state").execute();
        await db.schema.alterTable("requests").dropColumn("fair_tag").execute();
        await db.schema.alterTable("spaces").dropColumn("pause").execute();
        await db.schema.alterTable("spaces").dropColumn("user_in_flight_limit").execute();
      },
    },
    "0003_webhooks": {
      async up(db: AnyDb) {
        await db.schema.alterTable("requests").addColumn("webhook", "text").execute();
        // The key users verify deliveries with; it must be readable to sign, so it is not hashed.
        await db.schema.alterTable("users").addColumn("webhook_secret", "text").execute();
        await db.schema
          .createTable("webhook_deliveries")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("request_id", "text", (c) => c.notNull().references("requests.id").onDelete("cascade"))
          .addColumn("event", "text", (c) => c.notNull())
          .addColumn("attempt", "integer", (c) => c.notNull())
          .addColumn("url", "text", (c) => c.notNull())
          .addColumn("status_code", "integer")
          .addColumn("error", "text")
          .addColumn("outcome", "text", (c) => c.notNull())
          .addColumn("duration_ms", "integer", (c) => c.notNull())
          .addColumn("attempted_at", "bigint", (c) => c.notNull())
          .addColumn("next_attempt_at", "bigint")
          .execute();
        await db.schema.createIndex("webhook_deliveries_request").on("webhook_deliveries").columns(["request_id", "attempted_at"]).execute();
      },
      async down(db: AnyDb) {
        await db.schema.dropTable("webhook_deliveries").execute();
        await db.schema.alterTable("requests").dropColumn("webhook").execute();
        await db.schema.alterTable("users").dropColumn("webhook_secret").execute();
      },
    },
    "0004_cluster": {
      async up(db: AnyDb) {
        // Server nodes sharing this database, each with a lease it renews (docs/deploy.md).
        await db.schema
          .createTable("nodes")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("started_at", "bigint", (c) => c.notNull())
          .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
          .execute();
        if (caps.dialect === "postgres") {
          // Socket.IO's PostgreSQL adapter keeps messages over NOTIFY's 8000-byte limit here.
          await db.schema
            .createTable("socket_io_attachments")
            .addColumn("id", "bigserial", (c) => c.unique())
            .addColumn("created_at", sql`timestamptz`, (c) => c.defaultTo(sql`now()`))
            .addColumn("payload", "bytea")
            .execute();
        }
      },
      async down(db: AnyDb) {
        await db.schema.dropTable("nodes").execute();
        await db.schema.dropTable("socket_io_attachments").ifExists().execute();
      },
    },
    "0005_files": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("files")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("request_id", "text", (c) => c.notNull())
          .addColumn("user_id", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("field", "text")
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("mime", "text", (c) => c.notNull())
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("sha256", "text", (c) => c.notNull())
          .addColumn("attempt", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("files_request").on("files").column("request_id").execute();
        await db.schema.createIndex("files_sha256").on("files").column("sha256").execute();
        await db.schema.createTable("settings").addColumn("key", "text", (c) => c.primaryKey()).addColumn("value", "text", (c) => c.notNull()).execute();
        await db.schema.alterTable("spaces").addColumn("max_file_mb", "integer", (c) => c.notNull().defaultTo(100)).execute();
        await db.schema.alterTable("spaces").addColumn("max_upload_mb", "integer", (c) => c.notNull().defaultTo(200)).execute();
        await db.schema.alterTable("spaces").addColumn("file_types", "text", (c) => c.notNull().defaultTo("[]")).execute();
        await db.schema.alterTable("requests").addColumn("input_files", "integer", (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable("requests").addColumn("output_files", "integer", (c) => c.notNull().defaultTo(0)).execute();
      },
      async down(db: AnyDb) {
        await db.schema.dropTable("files").execute();
        await db.schema.dropTable("settings").execute();
        for (const column of ["max_file_mb", "max_upload_mb", "file_types"]) await db.schema.alterTable("spaces").dropColumn(column).execute();
        await db.schema.alterTable("requests").dropColumn("input_files").execute();
        await db.schema.alterTable("requests").dropColumn("output_files").execute();
      },
    },
    "0006_queue_indexes": {
      async up(db: AnyDb) {
        // Dispatch order is (priority DESC, fair_tag, seq). requests_dispatch_order has every
        // column ascending, and neither SQLite nor PostgreSQL walks an index in a mixed
        // direction: each claim sorted the whole queue of the space to take its head. In
        // this order the head is the first entry, a position is a range count, and the
        // head's fair tag a single lookup.
        await db.schema.dropIndex("requests_dispatch_order").execute();
        await db.schema.createIndex("requests_queue_order").on("requests").columns(["space_id", "state", "priority desc", "fair_tag", "seq"]).execute();
        // A user's requests in one state, with their turns: the per-user queue limit is a
        // bounded range, the user's last fair tag a single lookup (requests_space_user_state
        // had no fair_tag: that max read every queued row of the user, or of the whole
        // priority when the user had none), and the claim's per-user in-flight count reads
        // only the dispatched and running rows (with user_id before state, SQLite served that
        // GROUP BY from the old index by reading every row of the space). It replaces
        // requests_space_user_state.
        await db.schema.dropIndex("requests_space_user_state").execute();
        await db.schema.createIndex("requests_user_queue").on("requests").columns(["space_id", "state", "user_id", "priority", "fair_tag"]).execute();
      },
      async down(db: AnyDb) {
        await db.schema.dropIndex("requests_queue_order").execute();
        await db.schema.dropIndex("requests_user_queue").execute();
        await db.schema.createIndex("requests_dispatch_order").on("requests").columns(["space_id", "state", "priority", "fair_tag", "seq"]).execute();
        await db.schema.createIndex("requests_space_user_state").on("requests").columns(["space_id", "user_id", "state"]).execute();
      },
    },
  };
}
