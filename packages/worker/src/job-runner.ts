import type { InferenceRequest, InferenceResultMessage, InlineOutputFile } from "@wsspaces/protocol";
import { JobFiles, type FileTransport } from "./job-files.js";
import { JobAbortedError, toError } from "./errors.js";
import { createJobContext, type ActiveJob } from "./job-context.js";
import { JobLiveUpdates, type LiveUpdateSink } from "./live-updates.js";
import type { Handler, JobAbortReason, WorkerEvents } from "./types.js";

/** The protocol's limit on an error message. */
const MAX_ERROR_MESSAGE = 10_000;

export interface JobTransport extends LiveUpdateSink {
  accept(requestId: string): void;
  result(message: InferenceResultMessage): void;
}

/** Told about each outcome after it has been sent (the worker re-emits these as events). */
export interface JobListener {
  completed(...args: WorkerEvents["completed"]): void;
  failed(...args: WorkerEvents["failed"]): void;
  cancelled(...args: WorkerEvents["cancelled"]): void;
}

export interface JobCounts {
  completed: number;
  failed: number;
  cancelled: number;
}

/**
 * Runs handlers and turns their outcomes into `inference_result` messages. Aborted jobs never
 * report: the server has already withdrawn them (cancel) or will re-queue them when this worker
 * disconnects (stop), and a late result would only be refused.
 */
export class JobRunner {
  private readonly jobs = new Map<string, ActiveJob>();
  private readonly counts: JobCounts = { completed: 0, failed: 0, cancelled: 0 };
  private readonly settledListeners = new Set<() => void>();

  constructor(
    private readonly transport: JobTransport,
    private readonly listener: JobListener,
    private readonly fileTransport: FileTransport,
  ) {}

  get inFlight(): number {
    return this.jobs.size;
  }

  getCounts(): JobCounts {
    return { ...this.counts };
  }

  has(requestId: string): boolean {
    return this.jobs.has(requestId);
  }

  /** Runs one request to its end; never rejects (handler errors become failed results). */
  async run(request: InferenceRequest, handler: Handler): Promise<void> {
    const controller = new AbortController();
    const job: ActiveJob = {
      request,
      controller,
      startedAt: performance.now(),
      abortReason: undefined,
      finished: false,
      updates: new JobLiveUpdates(request.request_id, this.transport),
      files: new JobFiles(request, this.fileTransport, controller.signal),
    };
    this.jobs.set(request.request_id, job);
    this.transport.accept(request.request_id);

    let outcome: { ok: true; result: unknown; files: InlineOutputFile[] } | { ok: false; error: Error };
    try {
      const result: unknown = await handler(request, createJobContext(job));
      // Output uploads still under way belong to the job: it is not done until they are.
      outcome = { ok: true, result, files: await job.files.settle() };
    } catch (thrown) {
      outcome = { ok: false, error: toError(thrown) };
    }
    await job.files.cleanup().catch(() => undefined);

    job.finished = true;
    this.jobs.delete(request.request_id);
    // What the handler streamed goes out before its result, which the server would otherwise
    // see first and then refuse the late chunks.
    if (job.abortReason === undefined) job.updates.flush();
    else job.updates.discard();
    const ms = Math.round(performance.now() - job.startedAt);

    if (job.abortReason === undefined) {
      if (outcome.ok) this.complete(request, outcome.result, ms, outcome.files);
      else this.fail(request, outcome.error, ms);
    }
    this.notifySettled();
  }

  /** Aborts one job; returns false if it is unknown or already aborted. */
  abort(requestId: string, reason: JobAbortReason): boolean {
    const job = this.jobs.get(requestId);
    if (!job || job.abortReason !== undefined) return false;
    job.abortReason = reason;
    job.updates.discard();
    this.counts.cancelled += 1;
    job.controller.abort(new JobAbortedError(reason));
    this.listener.cancelled(job.request, reason);
    return true;
  }

  /** Aborts every job still running; returns how many were aborted. */
  abortAll(reason: JobAbortReason): number {
    let aborted = 0;
    for (const id of [...this.jobs.keys()]) if (this.abort(id, reason)) aborted += 1;
    return aborted;
  }

  /** Called whenever a handler settles, so a draining stop() can re-check. */
  onSettled(listener: () => void): () => void {
    this.settledListeners.add(listener);
    return () => this.settledListeners.delete(listener);
  }

  private complete(request: InferenceRequest, result: unknown, ms: number, files: InlineOutputFile[]): void {
    this.counts.completed += 1;
    this.transport.result({ request_id: request.request_id, status: "completed", result, ...(files.length > 0 ? { files } : {}) });
    this.listener.completed(request, result, ms);
  }

  private fail(request: InferenceRequest, error: Error, ms: number): void {
    this.counts.failed += 1;
    const message = (error.message || error.name).slice(0, MAX_ERROR_MESSAGE);
    this.transport.result({
      request_id: request.request_id,
      status: "failed",
      error: { message },
      // The copy in result.error is what seed-era servers read.
      result: { error: message },
    });
    this.listener.failed(request, error, ms);
  }

  private notifySettled(): void {
    for (const listener of this.settledListeners) listener();
  }
}
