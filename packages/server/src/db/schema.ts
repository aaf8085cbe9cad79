import type { Generated } from "kysely";

/*
 * Table types for Kysely. Times are epoch milliseconds (bigint), booleans are 0/1 integers
 * and JSON is text, so that SQLite and PostgreSQL share one schema and the same queries.
 */

export interface UsersTable {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  role: "admin" | "user";
  disabled: number;
  created_at: number;
  /** HMAC key for the user's webhook signatures; created on first use. */
  webhook_secret: string | null;
}

export interface SessionsTable {
  /** sha256 of the cookie value: a stolen database does not hold usable sessions. */
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SpacesTable {
  id: string;
  name: string;
  /** lower(name) while the space exists, NULL once deleted (frees the name). */
  name_key: string | null;
  description: string;
  /** JSON array of InputKind. */
  inputs: string;
  timeout_seconds: number;
  max_queue: number;
  queue_offline: number;
  open_workers: number;
  /** "off"; "queue": accepts, does not dispatch; "reject": accepts nothing. */
  pause: "off" | "queue" | "reject";
  /** Requests one user may have dispatched or running in this space at once; 0 = no cap. */
  user_in_flight_limit: number;
  max_file_mb: number;
  max_upload_mb: number;
  /** JSON array of file type rules for the `file` input; [] accepts any kind. */
  file_types: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface WorkerTokensTable {
  id: string;
  space_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface WorkerSessionsTable {
  id: string;
  node_id: string;
  token_id: string | null;
  /** JSON array of space ids. */
  space_ids: string;
  name: string | null;
  version: string | null;
  capacity: number;
  connected_at: number;
  last_seen_at: number;
  disconnected_at: number | null;
}

export interface RequestsTable {
  /** Insertion order: FIFO dispatch and queue positions follow it. */
  seq: Generated<number>;
  id: string;
  space_id: string;
  user_id: string;
  state: "queued" | "dispatched" | "running" | "completed" | "failed" | "cancelled" | "timed_out";
  priority: number;
  /** The request's round in its user's share of the queue (round-robin across users). */
  fair_tag: number;
  /** JSON {url, events} when the submitter asked for webhook deliveries. */
  webhook: string | null;
  prompt: string | null;
  /** JSON object of the other inputs. */
  inputs: string;
  attempt: number;
  max_attempts: number;
  worker_session_id: string | null;
  progress: number | null;
  progress_message: string | null;
  /** JSON of the worker's result. */
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  dispatched_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  deadline_at: number;
  /** Uploaded input files (0 spares the dispatcher a lookup). */
  input_files: number;
  /** Output files of the final attempt, counted when it completes (0 spares views a lookup). */
  output_files: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  request_id: string;
  /** The terminal state delivered. */
  event: string;
  attempt: number;
  url: string;
  status_code: number | null;
  error: string | null;
  /** "delivered", "retrying" or "gave_up". */
  outcome: "delivered" | "retrying" | "gave_up";
  duration_ms: number;
  attempted_at: number;
  next_attempt_at: number | null;
}

export interface NodesTable {
  id: string;
  started_at: number;
  heartbeat_at: number;
}

/** Uploaded inputs and worker outputs; the bytes live in the file store under `sha256`. */
export interface FilesTable {
  id: string;
  request_id: string;
  user_id: string;
  kind: "input" | "output";
  /** Input field ("audio", "video", "file"); null for outputs. */
  field: string | null;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  /** The request attempt that produced an output (0 for inputs). */
  attempt: number;
  created_at: number;
}

/** Site-wide values made once, shared by every node (the file URL signing key). */
export interface SettingsTable {
  key: string;
  value: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  spaces: SpacesTable;
  worker_tokens: WorkerTokensTable;
  worker_sessions: WorkerSessionsTable;
  requests: RequestsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  nodes: NodesTable;
  files: FilesTable;
  settings: SettingsTable;
}
