export interface EtaInput {
  state: "queued" | "dispatched" | "running";
  /** 1-based place in the queue (queued only). */
  position: number | null;
  /** Median run time of the space's recent requests; null without history. */
  medianRunMs: number | null;
  /** Free-or-busy slots of the workers serving the space (sum of capacities). */
  slots: number;
  /** How long the request has been running (running only). */
  runningForMs: number;
}

/**
 * Seconds until a result is expected, or null when there is nothing to go by (no history, or
 * no worker to run it). A queued request waits for `position` requests to go through `slots`
 * parallel slots — each taking the median run time on average, the one in front half-way done —
 * and then runs itself. A running one has the median minus what it has already spent, never
 * less than a second while it is still running.
 */
export function estimateEtaSeconds(input: EtaInput): number | null {
  const { medianRunMs, slots } = input;
  if (medianRunMs === null) return null;
  if (input.state === "queued") {
    if (slots <= 0 || input.position === null) return null;
    const waitMs = ((input.position - 0.5) / slots) * medianRunMs;
    return Math.max(1, Math.round((waitMs + medianRunMs) / 1000));
  }
  if (input.state === "dispatched") return Math.max(1, Math.round(medianRunMs / 1000));
  return Math.max(1, Math.round((medianRunMs - input.runningForMs) / 1000));
}
