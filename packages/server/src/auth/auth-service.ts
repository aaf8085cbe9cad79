import type { ApiKeyView, CreatedApiKey, MeView, RegisterBody, Role, UserView } from "@wsspaces/protocol";
import { AppError } from "../http/app-error.js";
import { newId } from "../util/ids.js";
import { hashSecret, issueSecret, randomToken } from "../util/secrets.js";
import { iso, type Clock } from "../util/time.js";
import type { ApiKeyRow, ApiKeyStore } from "./api-key-store.js";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";
import type { Principal } from "./principal.js";
import type { SessionStore } from "./session-store.js";
import type { UserRow, UserStore } from "./user-store.js";

export interface AuthServiceDeps {
  users: UserStore;
  sessions: SessionStore;
  apiKeys: ApiKeyStore;
  clock: Clock;
  sessionTtlMs: number;
  registration: "open" | "closed";
}

export interface StartedSession {
  /** The cookie value; only its hash is stored. */
  token: string;
  csrfToken: string;
  user: UserRow;
}

export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  async register(body: RegisterBody): Promise<UserRow> {
    if (this.deps.registration === "closed") throw new AppError("registration_closed");
    return this.createUser(body.username, body.password, "user");
  }

  async createUser(username: string, password: string, role: Role): Promise<UserRow> {
    if (await this.deps.users.byUsername(username)) {
      throw new AppError("conflict", "That username is taken.");
    }
    const row: UserRow = {
      id: newId("usr"),
      username,
      username_key: username.toLowerCase(),
      password_hash: await hashPassword(password),
      role,
      disabled: 0,
      created_at: this.deps.clock.now(),
      webhook_secret: null,
    };
    try {
      await this.deps.users.insert(row);
    } catch (err) {
      // Lost a race with a concurrent registration of the same name.
      if (await this.deps.users.byUsername(username)) throw new AppError("conflict", "That username is taken.", { cause: err });
      throw err;
    }
    return row;
  }

  /** Creates the user, or updates the role and password of an existing one (CLI `admin create`). */
  async upsertUser(username: string, password: string, role: Role): Promise<UserRow> {
    const existing = await this.deps.users.byUsername(username);
    if (!existing) return this.createUser(username, password, role);
    await this.deps.users.setRole(existing.id, role);
    await this.deps.users.setPassword(existing.id, await hashPassword(password));
    return { ...existing, role };
  }

  async login(username: string, password: string): Promise<StartedSession> {
    const user = await this.deps.users.byUsername(username);
    const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
    if (!user || !ok || user.disabled) throw new AppError("invalid_credentials");
    return this.startSession(user);
  }

  /** A fresh session id at every login: a session fixed before login is worthless after it. */
  async startSession(user: UserRow): Promise<StartedSession> {
    const { secret } = issueSecret("ses");
    const csrfToken = randomToken(24);
    const now = this.deps.clock.now();
    await this.deps.sessions.insert({
      id: hashSecret(secret),
      user_id: user.id,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: now + this.deps.sessionTtlMs,
      last_seen_at: now,
    });
    return { token: secret, csrfToken, user };
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.session) await this.deps.sessions.delete(principal.session.idHash);
  }

  async fromSessionCookie(token: string): Promise<Principal | null> {
    const idHash = hashSecret(token);
    const now = this.deps.clock.now();
    const found = await this.deps.sessions.findLive(idHash, now);
    if (!found) return null;
    // Sliding expiry, written at most once a minute per session to keep reads cheap.
    if (now - found.session.last_seen_at > 60_000) {
      await this.deps.sessions.touch(idHash, now, now + this.deps.sessionTtlMs);
    }
    return {
      userId: found.user.id,
      username: found.user.username,
      role: found.user.role,
      via: "session",
      session: { idHash, csrfToken: found.session.csrf_token },
    };
  }

  async fromApiKey(key: string): Promise<Principal | null> {
    const found = await this.deps.apiKeys.findActive(hashSecret(key));
    if (!found) return null;
    const now = this.deps.clock.now();
    if (found.key.last_used_at === null || now - found.key.last_used_at > 60_000) {
      await this.deps.apiKeys.touch(found.key.id, now);
    }
    return { userId: found.user.id, username: found.user.username, role: found.user.role, via: "api_key" };
  }

  async createApiKey(userId: string, name: string | undefined): Promise<CreatedApiKey> {
    const issued = issueSecret("wsk");
    const row: ApiKeyRow = {
      id: newId("key"),
      user_id: userId,
      name: name ?? "API key",
      prefix: issued.prefix,
      key_hash: issued.hash,
      created_at: this.deps.clock.now(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.deps.apiKeys.insert(row);
    return { ...apiKeyView(row), key: issued.secret };
  }

  async listApiKeys(userId: string): Promise<ApiKeyView[]> {
    return (await this.deps.apiKeys.listForUser(userId)).map(apiKeyView);
  }

  async revokeApiKey(userId: string, keyId: string): Promise<void> {
    if (!(await this.deps.apiKeys.revoke(keyId, userId, this.deps.clock.now()))) throw new AppError("not_found", "No such API key.");
  }

  async userByName(username: string): Promise<UserRow | undefined> {
    return this.deps.users.byUsername(username);
  }
}

export function userView(user: Pick<UserRow, "id" | "username" | "role" | "created_at">): UserView {
  return { id: user.id, username: user.username, role: user.role, created_at: iso(user.created_at) };
}

export function meView(user: UserRow, csrfToken: string | null): MeView {
  return { ...userView(user), csrf_token: csrfToken };
}

function apiKeyView(row: ApiKeyRow): ApiKeyView {
  return { id: row.id, name: row.name, prefix: row.prefix, created_at: iso(row.created_at), last_used_at: iso(row.last_used_at) };
}
