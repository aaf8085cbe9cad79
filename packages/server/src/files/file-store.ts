import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { SNIFF_BYTES } from "./sniff.js";

/** Bytes received into a temporary file, not yet part of the store. */
export interface PendingBlob {
  tempPath: string;
  sha256: string;
  size: number;
  /** The first bytes, for sniffing the type. */
  head: Buffer;
}

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/**
 * Where file bytes live. Files are content-addressed: two uploads of the same bytes share one
 * blob, and a blob is removed only when no file row names it any more.
 */
export interface FileStore {
  /** Streams `source` to a temporary file, hashing as it goes; throws BlobTooLargeError past `maxBytes`. */
  receive(source: Readable, maxBytes: number): Promise<PendingBlob>;
  /** Moves a received blob into the store (a no-op beyond cleanup if the bytes are there already). */
  commit(blob: PendingBlob): Promise<void>;
  discard(blob: PendingBlob): Promise<void>;
  /** The blob's path on disk, for streaming it out. */
  pathOf(sha256: string): string;
  remove(sha256: string): Promise<void>;
  /** Deletes temporary files left by a crash (at start-up, before anything is received). */
  clearTemporary(): Promise<void>;
}

/** The default store: `<data>/files/<aa>/<sha256>`, temporary files in `<data>/files/tmp/<node>`. */
export class DiskFileStore implements FileStore {
  private readonly tmpDir: string;

  /** `node` names this process's temporary folder, so that nodes sharing the folder never clear each other's. */
  constructor(
    private readonly root: string,
    node = "local",
  ) {
    this.tmpDir = path.join(root, "tmp", node.replace(/[^\w.-]/g, "_"));
  }

  async receive(source: Readable, maxBytes: number): Promise<PendingBlob> {
    await mkdir(this.tmpDir, { recursive: true });
    const tempPath = path.join(this.tmpDir, randomUUID());
    const meter = new HashingMeter(maxBytes);
    try {
      await pipeline(source, meter, createWriteStream(tempPath, { flags: "wx" }));
    } catch (err) {
      await rm(tempPath, { force: true });
      throw meter.overLimit ? new BlobTooLargeError(maxBytes) : err;
    }
    return { tempPath, sha256: meter.digest(), size: meter.size, head: meter.head() };
  }

  async commit(blob: PendingBlob): Promise<void> {
    const target = this.pathOf(blob.sha256);
    await mkdir(path.dirname(target), { recursive: true });
    const existing = await stat(target).catch(() => null);
    if (existing?.size === blob.size) {
      await rm(blob.tempPath, { force: true });
      return;
    }
    await rename(blob.tempPath, target);
  }

  async discard(blob: PendingBlob): Promise<void> {
    await rm(blob.tempPath, { force: true });
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error("not a sha256");
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  async clearTemporary(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
  }
}

/** Passes bytes through unchanged while hashing, counting and keeping the first few. */
class HashingMeter extends Transform {
  size = 0;
  overLimit = false;
  private readonly hash = createHash("sha256");
  private readonly headChunks: Buffer[] = [];
  private headBytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.overLimit = true;
      callback(new BlobTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    if (this.headBytes < SNIFF_BYTES) {
      const part = chunk.subarray(0, SNIFF_BYTES - this.headBytes);
      this.headChunks.push(Buffer.from(part));
      this.headBytes += part.length;
    }
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest("hex");
  }

  head(): Buffer {
    return Buffer.concat(this.headChunks);
  }
}
