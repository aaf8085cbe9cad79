import { createMockHandler, Worker } from "@wsspaces/worker";
import { buildApp } from "../app.js";
import { AppError } from "../http/app-error.js";
import { randomToken } from "../util/secrets.js";
import { parseFlags } from "./args.js";
import { configFromFlags, serveFlags, untilSignal } from "./serve.js";

const DEMO_SPACE = "Demo";
const DEMO_ADMIN = "admin";

/**
 * `wsspaces demo`: the server on embedded SQLite, an admin, a demo space and a built-in mock
 * worker, with everything needed to try it printed on the terminal.
 */
export async function demo(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...serveFlags, "min-ms": { type: "string" }, "max-ms": { type: "string" } });
  const settings = flags as Record<string, string | boolean | undefined>;
  // Quieter than `serve` by default: the demo prints what matters itself.
  const config = configFromFlags({ ...settings, "log-level": settings["log-level"] ?? process.env.WSSPACES_LOG_LEVEL ?? "warn" });
  const app = await buildApp(config);
  const url = await app.listen();

  const password = randomToken(9);
  const admin = await app.auth.upsertUser(DEMO_ADMIN, password, "admin");
  const existing = (await app.spaces.list()).find((s) => s.name === DEMO_SPACE);
  const space =
    existing ??
    (await app.spaces.create({
      name: DEMO_SPACE,
      description: "A demo space answered by a built-in mock model.",
      inputs: ["prompt", "audio", "file"],
      timeout_seconds: 120,
      max_queue: 100,
      queue_offline: true,
      open_workers: false,
      pause: "off",
      user_in_flight_limit: 0,
      max_file_mb: 100,
      max_upload_mb: 200,
      file_types: [],
    }));
  const token = await app.spaces.createToken(space.id, "demo mock worker");
  const apiKey = await app.auth.createApiKey(admin.id, "demo");

  const worker = new Worker({ server: url, token: token.token, spaces: [DEMO_SPACE], capacity: 2, name: "demo-mock", version: "0.1.0" });
  worker.handle(createMockHandler({ minMs: Number(flags["min-ms"] ?? 1000), maxMs: Number(flags["max-ms"] ?? 3000) }));
  try {
    await worker.start();
  } catch (err) {
    throw new AppError("unavailable", `the demo worker could not connect: ${err instanceof Error ? err.message : String(err)}`);
  }

  const submit = `${url}/api/v1/spaces/${space.id}/requests?wait=30`;
  console.log(
    [
      "",
      `WebSocket Spaces demo is running at ${url}`,
      `  data:      ${config.dataDir} (SQLite)`,
      `  sign in:   ${DEMO_ADMIN} / ${password}`,
      `  API key:   ${apiKey.key}`,
      `  space:     "${DEMO_SPACE}" (${space.id}) with a mock worker connected`,
      "",
      "Try it:",
      `  curl -s -X POST '${submit}' \\`,
      `    -H 'Authorization: Bearer ${apiKey.key}' -H 'content-type: application/json' \\`,
      `    -d '{"prompt":"Hello, world"}'`,
      "",
      "Connect another worker:",
      `  npx wsspaces worker --server ${url} --token ${token.token} --space ${DEMO_SPACE} --mock --verbose`,
      "",
      "Press Ctrl+C to stop.",
    ].join("\n"),
  );
  await untilSignal(app, () => worker.stop({ drainTimeoutMs: 2000 }));
  return 0;
}
