import path from "node:path";

/**
 * A file name safe to store and to offer back in Content-Disposition: no directories, no
 * control or reserved characters, no leading dots, at most 200 bytes-ish; never empty.
 */
export function sanitiseFileName(raw: string, fallback = "file"): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  const cleaned = base
    .normalize("NFC")
    .replace(/[\p{Cc}\p{Cf}<>:"|?*]/gu, "")
    .replace(/^[.\s]+/, "")
    .replace(/\s+/g, " ")
    .trim();
  const limited = [...cleaned].slice(0, 200).join("");
  return limited === "" ? fallback : limited;
}

/** Whether a name as given would escape a directory or hide itself (refused, not repaired). */
export function isSuspiciousFileName(raw: string): boolean {
  return raw.includes("\0") || /(^|[\\/])\.\.([\\/]|$)/.test(raw) || path.isAbsolute(raw) || /^[a-zA-Z]:[\\/]/.test(raw);
}

export function extensionOf(name: string): string | null {
  const match = /\.([a-zA-Z0-9]{1,10})$/.exec(name);
  return match?.[1]?.toLowerCase() ?? null;
}

/** RFC 6266 Content-Disposition with an ASCII fallback and the UTF-8 name. */
export function contentDisposition(type: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
