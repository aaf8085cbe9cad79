/**
 * The prompts this browser sent, by request id, so that a reloaded page can show a request's
 * prompt and send it again (the request view does not carry the prompt). Kept in
 * localStorage, bounded, and forgotten at sign-out.
 */
const KEY = "wsspaces.prompts";
const MAX_ENTRIES = 100;

type Stored = [requestId: string, prompt: string][];

function read(): Stored {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(parsed) ? (parsed as Stored).filter((e) => Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "string") : [];
  } catch {
    return [];
  }
}

export function rememberPrompt(requestId: string, prompt: string): void {
  try {
    const entries = read().filter(([id]) => id !== requestId);
    entries.push([requestId, prompt]);
    localStorage.setItem(KEY, JSON.stringify(entries.slice(-MAX_ENTRIES)));
  } catch {
    // Storage full or blocked: the prompt is simply not remembered.
  }
}

export function recallPrompt(requestId: string): string | undefined {
  return read().find(([id]) => id === requestId)?.[1];
}

export function forgetPrompts(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing to forget.
  }
}
