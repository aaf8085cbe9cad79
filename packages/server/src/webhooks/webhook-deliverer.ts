import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Logger } from "pino";
import type { FileView, WebhookDeliveryView } from "@wsspaces/protocol";
import { isTerminalState } from "@wsspaces/protocol";
import type { RequestEvent, RequestEvents } from "../requests/request-events.js";
import type { RequestRow, RequestStore } from "../requests/request-store.js";
import { hasFiles, requestView } from "../requests/request-view.js";
import { newId } from "../util/ids.js";
import { parseStoredJson } from "../util/json.js";
import type { Clock } from "../util/time.js";
import { signDelivery } from "./signing.js";
import type { WebhookUrlPolicy } from "./url-policy.js";
import type { DeliveryRow, WebhookStore } from "./webhook-store.js";

export interface WebhookOptions {
  /** Attempts in all (the first and the retries). */
  maxAttempts: number;
  /** Delay before the first retry; doubled for each further one. */
  retryBaseMs: number;
  /** No attempt starts later than this after the request finished. */
  giveUpAfterMs: number;
  /** One attempt may take this long. */
  timeoutMs: number;
}

export interface WebhookDelivererDeps {
  events: RequestEvents;
  requests: RequestStore;
  store: WebhookStore;
  policy: WebhookUrlPolicy;
  clock: Clock;
  log: Logger;
  options: WebhookOptions;
  /** The files of a request that has some (links relative to the site, for its owner's API key). */
  filesOf: (row: RequestRow) => Promise<FileView[]>;
}

interface StoredWebhook {
  url: string;
  events: string[];
}

const MAX_DELAY_MS = 10 * 60_000;
const MAX_ERROR = 500;

/**
 * POSTs a request's final view to the webhook its submitter gave, signed with the submitter's
 * secret, retrying with exponential backoff within a bounded time, and recording every attempt.
 * Pending retries are in memory; on start-up `resume()` picks up what a previous run left.
 */
export class WebhookDeliverer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly deps: WebhookDelivererDeps) {
    deps.events.on("request", (event) => this.onRequestEvent(event));
  }

  async resume(): Promise<number> {
    const pending = await this.deps.store.unfinished(this.deps.clock.now() - this.deps.options.giveUpAfterMs);
    for (const item of pending) this.schedule(item.requestId, item.nextAttempt, Math.max(0, item.at - this.deps.clock.now()));
    return pending.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private onRequestEvent(event: RequestEvent): void {
    // Delivered by the node that made the transition, once.
    if (event.type !== "state" || event.remote || !isTerminalState(event.state) || event.row.webhook === null) return;
    const webhook = parseStoredJson<StoredWebhook | null>(event.row.webhook, null);
    if (!webhook?.events.includes(event.state)) return;
    this.schedule(event.row.id, 1, 0);
  }

  private schedule(requestId: string, attempt: number, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.attempt(requestId, attempt)
        .catch((err: unknown) => this.deps.log.error({ err, requestId }, "webhook delivery failed unexpectedly"))
        .finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private async attempt(requestId: string, attempt: number): Promise<void> {
    const row = await this.deps.requests.byId(requestId);
    const webhook = row ? parseStoredJson<StoredWebhook | null>(row.webhook, null) : null;
    if (!row || !webhook || row.finished_at === null) return;
    const body = JSON.stringify(requestView(row, null, null, hasFiles(row) ? await this.deps.filesOf(row) : []));
    const started = this.deps.clock.now();
    const secret = await this.deps.store.secretFor(row.user_id);
    const outcome = await this.post(webhook.url, body, {
      "x-wsspaces-event": row.state,
      "x-wsspaces-delivery": `${row.id}.${row.state}`,
      "x-wsspaces-signature": signDelivery(secret, body, Math.floor(started / 1000)),
    });
    const now = this.deps.clock.now();
    const { maxAttempts, retryBaseMs, giveUpAfterMs } = this.deps.options;
    const delay = Math.min(MAX_DELAY_MS, retryBaseMs * 2 ** (attempt - 1));
    const canRetry = !outcome.ok && attempt < maxAttempts && now + delay - row.finished_at <= giveUpAfterMs;
    await this.deps.store.record({
      id: newId("whd"),
      request_id: row.id,
      event: row.state,
      attempt,
      url: webhook.url,
      status_code: outcome.status,
      error: outcome.error,
      outcome: outcome.ok ? "delivered" : canRetry ? "retrying" : "gave_up",
      duration_ms: now - started,
      attempted_at: started,
      next_attempt_at: canRetry ? now + delay : null,
    });
    if (canRetry) this.schedule(row.id, attempt + 1, delay);
    else if (!outcome.ok) this.deps.log.warn({ requestId: row.id, attempts: attempt, status: outcome.status, error: outcome.error }, "webhook delivery gave up");
  }

  /** One POST; never follows redirects (a 3xx is a failure, so it cannot bounce inside). */
  private post(raw: string, body: string, headers: Record<string, string>): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    return this.deps.policy.vet(raw).then(
      (url) =>
        new Promise((resolve) => {
          const send = url.protocol === "https:" ? httpsRequest : httpRequest;
          const req = send(
            url,
            {
              method: "POST",
              lookup: this.deps.policy.lookup,
              timeout: this.deps.options.timeoutMs,
              headers: {
                "content-type": "application/json",
                "content-length": Buffer.byteLength(body),
                "user-agent": "wsspaces-webhook/0.1",
                ...headers,
              },
            },
            (res) => {
              res.resume(); // The answer's body does not matter; drain it to free the socket.
              res.on("end", () => {
                const status = res.statusCode ?? 0;
                resolve({ ok: status >= 200 && status < 300, status, error: status >= 200 && status < 300 ? null : `HTTP ${status}` });
              });
              res.on("error", (err) => resolve({ ok: false, status: res.statusCode ?? null, error: err.message.slice(0, MAX_ERROR) }));
            },
          );
          req.on("timeout", () => req.destroy(new Error(`no answer within ${this.deps.options.timeoutMs} ms`)));
          req.on("error", (err) => resolve({ ok: false, status: null, error: err.message.slice(0, MAX_ERROR) }));
          req.end(body);
        }),
      (err: unknown) => ({ ok: false, status: null, error: (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR) }),
    );
  }
}

export function deliveryView(row: DeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    event: row.event,
    attempt: row.attempt,
    url: row.url,
    status_code: row.status_code,
    error: row.error,
    outcome: row.outcome,
    duration_ms: row.duration_ms,
    attempted_at: new Date(row.attempted_at).toISOString(),
    next_attempt_at: row.next_attempt_at === null ? null : new Date(row.next_attempt_at).toISOString(),
  };
}
