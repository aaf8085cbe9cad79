import type {
  AdminOverview,
  AdminUserView,
  AdminWorkerView,
  ApiKeyView,
  CreatedApiKey,
  CreatedWorkerToken,
  ErrorBody,
  FileView,
  MeView,
  OverviewMinute,
  OverviewSpace,
  PositionEventData,
  ProgressEventData,
  QueueEntryView,
  RequestError,
  RequestView,
  SeedStatusResponse,
  SpaceDetail,
  SpaceSummary,
  StateEventData,
  StreamEventData,
  SubmitResponse,
  UserView,
  WebhookDeliveryView,
  WorkerPresenceView,
  WorkerTokenView,
} from "@wsspaces/protocol";
import { ERROR_CODES, InputKindSchema, RequestStateSchema } from "@wsspaces/protocol";
import {
  anyJson,
  arrayOf,
  boolean,
  constant,
  fromZod,
  integer,
  nullable,
  nullableInteger,
  nullableNumber,
  nullableString,
  nullableTime,
  optional,
  shape,
  string,
  time,
  type Properties,
} from "./openapi-json-schema.js";
import type { JsonSchema } from "./openapi-types.js";

/*
 * Response bodies are TypeScript interfaces in @wsspaces/protocol, not Zod schemas: these are
 * their hand-written JSON Schemas. `shape<T>` makes the compiler check each one against its
 * interface (every property present, optional ones marked), so they cannot silently drift.
 */

export type SchemaName =
  | "Error"
  | "SeedError"
  | "RequestState"
  | "InputKind"
  | "UserView"
  | "MeView"
  | "ApiKeyView"
  | "CreatedApiKey"
  | "SpaceSummary"
  | "QueueEntryView"
  | "WorkerPresenceView"
  | "SpaceDetail"
  | "WorkerTokenView"
  | "CreatedWorkerToken"
  | "RequestError"
  | "RequestView"
  | "FileView"
  | "SubmitResponse"
  | "SubmitWaitResponse"
  | "RetryResponse"
  | "WebhookDeliveryView"
  | "SeedSubmitResponse"
  | "SeedStatusResponse"
  | "StateEventData"
  | "PositionEventData"
  | "ProgressEventData"
  | "StreamEventData"
  | "AdminWorkerView"
  | "AdminUserView"
  | "OverviewMinute"
  | "OverviewSpace"
  | "AdminOverview";

export const ref = (name: SchemaName): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const id = (prefix: string) => string(`Opaque id (\`${prefix}_…\`).`);

const userProperties: Properties<UserView> = {
  id: id("usr"),
  username: string(),
  role: { type: "string", enum: ["admin", "user"] },
  created_at: time(),
};

const apiKeyProperties: Properties<ApiKeyView> = {
  id: id("key"),
  name: string(),
  prefix: string("First characters of the key, for recognition."),
  created_at: time(),
  last_used_at: nullableTime("Updated at most once a minute."),
};

const spaceProperties: Properties<SpaceSummary> = {
  id: id("spc"),
  name: string("Unique ignoring case."),
  description: string(),
  inputs: arrayOf(ref("InputKind"), "Enabled input kinds."),
  timeout_seconds: integer("Deadline of each request, counted from submission."),
  max_queue: integer("Most requests that may wait at once."),
  queue_offline: boolean("Accept submissions while no worker is connected."),
  open_workers: boolean("Workers may register without a token."),
  pause: { type: "string", enum: ["off", "queue", "reject"], description: "`queue`: takes requests but dispatches none; `reject`: takes none." },
  user_in_flight_limit: integer("Requests one user may have running at once; 0 = no cap."),
  max_file_mb: integer("Largest single uploaded file, MiB."),
  max_upload_mb: integer("Largest total of one submission's files, MiB."),
  file_types: arrayOf(string(), "What the `file` input accepts: MIME types, families (`image/*`) or extensions; empty accepts any kind."),
  created_at: time(),
  connected: boolean("At least one (not suspended) worker is registered for the space."),
  workers: integer("Connected workers (suspended ones not counted)."),
  queue_length: integer("Requests in state `queued`."),
};

