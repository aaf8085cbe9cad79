/*
 * The exec modes start their commands in process groups of their own (`detached`), so that a
 * Ctrl+C in the terminal reaches only the worker, which then drains, instead of killing the
 * model mid-request. The price: if the worker itself exits abruptly (second Ctrl+C,
 * process.exit), nothing would stop those groups. This registry signals every group still
 * alive when the worker process exits.
 */

const live = new Set<number>();
let hooked = false;

/** Sends `signal` to the whole group led by `pid`; false if it is already gone. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Remembers a group leader until `release`; the returned function releases it. */
export function trackGroup(pid: number | undefined): () => void {
  if (pid === undefined) return () => {};
  if (!hooked) {
    hooked = true;
    // "exit" listeners must be synchronous; process.kill is.
    process.on("exit", () => {
      for (const leader of live) signalGroup(leader, "SIGTERM");
    });
  }
  live.add(pid);
  return () => live.delete(pid);
}
