import path from "node:path";
import type { InferenceRequest, RequestFile } from "@wsspaces/protocol";
import type { JobContext } from "./types.js";

/** An input file as a command sees it: downloaded, with its local path. */
export type LocalRequestFile = RequestFile & { path: string };

/**
 * The request as a command gets it: each uploaded file downloaded first (into the job's
 * temporary folder, removed afterwards) and listed with its `path`.
 */
export async function requestWithPaths(request: InferenceRequest, ctx: JobContext): Promise<InferenceRequest> {
  if (ctx.files.length === 0) return request;
  const files = await Promise.all(ctx.files.map(async (file) => ({ id: file.id, field: file.field, name: file.name, mime: file.mime, size: file.size, sha256: file.sha256, url: file.url, path: await file.download() })));
  return { ...request, files };
}

/** Attaches an output file a command named in a `{"file": …}` line. */
export function attachFromLine(ctx: JobContext, line: { file: string; name?: string; mime?: string }): Promise<void> {
  return ctx.attach(line.name ?? path.basename(line.file), line.file, line.mime ? { mime: line.mime } : {});
}
