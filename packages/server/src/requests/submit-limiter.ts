/**
 * Submissions allowed per user per minute, as a token bucket: a burst up to the limit, then one
 * more every 60/limit seconds. In memory, per node (a user spread over N nodes gets N times the
 * rate; the per-space queued cap still bounds what they can pile up).
 */
export class SubmitLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}

  /** Takes one token for `key`; returns 0 if allowed, else whole seconds until the next token. */
  take(key: string): number {
    if (this.perMinute <= 0) return 0;
    const now = this.now();
    const refillPerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * refillPerMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      return Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    // Full buckets carry no information: dropping them bounds memory to active users.
    if (this.buckets.size > 50_000) {
      for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * refillPerMs >= this.perMinute) this.buckets.delete(k);
    }
    return 0;
  }
}
