#!/usr/bin/env node
import { runWorkerCli } from "@wsspaces/worker/cli";
import { AppError } from "../http/app-error.js";
import { adminCreate, apiKeyCreate, spaceCreate, spaceList, spaceToken } from "./admin-commands.js";
import { UsageError } from "./args.js";
import { backup, restore } from "./backup.js";
import { demo } from "./demo.js";
import { serve } from "./serve.js";

const USAGE = `Usage: wsspaces <command> [flags]

Commands:
  serve   [--port 5001] [--host 127.0.0.1] [--data ./data] [--config FILE] [--print-config]
          (every setting: docs/configuration.md)
  demo    [--port 5001] [--data ./data]        server + demo space + built-in mock worker
  migrate [--data ./data]                      apply database migrations and exit
  backup  --out FILE [--data ./data]           online copy of the SQLite database (server may run)
  restore --from FILE [--data ./data]          put a backup in place (stop the server first)
  admin create --username U [--password P] [--json]
  space create --name N [--inputs prompt,audio,video,file] [--open-workers] [--queue-offline]
               [--timeout 120] [--max-queue 100] [--json]
  space list   [--json]
  space token  --name N [--json]               issue another worker token
  apikey create --username U [--name N] [--json]
  worker --server URL --token T --space N [--capacity K] (--mock | --exec CMD | --http URL)

Storage: SQLite at <data>/wsspaces.db, or PostgreSQL when WSSPACES_DATABASE_URL=postgres://…
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command | Record<string, Command>> = {
  serve,
  demo,
  migrate: async (argv) => {
    const { openOffline } = await import("./offline.js");
    const { parseFlags } = await import("./args.js");
    const core = await openOffline(parseFlags(argv, { data: { type: "string" } }).data);
    await core.close();
    console.log("migrations are up to date");
    return 0;
  },
  backup,
  restore,
  admin: { create: adminCreate },
  space: { create: spaceCreate, list: spaceList, token: spaceToken },
  apikey: { create: apiKeyCreate },
  worker: runWorkerCli,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  let command: Command | undefined;
  let args = rest;
  if (typeof entry === "function") command = entry;
  else if (entry) {
    const [sub, ...subArgs] = rest;
    command = sub !== undefined ? entry[sub] : undefined;
    args = subArgs;
  }
  if (!command) {
    console.error(`wsspaces: unknown command "${argv.slice(0, 2).join(" ")}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(args);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`wsspaces ${name}: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof AppError) {
      console.error(`wsspaces ${name}: ${err.message}`);
      return 1;
    }
    console.error(`wsspaces ${name}: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof Error && err.cause) console.error("  caused by:", err.cause);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
