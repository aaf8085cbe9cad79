import { CreateSpaceBodySchema, InputKindSchema, Password, Username } from "@wsspaces/protocol";
import { AppError } from "../http/app-error.js";
import { randomToken } from "../util/secrets.js";
import { intFlag, parseFlags, UsageError } from "./args.js";
import { openOffline } from "./offline.js";

const common = { data: { type: "string" }, json: { type: "boolean" } } as const;

/** `wsspaces admin create --username U [--password P]` */
export async function adminCreate(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...common, username: { type: "string" }, password: { type: "string" } });
  const username = Username.safeParse(flags.username ?? "");
  if (!username.success) throw new UsageError(`--username: ${username.error.issues[0]?.message ?? "invalid"}`);
  const generated = flags.password === undefined;
  const password = flags.password ?? randomToken(12);
  const passwordCheck = Password.safeParse(password);
  if (!passwordCheck.success) throw new UsageError(`--password: ${passwordCheck.error.issues[0]?.message ?? "invalid"}`);
  const core = await openOffline(flags.data);
  try {
    const user = await core.auth.upsertUser(username.data, password, "admin");
    if (flags.json) console.log(JSON.stringify({ id: user.id, username: user.username, ...(generated ? { password } : {}) }));
    else console.log(`admin "${user.username}" is ready${generated ? `; password: ${password}` : ""}`);
    return 0;
  } finally {
    await core.close();
  }
}

/** `wsspaces space create --name N [--inputs prompt,audio] [--open-workers] [--timeout 120] [--queue-offline] [--max-queue N] --json` */
export async function spaceCreate(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, {
    ...common,
    name: { type: "string" },
    description: { type: "string" },
    inputs: { type: "string" },
    "open-workers": { type: "boolean" },
    "queue-offline": { type: "boolean" },
    timeout: { type: "string" },
    "max-queue": { type: "string" },
  });
  const inputs = (flags.inputs ?? "prompt").split(",").map((s) => s.trim()).filter(Boolean);
  for (const input of inputs) {
    if (!InputKindSchema.safeParse(input).success) throw new UsageError(`--inputs: "${input}" is not one of prompt, audio, video, file`);
  }
  const body = CreateSpaceBodySchema.safeParse({
    name: flags.name ?? "",
    description: flags.description ?? "",
    inputs,
    timeout_seconds: intFlag(flags.timeout, "timeout", 120, 1, 86_400),
    max_queue: intFlag(flags["max-queue"], "max-queue", 100, 1, 100_000),
    queue_offline: flags["queue-offline"] ?? false,
    open_workers: flags["open-workers"] ?? false,
  });
  if (!body.success) throw new UsageError(body.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join("; "));
  const core = await openOffline(flags.data);
  try {
    const space = await core.spaces.create(body.data);
    const token = await core.spaces.createToken(space.id, "created by the CLI");
    if (flags.json) console.log(JSON.stringify({ id: space.id, name: space.name, worker_token: token.token }));
    else console.log(`space "${space.name}" created (id ${space.id})\nworker token (shown once): ${token.token}`);
    return 0;
  } finally {
    await core.close();
  }
}

/** `wsspaces space list [--json]` */
export async function spaceList(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, common);
  const core = await openOffline(flags.data);
  try {
    const spaces = await core.spaces.list();
    if (flags.json) console.log(JSON.stringify(spaces.map(({ id, name, inputs, timeout_seconds }) => ({ id, name, inputs, timeout_seconds }))));
    else for (const s of spaces) console.log(`${s.id}  ${s.name}  inputs=${s.inputs.join(",")}  timeout=${s.timeout_seconds}s`);
    return 0;
  } finally {
    await core.close();
  }
}

/** `wsspaces space token --name N [--token-name T] [--json]`: issues another worker token. */
export async function spaceToken(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...common, name: { type: "string" }, "token-name": { type: "string" } });
  if (!flags.name) throw new UsageError("--name is required");
  const core = await openOffline(flags.data);
  try {
    const space = await core.spaces.list().then((all) => all.find((s) => s.name.toLowerCase() === flags.name?.toLowerCase()));
    if (!space) throw new AppError("not_found", `No space named "${flags.name}".`);
    const token = await core.spaces.createToken(space.id, flags["token-name"]);
    if (flags.json) console.log(JSON.stringify({ id: token.id, space_id: space.id, worker_token: token.token }));
    else console.log(`worker token for "${space.name}" (shown once): ${token.token}`);
    return 0;
  } finally {
    await core.close();
  }
}

/** `wsspaces apikey create --username U [--name N] --json` */
export async function apiKeyCreate(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...common, username: { type: "string" }, name: { type: "string" } });
  if (!flags.username) throw new UsageError("--username is required");
  const core = await openOffline(flags.data);
  try {
    const user = await core.auth.userByName(flags.username);
    if (!user) throw new AppError("not_found", `No user named "${flags.username}".`);
    const key = await core.auth.createApiKey(user.id, flags.name ?? "created by the CLI");
    if (flags.json) console.log(JSON.stringify({ id: key.id, key: key.key }));
    else console.log(`API key for "${user.username}" (shown once): ${key.key}`);
    return 0;
  } finally {
    await core.close();
  }
}
