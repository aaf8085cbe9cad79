import { Readable } from "node:stream";
import type { Logger } from "pino";
import type { FileView, InlineOutputFile, InputKind, RequestFile } from "@wsspaces/protocol";
import { AppError } from "../http/app-error.js";
import type { RequestRow } from "../requests/request-store.js";
import type { SpaceRow } from "../spaces/space-store.js";
import { newId } from "../util/ids.js";
import { parseStoredJson } from "../util/json.js";
import type { Clock } from "../util/time.js";
import { acceptsKind, describeAccepted, isFileField, type FileField } from "./file-kinds.js";
import { extensionOf, isSuspiciousFileName, sanitiseFileName } from "./file-names.js";
import type { FileRecords, FileRow } from "./file-records.js";
import { BlobTooLargeError, type FileStore, type PendingBlob } from "./file-store.js";
import type { FileUrlSigner } from "./signed-urls.js";
import { sniffType, type SniffedType } from "./sniff.js";

const MIB = 1024 * 1024;

/** An uploaded input, checked and held in a temporary file until its request is accepted. */
export interface ReceivedUpload {
  field: FileField;
  name: string;
  mime: string;
  blob: PendingBlob;
}

/** What one submission may still upload (the space's total limit, shrinking as files arrive). */
export interface UploadBudget {
  remainingBytes: number;
  files: number;
}

export interface FileServiceDeps {
  records: FileRecords;
  store: FileStore;
  signer: FileUrlSigner;
  clock: Clock;
  log: Logger;
  /** Largest output file a worker may upload. */
  maxOutputBytes: number;
  /** Counts an uploaded output on its request row (views look files up only when there are some). */
  countOutputFile: (requestId: string) => Promise<void>;
}

/** A MIME type a worker may declare (a token/token, no parameters). */
const MIME_SHAPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * Files of requests: uploads checked by content and streamed to the store, signed links for
 * workers, outputs from workers, views for users, and their removal.
 */
export class FileService {
  constructor(private readonly deps: FileServiceDeps) {}

  static budgetFor(space: SpaceRow): UploadBudget {
    return { remainingBytes: space.max_upload_mb * MIB, files: 0 };
  }

  /** Streams one uploaded part to a temporary file within the space's limits, then checks its kind. */
  async receiveInput(space: SpaceRow, fieldName: string, rawName: string, source: Readable, budget: UploadBudget): Promise<ReceivedUpload> {
    if (!isFileField(fieldName)) {
      throw new AppError("validation_failed", `Unknown file field "${fieldName.slice(0, 40)}"; use audio, video or file.`, { details: [{ field: fieldName, message: "unknown file field" }] });
    }
    const enabled = parseStoredJson<InputKind[]>(space.inputs, ["prompt"]);
    if (!enabled.includes(fieldName)) {
      throw new AppError("validation_failed", `This space takes no ${fieldName} input.`, { details: [{ field: fieldName, message: "not accepted by this space" }] });
    }
    if (isSuspiciousFileName(rawName)) {
      throw new AppError("bad_request", "File names may not contain paths, '..' or NUL characters.", { details: [{ field: fieldName, message: "invalid file name" }] });
    }
    if (budget.files >= 32) throw new AppError("payload_too_large", "At most 32 files per submission.");
    const perFile = space.max_file_mb * MIB;
    const limit = Math.min(perFile, budget.remainingBytes);
    let blob: PendingBlob;
    try {
      blob = await this.deps.store.receive(source, limit);
    } catch (err) {
      if (!(err instanceof BlobTooLargeError)) throw err;
      throw limit < perFile
        ? new AppError("payload_too_large", `The files together are larger than this space's ${space.max_upload_mb} MiB limit.`)
        : new AppError("payload_too_large", `"${sanitiseFileName(rawName)}" is larger than this space's ${space.max_file_mb} MiB limit per file.`);
    }
    const name = sanitiseFileName(rawName, fieldName);
    const type = await sniffType(blob.head);
    const rules = parseStoredJson<string[]>(space.file_types, []);
    if (!acceptsKind(fieldName, type, extensionOf(name), rules)) {
      await this.deps.store.discard(blob);
      throw new AppError("unsupported_media_type", `"${name}" is ${type.mime === "application/octet-stream" ? "of an unknown kind" : type.mime}; the ${fieldName} input takes ${describeAccepted(fieldName, rules)}.`, {
        details: [{ field: fieldName, message: `content is ${type.mime}` }],
      });
    }
    budget.remainingBytes -= blob.size;
    budget.files++;
    return { field: fieldName, name, mime: type.mime, blob };
  }

  async discard(uploads: readonly ReceivedUpload[]): Promise<void> {
    await Promise.all(uploads.map((u) => this.deps.store.discard(u.blob)));
  }

  /** Makes the uploads the inputs of a request about to be inserted (blobs first, then rows). */
  async attachInputs(requestId: string, userId: string, uploads: readonly ReceivedUpload[]): Promise<void> {
    const now = this.deps.clock.now();
    for (const upload of uploads) await this.deps.store.commit(upload.blob);
    await this.deps.records.insert(
      uploads.map((u, i) => ({
        id: newId("fil"),
        request_id: requestId,
        user_id: userId,
        kind: "input" as const,
        field: u.field,
        name: u.name,
        mime: u.mime,
        size: u.blob.size,
        sha256: u.blob.sha256,
        attempt: 0,
        // Keeps the upload order when listing.
        created_at: now + i,
      })),
    );
  }

