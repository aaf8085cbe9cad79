/**
 * True when a browser's `Origin` names the host the request was sent to. A cross-site page
 * cannot forge its Origin, whatever cookies its requests carry. No Origin (not a browser, or a
 * same-origin GET in some browsers) passes.
 */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