const presenceProperties: Properties<WorkerPresenceView> = {
  connection_id: nullableString("`wrk_…`; admins only, `null` for others."),
  name: nullableString(),
  version: nullableString(),
  capacity: integer(),
  in_flight: integer(),
  connected_at: time(),
  last_seen_at: nullableTime(),
};

const tokenProperties: Properties<WorkerTokenView> = {
  id: id("wtk"),
  space_id: id("spc"),
  name: string(),
  prefix: string(),
  created_at: time(),
  last_used_at: nullableTime(),
  revoked_at: nullableTime(),
};

const requestProperties: Properties<RequestView> = {
  id: id("req"),
  space_id: id("spc"),
  state: ref("RequestState"),
  prompt: nullableString(),
  position: nullableInteger("1-based place in the queue while `queued`, else null."),
  progress: nullableNumber("0..1"),
  progress_message: nullableString(),
  result: anyJson("The worker's result (any JSON value)."),
  error: nullable(ref("RequestError")),
  attempts: integer(),
  created_at: time(),
  started_at: nullableTime(),
  finished_at: nullableTime(),
  deadline: time(),
  eta_seconds: nullableNumber("Seconds until a result is expected; null without history."),
  username: optional(string("Who submitted it (in listings).")),
  files: arrayOf(ref("FileView"), "Uploaded inputs and the worker's output files (latest attempt)."),
};

const fileProperties: Properties<FileView> = {
  id: id("fil"),
  kind: { type: "string", enum: ["input", "output"] },
  field: nullableString("The input field (`audio`, `video`, `file`) for inputs; null for outputs."),
  name: string("Sanitised file name."),
  mime: string("Type sniffed from the content."),
  size: integer("Bytes."),
  sha256: string("Hex digest of the content."),
  url: string("`/api/v1/files/{id}`, for the owner or an admin; Range requests supported."),
};

const submitProperties: Properties<SubmitResponse> = {
  request_id: id("req"),
  state: ref("RequestState"),
  position: nullableInteger(),
};

const counts = { submitted: integer(), completed: integer(), failed: integer(), timed_out: integer(), cancelled: integer() };

