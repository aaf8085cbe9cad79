// Timing helpers shared by every scenario: sequential latency and closed-loop throughput.
import { performance } from "node:perf_hooks";

/** The value at quantile q (0..1) of an ascending array (nearest rank). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The median of numbers (for repeated runs). */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One operation at a time: `warmup` unmeasured operations, then `count` measured ones, or as
 * many as fit in `maxSeconds` (at least 100) when that comes first.
 * Returns p50/p99/mean latency in ms and the number of operations measured.
 */
export async function sequential(op, { count, warmup, maxSeconds = Infinity }) {
  for (let i = 0; i < warmup; i++) await op(0);
  const latencies = [];
  const deadline = performance.now() + maxSeconds * 1000;
  while (latencies.length < count && (latencies.length < 100 || performance.now() < deadline)) {
    const t0 = performance.now();
    await op(0);
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    p50_ms: round(quantile(latencies, 0.5), 3),
    p99_ms: round(quantile(latencies, 0.99), 3),
    mean_ms: round(latencies.reduce((a, b) => a + b, 0) / latencies.length, 3),
  };
}

/**
 * Closed loop: `inFlight` lanes each run `op(lane)` back to back. Operations finishing during the
 * first `warmupSeconds` are not counted; then operations finishing during `seconds` are.
 * Returns operations per second and the latency quantiles of the counted operations.
 */
export async function closedLoop(op, { inFlight, seconds, warmupSeconds }) {
  let measuring = false;
  let stop = false;
  const latencies = [];
  const lanes = Array.from({ length: inFlight }, async (_, lane) => {
    while (!stop) {
      const t0 = performance.now();
      await op(lane);
      if (measuring) latencies.push(performance.now() - t0);
    }
  });
  let failure;
  const watched = Promise.all(lanes).catch((err) => {
    failure = err;
    stop = true;
  });
  await Promise.race([delay(warmupSeconds * 1000), watched]);
  measuring = true;
  const t0 = performance.now();
  await Promise.race([delay(seconds * 1000), watched]);
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  const done = latencies.length;
  stop = true;
  await watched;
  if (failure) throw failure;
  latencies.sort((a, b) => a - b);
  return {
    in_flight: inFlight,
    ops: done,
    seconds: round(elapsed, 2),
    per_second: Math.round(done / elapsed),
    p50_ms: round(quantile(latencies, 0.5), 3),
    p99_ms: round(quantile(latencies, 0.99), 3),
  };
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `check()` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(check, { timeoutMs, everyMs = 20, what = "condition" }) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}
