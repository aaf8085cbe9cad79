import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export interface IssuedSecret {
  /** Shown to its owner once. */
  secret: string;
  /** What the database stores. */
  hash: string;
  /** First characters, to recognise a secret in lists without revealing it. */
  prefix: string;
}

/**
 * Secrets with 256 bits of entropy need no slow hash: sha256 makes a leaked table useless
 * while keeping lookups a single indexed equality.
 */
export function issueSecret(kind: "wss" | "wsk" | "ses"): IssuedSecret {
  const secret = `${kind}_${randomBytes(32).toString("base64url")}`;
  return { secret, hash: hashSecret(secret), prefix: secret.slice(0, 10) };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