export const COMPONENT_SCHEMAS: Record<SchemaName, JsonSchema> = {
  Error: shape<ErrorBody>({
    error: shape<ErrorBody["error"] & { details?: unknown }>({
      code: { type: "string", enum: Object.keys(ERROR_CODES), description: "Stable; branch on it." },
      message: string("Human text, safe to show."),
      correlation_id: optional(string("The server's request id (`reqId` in its log).")),
      details: optional(arrayOf(shape<{ field: string; message: string }>({ field: string(), message: string() }), "On `validation_failed`: one entry per bad field.")),
    }),
  }, "Every API error."),
  SeedError: shape<{ success: false; error: string; code: string }>({
    success: constant(false),
    error: string("Human text; `Remote app not connected` for `space_offline`."),
    code: string("An error code."),
  }, "Errors raised inside the seed-compatible routes."),
  RequestState: fromZod(RequestStateSchema),
  InputKind: fromZod(InputKindSchema),
  UserView: shape<UserView>(userProperties),
  MeView: shape<MeView>({ ...userProperties, csrf_token: nullableString("Send as `x-csrf-token`; null for API-key callers.") }),
  ApiKeyView: shape<ApiKeyView>(apiKeyProperties),
  CreatedApiKey: shape<CreatedApiKey>({ ...apiKeyProperties, key: string("`wsk_…`, shown only once.") }),
  SpaceSummary: shape<SpaceSummary>(spaceProperties),
  FileView: shape<FileView>(fileProperties),
  QueueEntryView: shape<QueueEntryView>({
    position: integer("0 while being worked on; 1, 2, … while queued."),
    user: string("Masked (`al***`) unless it is the caller's own entry or the caller is an admin."),
    state: ref("RequestState"),
    request_id: optional(string("Only on the caller's own entries.")),
  }),
  WorkerPresenceView: shape<WorkerPresenceView>(presenceProperties),
  SpaceDetail: shape<SpaceDetail>({ ...spaceProperties, queue: arrayOf(ref("QueueEntryView")), worker_list: arrayOf(ref("WorkerPresenceView")) }),
  WorkerTokenView: shape<WorkerTokenView>(tokenProperties),
  CreatedWorkerToken: shape<CreatedWorkerToken>({ ...tokenProperties, token: string("`wss_…`, shown only once.") }),
  RequestError: shape<RequestError>({ code: string("`worker_error`, `worker_lost`, `timed_out` or `cancelled`."), message: string() }),
  RequestView: shape<RequestView>(requestProperties),
  SubmitResponse: shape<SubmitResponse>(submitProperties),
  SubmitWaitResponse: { allOf: [ref("SubmitResponse"), ref("RequestView")], description: "With `?wait=N`: the submit fields merged into the request view." },
  RetryResponse: shape<SubmitResponse & { retry_of: string }>({ ...submitProperties, retry_of: string("The request this one retries.") }),
  WebhookDeliveryView: shape<WebhookDeliveryView>({
    id: string(),
    event: string("The ending that triggered it, e.g. `completed`."),
    attempt: integer(),
    url: string(),
    status_code: nullableInteger("The receiver's HTTP status; null when no answer came."),
    error: nullableString(),
    outcome: { type: "string", enum: ["delivered", "retrying", "gave_up"] },
    duration_ms: integer(),
    attempted_at: time(),
    next_attempt_at: nullableTime(),
  }),
  SeedSubmitResponse: shape<{ success: true; request_id: string; status: string; position: number | null }>({
    success: constant(true),
    request_id: id("req"),
    status: ref("RequestState"),
    position: nullableInteger(),
  }),
  SeedStatusResponse: shape<SeedStatusResponse>({
    success: boolean(),
    status: optional(ref("RequestState")),
    result: optional(anyJson()),
    error: optional(nullableString("The error message, or null.")),
    created_at: optional(time()),
    updated_at: optional(time("Time of the last change.")),
  }),
  StateEventData: shape<StateEventData>({ state: ref("RequestState"), attempt: integer() }),
  PositionEventData: shape<PositionEventData>({ position: nullableInteger(), eta_seconds: nullableNumber() }),
  ProgressEventData: shape<ProgressEventData>({ progress: nullableNumber("0..1"), message: nullableString() }),
  StreamEventData: shape<StreamEventData>({
    seq: integer("1-based, contiguous across the request."),
    chunk: anyJson("A text delta or any JSON value."),
    attempt: integer(),
  }),
  AdminWorkerView: shape<AdminWorkerView>({
    ...presenceProperties,
    spaces: arrayOf(shape<{ id: string; name: string }>({ id: id("spc"), name: string() })),
    address: nullableString(),
    suspended: boolean("Connection lost; within the resume grace period."),
    draining: boolean("Shutting down: finishes what it holds, gets nothing new."),
  }),
  AdminUserView: shape<AdminUserView>({ ...userProperties, disabled: boolean() }),
  OverviewMinute: shape<OverviewMinute>({ minute: time("Start of the minute."), ...counts }),
  OverviewSpace: shape<OverviewSpace>({
    space_id: id("spc"),
    name: string(),
    ...counts,
    queue_wait_p50: nullableNumber("Seconds."),
    queue_wait_p95: nullableNumber("Seconds."),
    run_p50: nullableNumber("Seconds."),
    run_p95: nullableNumber("Seconds."),
    queue_length: integer(),
    workers: integer(),
  }),
  AdminOverview: shape<AdminOverview>({
    minutes: integer(),
    generated_at: time(),
    per_minute: arrayOf(ref("OverviewMinute")),
    spaces: arrayOf(ref("OverviewSpace")),
    workers_online: integer(),
    totals: shape<AdminOverview["totals"]>(counts),
  }),
};
