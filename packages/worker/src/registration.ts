import type { RegisterMessage, RegisterResponse } from "@wsspaces/protocol";
import type { ResolvedOptions } from "./options.js";

/**
 * `space_name` (the first space) keeps seed-era servers working; `spaces` is the extension.
 * `resume_id` is the connection id we had before a reconnect, so the server can give this
 * connection back the requests it was running.
 */
export function buildRegisterMessage(options: ResolvedOptions, resumeId?: string): RegisterMessage {
  // No spaces: the server takes the token's own space.
  const message: RegisterMessage = options.spaces.length > 0 ? { space_name: options.spaces[0], spaces: options.spaces, capacity: options.capacity } : { capacity: options.capacity };
  if (options.name !== undefined) message.name = options.name;
  if (options.version !== undefined) message.version = options.version;
  if (resumeId !== undefined) message.resume_id = resumeId;
  return message;
}

/** Seed-era servers ack with nothing and answer with the event, so the ack may be empty. */
export function isRegisterResponse(value: unknown): value is RegisterResponse {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { success?: unknown }).success === "boolean"
  );
}

export type RegistrationOutcome = { kind: "response"; response: RegisterResponse } | { kind: "timeout" };

/**
 * One `register` round trip. The answer may come twice (as the ack and as the
 * `register_response` event); the first wins, and the timeout stops a silent server from
 * hanging `start()` forever.
 */
export class RegistrationAttempt {
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    timeoutMs: number,
    private readonly onOutcome: (outcome: RegistrationOutcome) => void,
  ) {
    this.timer = setTimeout(() => this.finish({ kind: "timeout" }), timeoutMs);
  }

  /** Feeds an ack or a `register_response`; anything that is not a response is ignored. */
  answer(value: unknown): void {
    if (isRegisterResponse(value)) this.finish({ kind: "response", response: value });
  }

  /** Drops the attempt (disconnect, shutdown): a late answer is then ignored. */
  cancel(): void {
    this.settled = true;
    clearTimeout(this.timer);
  }

  private finish(outcome: RegistrationOutcome): void {
    if (this.settled) return;
    this.cancel();
    this.onOutcome(outcome);
  }
}
