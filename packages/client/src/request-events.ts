import type { RequestFeedEvent, RequestEventType } from "@wsspaces/protocol";
import { REQUEST_EVENT_TYPES } from "@wsspaces/protocol";
import { ApiError } from "./errors.js";
import { SseParser } from "./sse-parser.js";

export interface EventsOptions {
  /** Resume after this event id (from an earlier `events()` call). */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Reconnections in a row without receiving anything before giving up (default 5). */
  maxRetries?: number;
}

interface Source {
  requestId: string;
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  toError: (res: Response) => Promise<ApiError>;
}

const KNOWN = new Set<string>(REQUEST_EVENT_TYPES);
const DEFAULT_RETRY_MS = 2000;

/**
 * Reads a request's SSE stream, reconnecting with `Last-Event-ID` when the connection drops
 * before `done`. API errors (404, 401…) are thrown at once; network errors are retried.
 */
export async function* readRequestEvents(source: Source, options: EventsOptions): AsyncGenerator<RequestFeedEvent, void, undefined> {
  let lastEventId = options.lastEventId;
  let failures = 0;
  let retryMs = DEFAULT_RETRY_MS;
  const maxRetries = options.maxRetries ?? 5;
  for (;;) {
    options.signal?.throwIfAborted();
    let res: Response;
    try {
      res = await source.fetch(source.url, {
        headers: { ...source.headers, accept: "text/event-stream", ...(lastEventId !== undefined ? { "last-event-id": lastEventId } : {}) },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted || ++failures > maxRetries) throw err;
      await pause(retryMs * failures, options.signal);
      continue;
    }
    if (!res.ok) throw await source.toError(res);
    if (!res.body) throw new ApiError(res.status, "bad_response", "The event stream has no body.");

    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (options.signal?.aborted) throw err;
          break; // The connection dropped: reconnect below.
        }
        if (chunk.done) break;
        for (const message of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          if (!KNOWN.has(message.event)) continue;
          failures = 0;
          if (message.id !== undefined) lastEventId = message.id;
          const event = {
            id: message.id ?? "",
            request_id: source.requestId,
            type: message.event as RequestEventType,
            data: JSON.parse(message.data) as unknown,
          } as RequestFeedEvent;
          yield event;
          if (event.type === "done") return;
        }
      }
    } finally {
      reader.releaseLock();
      await res.body.cancel().catch(() => undefined);
    }
    retryMs = parser.retryMs ?? retryMs;
    if (++failures > maxRetries) throw new ApiError(0, "stream_ended", "The event stream ended before the request finished.");
    await pause(retryMs, options.signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
