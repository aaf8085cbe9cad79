/*
 * The JSON-lines vocabulary shared by the exec modes: what a command may print on stdout, and
 * how to tell its lines apart. Kept free of process handling so both modes read lines the same way.
 */

export type JsonObject = Record<string, unknown>;

/** Parses a line that looks like JSON; anything else (log output, blank lines) is undefined. */
export function parseJsonLine(line: string): unknown {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[") && !trimmed.startsWith('"')) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{"progress": 0.4, "message": "…"}`, either key alone, plus any of `allowed`. */
export function isProgressLine(
  value: unknown,
  allowed: readonly string[] = [],
): value is { progress?: number; message?: string } {
  if (!isJsonObject(value)) return false;
  if (!("progress" in value) && !("message" in value)) return false;
  if (!Object.keys(value).every((k) => k === "progress" || k === "message" || allowed.includes(k))) return false;
  return (
    (value.progress === undefined || typeof value.progress === "number") &&
    (value.message === undefined || typeof value.message === "string")
  );
}

/** `{"stream": chunk}`, plus any of `allowed`. */
export function isStreamLine(value: unknown, allowed: readonly string[] = []): value is { stream: unknown } {
  if (!isJsonObject(value) || !("stream" in value)) return false;
  return Object.keys(value).every((k) => k === "stream" || allowed.includes(k));
}

/** `{"file": "/path/to/output.png"}`, optionally with `name` and `mime`, plus any of `allowed`. */
export function isFileLine(value: unknown, allowed: readonly string[] = []): value is { file: string; name?: string; mime?: string } {
  if (!isJsonObject(value) || typeof value.file !== "string") return false;
  if (value.name !== undefined && typeof value.name !== "string") return false;
  if (value.mime !== undefined && typeof value.mime !== "string") return false;
  return Object.keys(value).every((k) => k === "file" || k === "name" || k === "mime" || allowed.includes(k));
}
