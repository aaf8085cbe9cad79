import { pino } from "pino";
import { buildApp, defaultConfig, type Clock, type ServerConfig, type WsSpacesApp } from "@wsspaces/server";
import type { CreateSpaceInput, SpaceDetail } from "@wsspaces/protocol";
import { CreateSpaceBodySchema } from "@wsspaces/protocol";
import { createTestDatabase, type Dialect, type TestDatabase } from "./database.js";
import { ApiClient } from "./http.js";

export interface TestServer {
  app: WsSpacesApp;
  url: string;
  database: TestDatabase;
  /** An API client signed in as an admin (API key). */
  admin: ApiClient;
  /** Creates a user with an API key and returns a client for it. */
  user(name?: string): Promise<ApiClient & { userId: string; username: string }>;
  /** Creates a space through the API and a worker token for it. */
  space(input?: Partial<CreateSpaceInput>): Promise<{ space: SpaceDetail; token: string }>;
  close(): Promise<void>;
}

let counter = 0;
export const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

/** A real server on a free port over a fresh database, with quiet logs. */
export async function startTestServer(
  options: { dialect?: Dialect; config?: Partial<ServerConfig>; database?: TestDatabase; clock?: Clock } = {},
): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase(options.dialect ?? "sqlite"));
  const config = defaultConfig({
    host: "127.0.0.1",
    port: 0,
    dataDir: database.dataDir,
    databaseUrl: database.databaseUrl,
    logLevel: "silent",
    ...options.config,
  });
  const app = await buildApp(config, { logger: pino({ level: process.env.WSSPACES_TEST_LOG ?? "silent" }), ...(options.clock ? { clock: options.clock } : {}) });
  const url = await app.listen();
  const adminUser = await app.auth.createUser(uniqueName("admin"), "admin-password", "admin");
  const admin = new ApiClient(url, (await app.auth.createApiKey(adminUser.id, "test")).key);
  return {
    app,
    url,
    database,
    admin,
    async user(name = uniqueName("user")) {
      const user = await app.auth.createUser(name, "user-password", "user");
      const key = await app.auth.createApiKey(user.id, "test");
      return Object.assign(new ApiClient(url, key.key), { userId: user.id, username: user.username });
    },
    async space(input = {}) {
      const body = CreateSpaceBodySchema.parse({ name: uniqueName("Space"), ...input });
      const created = await admin.post<SpaceDetail>("/api/v1/spaces", body);
      if (created.status !== 201) throw new Error(`space creation failed: ${JSON.stringify(created.body)}`);
      const token = await admin.post<{ token: string }>(`/api/v1/spaces/${created.body.id}/worker-tokens`, {});
      return { space: created.body, token: token.body.token };
    },
    async close() {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
