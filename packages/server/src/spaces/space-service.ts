import type {
  CreateSpaceBody,
  CreatedWorkerToken,
  InputKind,
  PatchSpaceBody,
  QueueEntryView,
  SpaceDetail,
  SpaceSummary,
  WorkerTokenView,
} from "@wsspaces/protocol";
import { isAdmin, type Principal } from "../auth/principal.js";
import { AppError } from "../http/app-error.js";
import type { RequestStore } from "../requests/request-store.js";
import { maskUsername } from "../requests/request-view.js";
import type { WorkerRegistry } from "../workers/worker-registry.js";
import { newId } from "../util/ids.js";
import { parseStoredJson } from "../util/json.js";
import { issueSecret } from "../util/secrets.js";
import { iso, type Clock } from "../util/time.js";
import type { SpaceRow, SpaceStore } from "./space-store.js";
import type { WorkerTokenRow, WorkerTokenStore } from "./worker-token-store.js";

export interface SpaceServiceDeps {
  spaces: SpaceStore;
  tokens: WorkerTokenStore;
  requests: RequestStore;
  registry: WorkerRegistry;
  clock: Clock;
  /** Closes the live connections of a revoked token, or of a deleted space's workers. */
  disconnectWorkers: (filter: { tokenId?: string; spaceId?: string; tokenless?: boolean }, reason: string) => void;
  /** Cancels what is still pending in a space that is being deleted. */
  cancelPending: (spaceId: string) => Promise<void>;
  /** Something a space page shows changed. */
  onChange: (spaceId: string) => void;
  /** A space was created or deleted. */
  onCatalogueChange: () => void;
}

export class SpaceService {
  constructor(private readonly deps: SpaceServiceDeps) {}

  async create(body: CreateSpaceBody): Promise<SpaceRow> {
    if (await this.deps.spaces.byName(body.name)) throw new AppError("conflict", `A space named "${body.name}" already exists.`);
    const now = this.deps.clock.now();
    const row: SpaceRow = {
      id: newId("spc"),
      name: body.name,
      name_key: body.name.toLowerCase(),
      description: body.description,
      inputs: JSON.stringify(body.inputs),
      timeout_seconds: body.timeout_seconds,
      max_queue: body.max_queue,
      queue_offline: body.queue_offline ? 1 : 0,
      open_workers: body.open_workers ? 1 : 0,
      pause: body.pause,
      user_in_flight_limit: body.user_in_flight_limit,
      max_file_mb: body.max_file_mb,
      max_upload_mb: body.max_upload_mb,
      file_types: JSON.stringify(body.file_types),
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    try {
      await this.deps.spaces.insert(row);
    } catch (err) {
      if (await this.deps.spaces.byName(body.name)) throw new AppError("conflict", `A space named "${body.name}" already exists.`, { cause: err });
      throw err;
    }
    this.deps.onCatalogueChange();
    return row;
  }

  async get(id: string): Promise<SpaceRow> {
    const row = await this.find(id);
    if (!row) throw new AppError("not_found", "No such space.");
    return row;
  }

  /** The space, or undefined if there is none (or it was deleted). */
  find(id: string): Promise<SpaceRow | undefined> {
    return this.deps.spaces.byId(id);
  }

  async update(id: string, patch: PatchSpaceBody): Promise<SpaceRow> {
    const current = await this.get(id);
    if (patch.name !== undefined && patch.name.toLowerCase() !== current.name_key) {
      if (await this.deps.spaces.byName(patch.name)) throw new AppError("conflict", `A space named "${patch.name}" already exists.`);
    }
    await this.deps.spaces.update(id, {
      ...(patch.name !== undefined ? { name: patch.name, name_key: patch.name.toLowerCase() } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.inputs !== undefined ? { inputs: JSON.stringify(patch.inputs) } : {}),
      ...(patch.timeout_seconds !== undefined ? { timeout_seconds: patch.timeout_seconds } : {}),
      ...(patch.max_queue !== undefined ? { max_queue: patch.max_queue } : {}),
      ...(patch.queue_offline !== undefined ? { queue_offline: patch.queue_offline ? 1 : 0 } : {}),
      ...(patch.open_workers !== undefined ? { open_workers: patch.open_workers ? 1 : 0 } : {}),
      ...(patch.pause !== undefined ? { pause: patch.pause } : {}),
      ...(patch.user_in_flight_limit !== undefined ? { user_in_flight_limit: patch.user_in_flight_limit } : {}),
      ...(patch.max_file_mb !== undefined ? { max_file_mb: patch.max_file_mb } : {}),
      ...(patch.max_upload_mb !== undefined ? { max_upload_mb: patch.max_upload_mb } : {}),
      ...(patch.file_types !== undefined ? { file_types: JSON.stringify(patch.file_types) } : {}),
      updated_at: this.deps.clock.now(),
    });
    // Closing open registration also closes the door on workers that came in through it.
    if (patch.open_workers === false && current.open_workers === 1) this.deps.disconnectWorkers({ spaceId: id, tokenless: true }, "open registration closed");
    this.deps.onChange(id);
    return this.get(id);
  }

  /** Deletes a space: pending requests are cancelled, tokens revoked, workers disconnected. */
  async delete(id: string): Promise<void> {
    await this.get(id);
    const now = this.deps.clock.now();
    await this.deps.tokens.revokeAllForSpace(id, now);
    this.deps.disconnectWorkers({ spaceId: id }, "space deleted");
    await this.deps.cancelPending(id);
    await this.deps.spaces.markDeleted(id, now);
    this.deps.onChange(id);
    this.deps.onCatalogueChange();
  }

  async list(): Promise<SpaceSummary[]> {
    const rows = await this.deps.spaces.list();
    return Promise.all(rows.map((row) => this.summary(row)));
  }

  async summary(row: SpaceRow): Promise<SpaceSummary> {
    const workers = this.deps.registry.connectedCount(row.id);
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      inputs: parseStoredJson<InputKind[]>(row.inputs, ["prompt"]),
      timeout_seconds: row.timeout_seconds,
      max_queue: row.max_queue,
      queue_offline: row.queue_offline === 1,
      open_workers: row.open_workers === 1,
      pause: row.pause,
      user_in_flight_limit: row.user_in_flight_limit,
      max_file_mb: row.max_file_mb,
      max_upload_mb: row.max_upload_mb,
      file_types: parseStoredJson<string[]>(row.file_types, []),
      created_at: iso(row.created_at),
      connected: workers > 0,
      workers,
      queue_length: await this.deps.requests.queueLength(row.id),
    };
  }

