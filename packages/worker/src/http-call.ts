import { openAsBlob } from "node:fs";
import type { JobContext } from "./types.js";

/*
 * What the HTTP modes share: one POST per request with Node's own fetch, aborted by a cancel
 * or the request's deadline, and errors worded for the person reading the failed request.
 */

const EXCERPT_LENGTH = 300;

export function excerpt(text: string, length = EXCERPT_LENGTH): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > length ? `${flat.slice(0, length)}…` : flat;
}

/** Aborts on the job's cancel and, past its deadline, on its own: the server no longer waits then. */
function requestSignal(ctx: JobContext): AbortSignal {
  const remaining = ctx.deadline.getTime() - Date.now();
  if (!Number.isFinite(remaining)) return ctx.signal;
  return AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(0, remaining))]);
}

export interface PostOptions {
  url: string;
  body: unknown;
  headers?: Record<string, string>;
  ctx: JobContext;
}

/** POSTs JSON; resolves with any response that has a status, rejects with a readable error otherwise. */
export async function postJson({ url, body, headers, ctx }: PostOptions): Promise<Response> {
  try {
    return await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream, */*", ...headers },
      body: JSON.stringify(body),
      signal: requestSignal(ctx),
    });
  } catch (error) {
    throw describeFetchError(error, url, ctx);
  }
}

/**
 * POSTs multipart/form-data: the JSON body as the field `request`, and each file (downloaded
 * first) as a part named after its input field, read from disk as it is sent.
 */
export async function postMultipart({ url, body, headers, ctx, files }: PostOptions & { files: readonly { field: string; name: string; mime: string; path: string }[] }): Promise<Response> {
  const form = new FormData();
  form.set("request", JSON.stringify(body));
  for (const file of files) form.append(file.field, await openAsBlob(file.path, { type: file.mime }), file.name);
  try {
    return await fetch(url, { method: "POST", headers: { accept: "application/json, */*", ...headers }, body: form, signal: requestSignal(ctx) });
  } catch (error) {
    throw describeFetchError(error, url, ctx);
  }
}

/** Turns fetch's errors (a bare "fetch failed" with the reason in `cause`) into a sentence. */
export function describeFetchError(error: unknown, url: string, ctx: JobContext): Error {
  // A cancel keeps its own reason: the worker recognises it and reports nothing.
  if (ctx.signal.aborted) return ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error("cancelled");
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new Error(`${url} did not answer before the request's deadline`);
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    return new Error(`could not reach ${url}: ${cause ?? error.message}`);
  }
  return new Error(`could not reach ${url}: ${String(error)}`);
}

/** For a non-2xx answer: the status and the start of the body, which usually says why. */
export async function statusError(url: string, response: Response): Promise<Error> {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // The body could not be read; the status alone has to do.
  }
  const reason = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
  return new Error(`${url} answered ${reason}${text ? `: ${excerpt(text)}` : ""}`);
}

export function isJsonResponse(response: Response): boolean {
  return /\bjson\b/i.test(response.headers.get("content-type") ?? "");
}
