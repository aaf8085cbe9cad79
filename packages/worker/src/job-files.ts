import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { InferenceRequest, InlineOutputFile, RequestFile } from "@wsspaces/protocol";

/** An uploaded input as a handler sees it: metadata plus ways to get the bytes. */
export interface InputFile extends RequestFile {
  /** Downloads the file (once) into the job's temporary folder and returns its path. */
  download(): Promise<string>;
  /** The whole file in memory (for small files). */
  bytes(): Promise<Buffer>;
  /** The file as a stream, straight from the server. */
  stream(): Promise<Readable>;
}

/** What the worker connection offers for output files. */
export interface FileTransport {
  /** Inline bytes one result may carry (0: the server takes none inline, e.g. a seed-era site). */
  inlineLimit(): number;
  /** PUTs one output file to the server (streamed). */
  upload(requestId: string, name: string, body: Readable, size: number, mime: string | undefined, signal: AbortSignal): Promise<void>;
}

export interface AttachOptions {
  /** The file's type, used where the server cannot tell it from the content. */
  mime?: string;
}

/**
 * A job's files: inputs downloaded on demand into a temporary folder (removed when the job ends),
 * outputs sent inline while they fit in the result and uploaded otherwise.
 */
export class JobFiles {
  readonly inputs: readonly InputFile[];
  private tempDir: Promise<string> | undefined;
  private readonly inline: InlineOutputFile[] = [];
  private inlineBytes = 0;
  private readonly uploads: Promise<void>[] = [];

  constructor(
    private readonly request: InferenceRequest,
    private readonly transport: FileTransport,
    private readonly signal: AbortSignal,
  ) {
    this.inputs = (request.files ?? []).map((file) => this.inputFile(file));
  }

  /**
   * Adds an output file: bytes, or a path to a file on disk. Small byte arrays ride inline with
   * the result; anything else is uploaded now. Resolves when the file is on its way or stored.
   */
  async attach(name: string, data: Uint8Array | string, options: AttachOptions = {}): Promise<void> {
    if (typeof data !== "string" && this.inlineBytes + data.byteLength <= this.transport.inlineLimit()) {
      this.inlineBytes += data.byteLength;
      this.inline.push({ name, data: new Uint8Array(data), ...(options.mime ? { mime: options.mime } : {}) });
      return;
    }
    const size = typeof data === "string" ? (await stat(data)).size : data.byteLength;
    const body = typeof data === "string" ? createReadStream(data) : Readable.from([Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
    const upload = this.transport.upload(this.request.request_id, name, body, size, options.mime, this.signal);
    this.uploads.push(upload);
    await upload;
  }

  /** Waits for uploads still under way and returns the inline files for the result. */
  async settle(): Promise<InlineOutputFile[]> {
    await Promise.all(this.uploads);
    return this.inline;
  }

  async cleanup(): Promise<void> {
    if (this.tempDir) await rm(await this.tempDir, { recursive: true, force: true });
  }

  private inputFile(file: RequestFile): InputFile {
    let downloaded: Promise<string> | undefined;
    const fetchBody = async (): Promise<Readable> => {
      const res = await fetch(file.url, { signal: this.signal });
      if (!res.ok || !res.body) throw new Error(`downloading ${file.name} failed: HTTP ${res.status}`);
      return Readable.fromWeb(res.body);
    };
    const input: InputFile = {
      ...file,
      stream: fetchBody,
      download: () => {
        downloaded ??= (async () => {
          this.tempDir ??= mkdtemp(path.join(tmpdir(), "wsspaces-"));
          // The id keeps two inputs with the same name apart; the name keeps the extension.
          const target = path.join(await this.tempDir, `${file.id}-${path.basename(file.name)}`);
          await pipeline(await fetchBody(), createWriteStream(target));
          return target;
        })();
        return downloaded;
      },
      bytes: async () => readFile(await input.download()),
    };
    return input;
  }
}
