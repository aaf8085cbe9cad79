import { ApiKeyStore } from "../auth/api-key-store.js";
import { AuthService } from "../auth/auth-service.js";
import { SessionStore } from "../auth/session-store.js";
import { UserStore } from "../auth/user-store.js";
import { defaultConfig, sqlitePath } from "../config.js";
import { openDatabase, type OpenedDatabase } from "../db/dialect.js";
import { migrateOrThrow } from "../db/migrate.js";
import { RequestStore } from "../requests/request-store.js";
import { SpaceService } from "../spaces/space-service.js";
import { SpaceStore } from "../spaces/space-store.js";
import { WorkerTokenStore } from "../spaces/worker-token-store.js";
import { systemClock } from "../util/time.js";
import { WorkerRegistry } from "../workers/worker-registry.js";

export interface OfflineServices {
  opened: OpenedDatabase;
  auth: AuthService;
  spaces: SpaceService;
  close(): Promise<void>;
}

/**
 * The services the admin commands need, straight on the database: no sockets, no recovery,
 * so they are safe to run beside a live server.
 */
export async function openOffline(dataDir: string | undefined): Promise<OfflineServices> {
  const config = defaultConfig(dataDir !== undefined ? { dataDir } : {});
  const opened = openDatabase(config.databaseUrl ? { postgresUrl: config.databaseUrl } : { sqlitePath: sqlitePath(config) });
  await migrateOrThrow(opened.db, opened.caps);
  const auth = new AuthService({
    users: new UserStore(opened.db),
    sessions: new SessionStore(opened.db),
    apiKeys: new ApiKeyStore(opened.db),
    clock: systemClock,
    sessionTtlMs: config.sessionTtlMs,
    registration: config.registration,
  });
  const spaces = new SpaceService({
    spaces: new SpaceStore(opened.db),
    tokens: new WorkerTokenStore(opened.db),
    requests: new RequestStore(opened.db),
    registry: new WorkerRegistry(),
    clock: systemClock,
    // A live server notices a revoked token at the worker's next connection.
    disconnectWorkers: () => undefined,
    cancelPending: () => Promise.resolve(),
    onChange: () => undefined,
    onCatalogueChange: () => undefined,
  });
  return { opened, auth, spaces, close: () => opened.db.destroy() };
}
