import type { InferenceRequest, ProgressMessage, StreamMessage } from "@wsspaces/protocol";
import type { JobAbortReason, JobContext } from "./types.js";

/** The protocol's limit on a progress message; longer text would get the event refused. */
const MAX_PROGRESS_MESSAGE = 1000;

/** One request being handled. */
export interface ActiveJob {
  readonly request: InferenceRequest;
  readonly controller: AbortController;
  readonly startedAt: number;
  /** Set when the job is aborted; from then on its outcome is dropped. */
  abortReason: JobAbortReason | undefined;
  /** Set when the handler has returned or thrown. */
  finished: boolean;
  /** Sequence number of the next stream chunk. */
  nextSeq: number;
}

/** Where a job's live updates go; the worker sends them only while registered. */
export interface LiveUpdateSink {
  progress(message: ProgressMessage): void;
  stream(message: StreamMessage): void;
}

function isLive(job: ActiveJob): boolean {
  return !job.finished && job.abortReason === undefined;
}

export function createJobContext(job: ActiveJob, sink: LiveUpdateSink): JobContext {
  const { request_id, attempt, deadline } = job.request;
  return {
    request_id,
    attempt,
    deadline: new Date(deadline),
    signal: job.controller.signal,

    progress(progress?: number, message?: string): void {
      if (!isLive(job)) return;
      const update: ProgressMessage = { request_id };
      // Clamped rather than refused: a handler's rounding error should not lose the update.
      if (progress !== undefined && Number.isFinite(progress)) {
        update.progress = Math.min(1, Math.max(0, progress));
      }
      if (message !== undefined) update.message = message.slice(0, MAX_PROGRESS_MESSAGE);
      if (update.progress === undefined && update.message === undefined) return;
      sink.progress(update);
    },

    stream(chunk: unknown): void {
      if (!isLive(job) || chunk === undefined) return;
      // Numbered even when it cannot be sent, so a gap tells the server a chunk was lost.
      sink.stream({ request_id, chunk, seq: job.nextSeq++ });
    },
  };
}