  /** Copies another request's inputs (a retry uses the same files). */
  async copyInputs(fromRequestId: string, toRequestId: string, userId: string): Promise<number> {
    const inputs = await this.deps.records.inputsOf(fromRequestId);
    const now = this.deps.clock.now();
    await this.deps.records.insert(inputs.map((f, i) => ({ ...f, id: newId("fil"), request_id: toRequestId, user_id: userId, created_at: now + i })));
    return inputs.length;
  }

  /** The request's input files as its worker sees them: links signed until the deadline. */
  async forWorker(row: RequestRow): Promise<RequestFile[]> {
    if (row.input_files === 0) return [];
    const inputs = await this.deps.records.inputsOf(row.id);
    return inputs.map((f) => ({
      id: f.id,
      field: f.field ?? "file",
      name: f.name,
      mime: f.mime,
      size: f.size,
      sha256: f.sha256,
      url: this.deps.signer.pathFor(f.id, row.deadline_at),
    }));
  }

  /** Inputs and the latest attempt's outputs, for the request's owner. */
  async viewsOf(row: RequestRow): Promise<FileView[]> {
    if (row.input_files === 0 && row.output_files === 0) return [];
    return (await this.deps.records.forRequest(row.id, row.attempt)).map(toView);
  }

  /** A worker's output sent inline with its result. */
  async storeInlineOutputs(row: RequestRow, files: readonly InlineOutputFile[]): Promise<void> {
    for (const file of files) await this.storeOutput(row, file.name, file.mime, Readable.from([Buffer.from(file.data)]));
  }

  /** A worker's output, streamed (PUT) or inline, recorded for the request's current attempt. */
  async storeOutput(request: RequestRow, rawName: string, declaredMime: string | undefined, source: Readable): Promise<FileView> {
    if (isSuspiciousFileName(rawName)) throw new AppError("bad_request", "File names may not contain paths, '..' or NUL characters.");
    let blob: PendingBlob;
    try {
      blob = await this.deps.store.receive(source, this.deps.maxOutputBytes);
    } catch (err) {
      if (err instanceof BlobTooLargeError) throw new AppError("payload_too_large", `Output files may be at most ${Math.floor(this.deps.maxOutputBytes / MIB)} MiB.`);
      throw err;
    }
    await this.deps.store.commit(blob);
    const row: FileRow = {
      id: newId("fil"),
      request_id: request.id,
      user_id: request.user_id,
      kind: "output",
      field: null,
      name: sanitiseFileName(rawName, "output"),
      mime: outputMime(await sniffType(blob.head), declaredMime),
      size: blob.size,
      sha256: blob.sha256,
      attempt: request.attempt,
      created_at: this.deps.clock.now(),
    };
    try {
      await this.deps.records.insert([row]);
    } catch (err) {
      // Not recorded: the blob must not stay behind unnamed (unless another file has the same bytes).
      if ((await this.deps.records.unreferenced([blob.sha256])).length > 0) await this.deps.store.remove(blob.sha256);
      throw err;
    }
    return toView(row);
  }

  /** An output uploaded with PUT: stored, then counted on the request so that views list it. */
  async storeUploadedOutput(request: RequestRow, rawName: string, declaredMime: string | undefined, source: Readable): Promise<FileView> {
    const view = await this.storeOutput(request, rawName, declaredMime, source);
    await this.deps.countOutputFile(request.id);
    return view;
  }

  byId(id: string): Promise<FileRow | undefined> {
    return this.deps.records.byId(id);
  }

  pathOf(file: FileRow): string {
    return this.deps.store.pathOf(file.sha256);
  }

  verifySignature(fileId: string, expires: string | undefined, sig: string | undefined): boolean {
    return this.deps.signer.verify(fileId, expires, sig, this.deps.clock.now());
  }

  /**
   * Deletes the files of requests that ended before `before` (and of requests that no longer
   * exist), then the blobs nothing names any more. Returns how many files went.
   */
  async sweep(before: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await this.deps.records.expired(before, 500);
      await this.deps.records.deleteIds(batch.map((f) => f.id));
      for (const sha of await this.deps.records.unreferenced(batch.map((f) => f.sha256))) await this.deps.store.remove(sha);
      removed += batch.length;
      if (batch.length < 500) return removed;
    }
  }
}

/**
 * An output's type: what its content shows; the worker's declared type only where the content
 * says nothing (unknown binary), or to name a kind of text (text/csv rather than text/plain).
 */
function outputMime(sniffed: SniffedType, declared: string | undefined): string {
  const type = declared?.split(";")[0]?.trim().toLowerCase();
  if (!type || !MIME_SHAPE.test(type)) return sniffed.mime;
  if (sniffed.mime === "application/octet-stream") return type;
  if (sniffed.text && type.startsWith("text/")) return type;
  return sniffed.mime;
}

function toView(f: FileRow): FileView {
  return { id: f.id, kind: f.kind, field: f.field, name: f.name, mime: f.mime, size: f.size, sha256: f.sha256, url: `/api/v1/files/${f.id}` };
}