  async detail(row: SpaceRow, viewer: Principal | null): Promise<SpaceDetail> {
    const entries = await this.deps.requests.queueEntries(row.id, 100);
    let position = 0;
    const queue: QueueEntryView[] = entries.map((entry) => {
      const own = viewer !== null && entry.user_id === viewer.userId;
      return {
        // Requests being worked on show position 0; the waiting ones count from 1.
        position: entry.state === "queued" ? ++position : 0,
        user: own || isAdmin(viewer) ? entry.username : maskUsername(entry.username),
        state: entry.state,
        ...(own ? { request_id: entry.id } : {}),
      };
    });
    const workers = this.deps.registry.clusterPresence(row.id).map((w) => (isAdmin(viewer) ? w : { ...w, connection_id: null }));
    return { ...(await this.summary(row)), queue, worker_list: workers };
  }

  // ---- worker tokens -----------------------------------------------------------------------

  async createToken(spaceId: string, name: string | undefined): Promise<CreatedWorkerToken> {
    await this.get(spaceId);
    const issued = issueSecret("wss");
    const row: WorkerTokenRow = {
      id: newId("wtk"),
      space_id: spaceId,
      name: name ?? "worker token",
      prefix: issued.prefix,
      token_hash: issued.hash,
      created_at: this.deps.clock.now(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.deps.tokens.insert(row);
    return { ...tokenView(row), token: issued.secret };
  }

  async listTokens(spaceId: string): Promise<WorkerTokenView[]> {
    await this.get(spaceId);
    return (await this.deps.tokens.listForSpace(spaceId)).map(tokenView);
  }

  /** Revokes a token and closes every live connection that used it. */
  async revokeToken(spaceId: string, tokenId: string): Promise<void> {
    if (!(await this.deps.tokens.revoke(spaceId, tokenId, this.deps.clock.now()))) throw new AppError("not_found", "No such active worker token.");
    this.deps.disconnectWorkers({ tokenId }, "token revoked");
  }
}

function tokenView(row: WorkerTokenRow): WorkerTokenView {
  return {
    id: row.id,
    space_id: row.space_id,
    name: row.name,
    prefix: row.prefix,
    created_at: iso(row.created_at),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  };
}
