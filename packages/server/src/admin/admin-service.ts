import type { AdminOverview, AdminRequestsQuery, AdminUserView, AdminWorkerView, PatchUserBody, RequestView } from "@wsspaces/protocol";
import type { Principal } from "../auth/principal.js";
import type { UserRow, UserStore } from "../auth/user-store.js";
import { AppError } from "../http/app-error.js";
import type { RequestService } from "../requests/request-service.js";
import type { SpaceStore } from "../spaces/space-store.js";
import { presenceOf, type LiveWorker, type WorkerRegistry } from "../workers/worker-registry.js";
import type { RequestStore } from "../requests/request-store.js";
import { iso, type Clock } from "../util/time.js";
import { buildOverview } from "./overview.js";

export interface AdminServiceDeps {
  users: UserStore;
  spaces: SpaceStore;
  requests: RequestService;
  requestStore: RequestStore;
  registry: WorkerRegistry;
  clock: Clock;
  /** A worker's state changed in a way its spaces' pages show. */
  onWorkerChange: (worker: LiveWorker) => void;
}

const MAX_USERS_LISTED = 1000;

/** What admins see across the site: every worker, every request, every user. */
export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  /** Stops sending a worker new work; what it holds finishes normally. */
  async drainWorker(id: string): Promise<AdminWorkerView> {
    const worker = this.deps.registry.get(id);
    if (!worker) throw new AppError("not_found", "No such worker connection.");
    worker.draining = true;
    this.deps.onWorkerChange(worker);
    const view = (await this.workers()).find((w) => w.connection_id === id);
    if (!view) throw new AppError("not_found", "No such worker connection.");
    return view;
  }

  async workers(): Promise<AdminWorkerView[]> {
    // Workers on other nodes (multi-node), as they last announced themselves.
    const views = [...(await this.localWorkers()), ...this.deps.registry.remoteWorkers()];
    return views.sort((a, b) => a.connected_at.localeCompare(b.connected_at));
  }

  /** This node's own workers. */
  async localWorkers(): Promise<AdminWorkerView[]> {
    const names = new Map<string, string>();
    const spaceName = async (id: string) => {
      if (!names.has(id)) names.set(id, (await this.deps.spaces.byId(id))?.name ?? "(deleted)");
      return names.get(id) ?? "";
    };
    const views: AdminWorkerView[] = [];
    for (const w of this.deps.registry.all()) {
      views.push({
        ...presenceOf(w),
        spaces: await Promise.all([...w.spaceIds].map(async (id) => ({ id, name: await spaceName(id) }))),
        address: w.channel.address,
        suspended: w.suspended,
        draining: w.draining,
      });
    }
    return views;
  }

  async requests(admin: Principal, query: AdminRequestsQuery): Promise<RequestView[]> {
    let userId: string | undefined;
    if (query.user !== undefined) {
      const user = await this.deps.users.byUsername(query.user);
      if (!user) return [];
      userId = user.id;
    }
    return this.deps.requests.list(admin, {
      limit: query.limit,
      ...(query.space !== undefined ? { space: query.space } : {}),
      ...(query.state !== undefined ? { state: query.state } : {}),
      ...(userId !== undefined ? { userId } : {}),
    });
  }

  overview(minutes: number): Promise<AdminOverview> {
    return buildOverview({ requests: this.deps.requestStore, spaces: this.deps.spaces, registry: this.deps.registry, clock: this.deps.clock }, minutes);
  }

  async users(): Promise<AdminUserView[]> {
    return (await this.deps.users.list(MAX_USERS_LISTED)).map(userView);
  }

  /**
   * Changes a user's role or disables them. Admins cannot demote or disable themselves, and the
   * last active admin cannot be removed: the site would have no one left to run it.
   */
  async patchUser(actor: Principal, id: string, patch: PatchUserBody): Promise<AdminUserView> {
    const user = await this.deps.users.byId(id);
    if (!user) throw new AppError("not_found", "No such user.");
    const demotes = patch.role === "user" && user.role === "admin";
    const disables = patch.disabled === true && user.disabled === 0;
    if (id === actor.userId && (demotes || disables)) {
      throw new AppError("invalid_state", "You cannot demote or disable yourself; ask another admin.");
    }
    if ((demotes || (disables && user.role === "admin")) && (await this.deps.users.countAdmins()) <= 1) {
      throw new AppError("invalid_state", "This is the last active admin.");
    }
    if (patch.role !== undefined) await this.deps.users.setRole(id, patch.role);
    if (patch.disabled !== undefined) await this.deps.users.setDisabled(id, patch.disabled);
    const updated = await this.deps.users.byId(id);
    if (!updated) throw new AppError("not_found", "No such user.");
    return userView(updated);
  }
}

function userView(row: UserRow): AdminUserView {
  return { id: row.id, username: row.username, role: row.role, created_at: iso(row.created_at) ?? "", disabled: row.disabled === 1 };
}
