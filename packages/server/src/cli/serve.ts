import { buildApp, type WsSpacesApp } from "../app.js";
import { ConfigError, CONFIG_OPTIONS } from "../config-options.js";
import { printableConfig, readConfigFile, resolveConfig, type ServerConfig } from "../config.js";
import { parseFlags, UsageError } from "./args.js";

/** One flag per setting (CONFIG_OPTIONS), plus the config file and --print-config. */
export const serveFlags = {
  ...Object.fromEntries(CONFIG_OPTIONS.map((o) => [o.name, { type: o.kind === "bool" ? ("boolean" as const) : ("string" as const) }])),
  config: { type: "string" },
  "print-config": { type: "boolean" },
} as Record<string, { type: "string" | "boolean" }>;

/** Flags over environment (`WSSPACES_*`) over the config file (`--config` or WSSPACES_CONFIG) over defaults. */
export function configFromFlags(flags: Record<string, string | boolean | undefined>): ServerConfig {
  const { config: configPath, "print-config": _print, ...settings } = flags;
  const path = typeof configPath === "string" ? configPath : process.env.WSSPACES_CONFIG;
  try {
    return resolveConfig({ flags: settings, env: process.env, ...(path ? { file: readConfigFile(path) } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** `wsspaces serve`: runs until SIGINT/SIGTERM, then closes cleanly. */
export async function serve(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, serveFlags);
  const config = configFromFlags(flags);
  if (flags["print-config"]) {
    console.log(JSON.stringify(printableConfig(config), null, 2));
    return 0;
  }
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
