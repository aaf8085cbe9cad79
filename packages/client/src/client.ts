import type {
  ListRequestsQuery,
  RequestFeedEvent,
  RequestView,
  SpaceDetail,
  SpaceSummary,
  SubmitBody,
  SubmitResponse,
} from "@wsspaces/protocol";
import { ApiError, WaitTimeoutError } from "./errors.js";
import { readRequestEvents, type EventsOptions } from "./request-events.js";

export interface ClientOptions {
  /** The site, e.g. `https://spaces.example.org`. */
  baseUrl: string;
  /** An API key (`wsk_…`); without one, only public routes work (or a browser's own cookie). */
  apiKey?: string;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Give up after this long (default 10 minutes) with a WaitTimeoutError. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out"]);
/** The server holds a `?wait=` call at most this long. */
const MAX_WAIT_SECONDS = 60;

export function isTerminal(view: Pick<RequestView, "state">): boolean {
  return TERMINAL.has(view.state);
}

/**
 * A typed client for the WebSocket Spaces HTTP API: submit a request, wait for it, follow its
 * events, cancel it. Works in Node 20+ and browsers (it needs only fetch and streams).
 */
export class WsSpacesClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  listSpaces(): Promise<{ spaces: SpaceSummary[] }> {
    return this.call("GET", "/api/v1/spaces");
  }

  getSpace(spaceId: string): Promise<SpaceDetail> {
    return this.call("GET", `/api/v1/spaces/${encodeURIComponent(spaceId)}`);
  }

  /** Queues a request; `202 {request_id, state, position}`. */
  submit(spaceId: string, body: SubmitBody, options: { signal?: AbortSignal } = {}): Promise<SubmitResponse> {
    return this.call("POST", `/api/v1/spaces/${encodeURIComponent(spaceId)}/requests`, body, options.signal);
  }

  /** The request now, or after holding up to `waitSeconds` (≤ 60) for it to finish. */
  get(requestId: string, options: { waitSeconds?: number; signal?: AbortSignal } = {}): Promise<RequestView> {
    const wait = options.waitSeconds ? `?wait=${Math.min(MAX_WAIT_SECONDS, Math.max(0, options.waitSeconds))}` : "";
    return this.call("GET", `/api/v1/requests/${encodeURIComponent(requestId)}${wait}`, undefined, options.signal);
  }

  /** Resolves with the request once it is terminal (completed, failed, cancelled or timed out). */
  async wait(requestId: string, options: WaitOptions = {}): Promise<RequestView> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const remaining = deadline - Date.now();
      const view = await this.get(requestId, { waitSeconds: Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(remaining / 1000))), ...(options.signal ? { signal: options.signal } : {}) });
      if (isTerminal(view)) return view;
      if (Date.now() >= deadline) throw new WaitTimeoutError(`request ${requestId} is still ${view.state}`);
    }
  }

  /** Submits and waits: the final view of the request. */
  async run(spaceId: string, body: SubmitBody, options: WaitOptions = {}): Promise<RequestView> {
    const submitted = await this.submit(spaceId, body, options.signal ? { signal: options.signal } : {});
    return this.wait(submitted.request_id, options);
  }

  /**
   * The request's events (state, position, progress, stream, done) as they happen, over
   * Server-Sent Events. Reconnects with `Last-Event-ID` after a dropped connection, so nothing
   * is missed or repeated; ends after `done`.
   */
  events(requestId: string, options: EventsOptions = {}): AsyncGenerator<RequestFeedEvent, void, undefined> {
    return readRequestEvents(
      {
        requestId,
        url: `${this.baseUrl}/api/v1/requests/${encodeURIComponent(requestId)}/events`,
        headers: this.authHeaders(),
        fetch: this.fetchImpl,
        toError: (res) => this.errorFrom(res),
      },
      options,
    );
  }

  cancel(requestId: string): Promise<RequestView> {
    return this.call("POST", `/api/v1/requests/${encodeURIComponent(requestId)}/cancel`);
  }

  async listRequests(query: Partial<ListRequestsQuery> = {}): Promise<RequestView[]> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const qs = params.size > 0 ? `?${params.toString()}` : "";
    return (await this.call<{ requests: RequestView[] }>("GET", `/api/v1/requests${qs}`)).requests;
  }

  private authHeaders(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  private async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers = this.authHeaders();
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await this.errorFrom(res);
    return (await res.json()) as T;
  }

  private async errorFrom(res: Response): Promise<ApiError> {
    let parsed: unknown;
    try {
      parsed = await res.json();
    } catch {
      parsed = undefined;
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    const code = typeof error?.code === "string" ? error.code : `http_${res.status}`;
    const message = typeof error?.message === "string" ? error.message : `HTTP ${res.status}`;
    return new ApiError(res.status, code, message, error?.details);
  }
}
