import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * `x-wsspaces-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — the timestamp
 * is signed too, so a captured delivery cannot be replayed later under a fresh time.
 */
export function signDelivery(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
  return `t=${timestampSeconds},v1=${mac}`;
}

/** What a receiver does (docs/webhooks.md has the same in a few lines of Node and Python). */
export function verifyDelivery(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = new Map(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signDelivery(secret, body, t).split("v1=")[1] ?? "", "hex");
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
