import { fileTypeFromBuffer } from "file-type";

/** How many leading bytes are kept for sniffing (what file-type reads at most for most formats). */
export const SNIFF_BYTES = 4100;

export interface SniffedType {
  mime: string;
  /** The usual extension for the type, or null when the content says nothing. */
  ext: string | null;
  /** Plain text (valid UTF-8, no control bytes but whitespace): the only case where the name's extension counts. */
  text: boolean;
}

/** The type a file's content shows, from its first bytes; never from its name. */
export async function sniffType(head: Uint8Array): Promise<SniffedType> {
  const found = await fileTypeFromBuffer(head);
  if (found) return { mime: found.mime, ext: found.ext, text: false };
  if (looksLikeText(head)) return { mime: "text/plain", ext: "txt", text: true };
  return { mime: "application/octet-stream", ext: null, text: false };
}

/** Control bytes found in text files: tab, newline, form feed, carriage return, escape. */
const TEXT_CONTROLS = new Set([9, 10, 12, 13, 27]);

function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0 || head.some((byte) => (byte < 0x20 && !TEXT_CONTROLS.has(byte)) || byte === 0x7f)) return false;
  // A multi-byte character may be cut at the end of the sample: decode all but the last 3 bytes strictly.
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return true;
  } catch {
    return false;
  }
}
