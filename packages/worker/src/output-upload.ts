import type { Readable } from "node:stream";

export interface OutputUploadTarget {
  /** The site's base URL (as the worker was configured). */
  server: string;
  token: string | undefined;
  connectionId: string;
}

/**
 * PUTs one output file to `/api/v1/worker/requests/:id/files/:name`, streaming the body: a
 * gigabyte-sized output never sits in memory.
 */
export async function uploadOutputFile(
  target: OutputUploadTarget,
  requestId: string,
  name: string,
  body: Readable,
  size: number,
  mime: string | undefined,
  signal: AbortSignal,
): Promise<void> {
  const base = target.server.endsWith("/") ? target.server : `${target.server}/`;
  const url = new URL(`api/v1/worker/requests/${encodeURIComponent(requestId)}/files/${encodeURIComponent(name)}`, base);
  const headers: Record<string, string> = {
    "content-type": mime ?? "application/octet-stream",
    "content-length": String(size),
    "x-wsspaces-connection": target.connectionId,
  };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const res = await fetch(url, { method: "PUT", headers, body, duplex: "half", signal });
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      message = parsed.error?.message ?? message;
    } catch {
      // not JSON: keep the start of the body
    }
    throw new Error(`uploading output file ${name} failed: HTTP ${res.status} ${message}`);
  }
}
