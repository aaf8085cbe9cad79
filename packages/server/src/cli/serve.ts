import { buildApp, type WsSpacesApp } from "../app.js";
import { defaultConfig, type ServerConfig } from "../config.js";
import { intFlag, parseFlags, UsageError } from "./args.js";

export const serveFlags = {
  port: { type: "string" },
  host: { type: "string" },
  data: { type: "string" },
  registration: { type: "string" },
  "log-level": { type: "string" },
} as const;

export function configFromFlags(flags: { port?: string; host?: string; data?: string; registration?: string; "log-level"?: string }): ServerConfig {
  const overrides: Partial<ServerConfig> = {};
  if (flags.port !== undefined) overrides.port = intFlag(flags.port, "port", 5001, 0, 65_535);
  if (flags.host !== undefined) overrides.host = flags.host;
  if (flags.data !== undefined) overrides.dataDir = flags.data;
  if (flags.registration !== undefined) {
    if (flags.registration !== "open" && flags.registration !== "closed") throw new UsageError("--registration must be open or closed");
    overrides.registration = flags.registration;
  }
  if (flags["log-level"] !== undefined) overrides.logLevel = flags["log-level"] as ServerConfig["logLevel"];
  return defaultConfig(overrides);
}

/** `wsspaces serve`: runs until SIGINT/SIGTERM, then closes cleanly. */
export async function serve(argv: string[]): Promise<number> {
  const config = configFromFlags(parseFlags(argv, serveFlags));
  const app = await buildApp(config);
  const url = await app.listen();
  app.log.info({ url, database: config.databaseUrl ? "postgres" : "sqlite", dataDir: config.dataDir }, "WebSocket Spaces is listening");
  await untilSignal(app);
  return 0;
}

export function untilSignal(app: WsSpacesApp, beforeClose: () => Promise<void> = () => Promise.resolve()): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        app.log.warn("second signal: exiting now");
        process.exit(130);
      }
      stopping = true;
      app.log.info({ signal }, "shutting down");
      beforeClose()
        .then(() => app.close())
        .catch((err: unknown) => app.log.error({ err }, "error while shutting down"))
        .finally(resolve);
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}
