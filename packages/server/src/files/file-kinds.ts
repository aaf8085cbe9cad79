import type { SniffedType } from "./sniff.js";

export const FILE_FIELDS = ["audio", "video", "file"] as const;
export type FileField = (typeof FILE_FIELDS)[number];

export function isFileField(name: string): name is FileField {
  return (FILE_FIELDS as readonly string[]).includes(name);
}

/**
 * Containers that usually carry sound alone when a browser records it (MediaRecorder writes
 * WebM or Ogg), which sniffing reports as video.
 */
const AUDIO_CONTAINERS = new Set(["video/webm", "video/ogg", "application/ogg"]);

/**
 * Whether a sniffed file is accepted on a field. `rules` (the space's `file_types`) apply to the
 * `file` field: MIME types, families ("image/*") or extensions; empty accepts anything. For plain
 * text the name's extension may match too: text formats cannot be told apart by content.
 */
export function acceptsKind(field: FileField, type: SniffedType, nameExt: string | null, rules: readonly string[]): boolean {
  switch (field) {
    case "audio":
      return type.mime.startsWith("audio/") || AUDIO_CONTAINERS.has(type.mime);
    case "video":
      return type.mime.startsWith("video/");
    case "file":
      return rules.length === 0 || rules.some((rule) => matchesRule(rule, type, nameExt));
  }
}

function matchesRule(rule: string, type: SniffedType, nameExt: string | null): boolean {
  if (rule.endsWith("/*")) return type.mime.startsWith(rule.slice(0, -1));
  if (rule.includes("/")) return type.mime === rule;
  return type.ext === rule || (type.text && nameExt === rule);
}

/** What a field accepts, in words, for error messages. */
export function describeAccepted(field: FileField, rules: readonly string[]): string {
  if (field === "audio") return "an audio file";
  if (field === "video") return "a video file";
  return rules.length === 0 ? "any file" : `one of: ${rules.join(", ")}`;
}
