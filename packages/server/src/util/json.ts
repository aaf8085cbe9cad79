/** Parses JSON we wrote ourselves; a corrupt value reads as `fallback` instead of crashing a view. */
export function parseStoredJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
