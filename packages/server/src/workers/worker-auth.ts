import type { Socket } from "socket.io";
import type { WorkerTokenStore } from "../spaces/worker-token-store.js";
import { hashSecret } from "../util/secrets.js";
import type { Clock } from "../util/time.js";

export interface WorkerCredential {
  tokenId: string;
  spaceId: string;
}

/** A token from `auth.token` or, for unmodified seed apps, the `?token=` query. */
export function tokenFromHandshake(socket: Pick<Socket, "handshake">): string | undefined {
  const auth: unknown = socket.handshake.auth;
  if (typeof auth === "object" && auth !== null && "token" in auth && typeof auth.token === "string" && auth.token !== "") return auth.token;
  const query = socket.handshake.query.token;
  const fromQuery = Array.isArray(query) ? query[0] : query;
  return typeof fromQuery === "string" && fromQuery !== "" ? fromQuery : undefined;
}

/** Undefined for an unknown or revoked token. */
export async function verifyWorkerToken(tokens: WorkerTokenStore, clock: Clock, token: string): Promise<WorkerCredential | undefined> {
  const row = await tokens.findActive(hashSecret(token));
  if (!row) return undefined;
  await tokens.touch(row.id, clock.now());
  return { tokenId: row.id, spaceId: row.space_id };
}
