import type { FastifyRequest } from "fastify";
import { AppError } from "../http/app-error.js";
import type { SpaceRow } from "../spaces/space-store.js";
import { FileService, type ReceivedUpload } from "./file-service.js";

const MIB = 1024 * 1024;

/** A multipart submission: its text fields, and its files held in temporary storage. */
export interface MultipartSubmission {
  fields: Record<string, string>;
  uploads: ReceivedUpload[];
}

/**
 * Reads a multipart body part by part: text fields into memory (small), each file streamed to a
 * temporary file and checked against the space's limits and kinds as it arrives. On any refusal
 * nothing is kept and the rest of the body is read and thrown away, so the client gets the answer.
 */
export async function readMultipartSubmission(request: FastifyRequest, space: SpaceRow, files: FileService): Promise<MultipartSubmission> {
  const budget = FileService.budgetFor(space);
  const fields: Record<string, string> = {};
  const uploads: ReceivedUpload[] = [];
  try {
    // busboy's own per-file cap sits just above ours, so that ours (with its clear message) trips first.
    // preservePath: see the name as sent, so that a path in it is refused rather than quietly cut off.
    const parts = request.parts({ preservePath: true, limits: { fields: 20, fieldSize: 64 * 1024, files: 33, fileSize: space.max_file_mb * MIB + 1, parts: 60 } });
    for await (const part of parts) {
      if (part.type === "file") {
        uploads.push(await files.receiveInput(space, part.fieldname, part.filename, part.file, budget));
      } else {
        if (typeof part.value !== "string") throw new AppError("bad_request", `Field "${part.fieldname}" must be text.`);
        fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    await files.discard(uploads);
    drainBody(request);
    throw err;
  }
  return { fields, uploads };
}

/** Multipart text fields as the JSON body they stand for: `inputs` and `webhook` hold JSON, `priority` a number. */
export function fieldsAsBody(fields: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === "inputs" || name === "webhook") body[name] = parseJsonField(name, value);
    else if (name === "priority") body[name] = value.trim() === "" ? undefined : Number(value);
    else body[name] = value;
  }
  return body;
}

function parseJsonField(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new AppError("validation_failed", `Field "${name}" must hold JSON.`, { details: [{ field: name, message: "not JSON" }] });
  }
}

/** Reads and discards what is left of a refused upload (the parser stops pulling once we stop). */
function drainBody(request: FastifyRequest): void {
  request.raw.unpipe();
  request.raw.resume();
}
