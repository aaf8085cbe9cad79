import type { EventAck, InferenceResultMessage } from "@wsspaces/protocol";
import type { DeliveryOutcome, WorkerLogger } from "./types.js";

export interface OutboxTransport {
  /** True while connected and registered: results sent earlier would be refused or lost. */
  canSend(): boolean;
  send(message: InferenceResultMessage, ack: (response: EventAck | undefined) => void): void;
}

/**
 * Results wait here until the server acknowledges them. A result whose ack never came (the
 * connection dropped) is sent again after the next registration; the server answers a repeat
 * with `{ok: true, duplicate: true}`, so resending is always safe and a finished inference is
 * not lost to a network blip.
 */
export class ResultOutbox {
  private readonly pending = new Map<string, InferenceResultMessage>();
  private readonly settledListeners = new Set<() => void>();

  constructor(
    private readonly transport: OutboxTransport,
    private readonly logger: WorkerLogger,
    private readonly limit = 1000,
    private readonly onDelivered: (requestId: string, outcome: DeliveryOutcome) => void = () => undefined,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  has(requestId: string): boolean {
    return this.pending.has(requestId);
  }

  /** Queues a result and sends it now if the connection allows. */
  put(message: InferenceResultMessage): void {
    if (!this.pending.has(message.request_id) && this.pending.size >= this.limit) {
      // Bounded: a worker cut off for long must not grow without end. Maps iterate in
      // insertion order, so this is the oldest result.
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) {
        this.pending.delete(oldest);
        this.logger.warn("result buffer full; dropped the oldest undelivered result", { request_id: oldest, limit: this.limit });
      }
    }
    this.pending.set(message.request_id, message);
    this.transmit(message);
  }

  /** Sends one queued result again (the server re-sent a request we had already finished). */
  resend(requestId: string): void {
    const message = this.pending.get(requestId);
    if (message) this.transmit(message);
  }

  /** Forgets a result the server no longer wants (the request was cancelled). */
  drop(requestId: string): void {
    if (this.pending.delete(requestId)) this.notifySettled();
  }

  /** Sends everything still unacknowledged; called after each successful registration. */
  flush(): void {
    for (const message of this.pending.values()) this.transmit(message);
  }

  /** Called whenever a result leaves the outbox, so a draining stop() can re-check. */
  onSettled(listener: () => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  private transmit(message: InferenceResultMessage): void {
    if (!this.transport.canSend()) {
      this.logger.debug("result queued until the worker is registered again", {
        request_id: message.request_id,
      });
      return;
    }
    this.transport.send(message, (ack) => this.onAck(message, ack));
  }

  private onAck(message: InferenceResultMessage, ack: EventAck | undefined): void {
    const id = message.request_id;
    // A newer result for the same id, or a drop, supersedes this one.
    if (this.pending.get(id) !== message) return;

    if (ack !== undefined && !ack.ok) {
      // Sent in the gap between reconnecting and registering, or the server could not save it
      // just now: keep it for the next flush (after the next registration).
      if (ack.error.code === "not_registered") return;
      if (ack.error.code === "unavailable") {
        setTimeout(() => this.resend(id), 1000).unref();
        return;
      }
      this.logger.warn("server rejected a result", {
        request_id: id,
        code: ack.error.code,
        message: ack.error.message,
      });
      this.onDelivered(id, "refused");
    } else if (ack?.duplicate) {
      this.logger.debug("server already had this result", { request_id: id });
      this.onDelivered(id, "duplicate");
    } else {
      this.onDelivered(id, "accepted");
    }
    // An empty ack comes from seed-era servers, which do not acknowledge: treat it as received.
    this.pending.delete(id);
    this.notifySettled();
  }

  private notifySettled(): void {
    for (const listener of this.settledListeners) listener();
  }
}
