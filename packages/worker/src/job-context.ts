import type { InferenceRequest, ProgressMessage } from "@wsspaces/protocol";
import type { JobFiles } from "./job-files.js";
import type { JobLiveUpdates } from "./live-updates.js";
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
  /** Paces the job's progress and stream messages. */
  readonly updates: JobLiveUpdates;
  readonly files: JobFiles;
}

function isLive(job: ActiveJob): boolean {
  return !job.finished && job.abortReason === undefined;
}

export function createJobContext(job: ActiveJob): JobContext {
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
      job.updates.progress(update);
    },

    stream(chunk: unknown): void {
      if (!isLive(job) || chunk === undefined) return;
      job.updates.stream(chunk);
    },

    files: job.files.inputs,

    attach(name, data, options) {
      return job.files.attach(name, data, options);
    },
  };
}
