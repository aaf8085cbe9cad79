import { ApiError, errorFromResponse } from "./api-error";

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

let csrfToken: string | null = null;

/** The session's CSRF token (from `GET /api/v1/me`, sign-in or registration). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function send(method: Method, path: string, body: unknown, signal: AbortSignal | undefined): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET" && csrfToken !== null) headers["x-csrf-token"] = csrfToken;
  // A form (files) sets its own multipart content type with the boundary.
  const isForm = body instanceof FormData;
  if (body !== undefined && !isForm) headers["content-type"] = "application/json";
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(body !== undefined ? { body: isForm ? body : JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, "network_error", err instanceof Error ? err.message : "network error");
  }
}

/** Reads the session's CSRF token again (it changes when the session does). */
async function refreshCsrf(): Promise<boolean> {
  const res = await send("GET", "/api/v1/me", undefined, undefined);
  if (!res.ok) return false;
  const me = (await readBody(res)) as { csrf_token?: unknown } | undefined;
  setCsrfToken(typeof me?.csrf_token === "string" ? me.csrf_token : null);
  return true;
}

/**
 * One same-origin JSON call to the site's API with the session cookie. Unsafe methods carry
 * the CSRF token; a `csrf_failed` answer (the session changed in another tab) is retried once
 * with a fresh token. Error answers throw an {@link ApiError}; `204` resolves to undefined.
 */
export async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res = await send(method, path, body, signal);
  if (res.status === 403 && method !== "GET") {
    const first = await readBody(res);
    const error = errorFromResponse(res.status, first, res.headers);
    if (error.code !== "csrf_failed" || !(await refreshCsrf())) throw error;
    res = await send(method, path, body, signal);
  }
  const parsed = await readBody(res);
  if (!res.ok) throw errorFromResponse(res.status, parsed, res.headers);
  return parsed as T;
}

/** Builds `path?k=v&…`, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
