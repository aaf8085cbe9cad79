import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signs file links for workers: `?expires=<ms>&sig=<hmac>` lets a plain GET fetch one file until
 * `expires`, with no other credential (seed-era apps just fetch the URL).
 */
export class FileUrlSigner {
  constructor(private readonly key: Buffer) {}

  pathFor(fileId: string, expiresAt: number): string {
    return `/api/v1/files/${encodeURIComponent(fileId)}?expires=${expiresAt}&sig=${this.sign(fileId, expiresAt)}`;
  }

  verify(fileId: string, expires: string | undefined, sig: string | undefined, now: number): boolean {
    if (expires === undefined || sig === undefined || !/^\d{1,16}$/.test(expires)) return false;
    const expiresAt = Number(expires);
    if (expiresAt < now) return false;
    const expected = Buffer.from(this.sign(fileId, expiresAt));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private sign(fileId: string, expiresAt: number): string {
    return createHmac("sha256", this.key).update(`${fileId}\n${expiresAt}`).digest("base64url");
  }
}
