import type { CancelReason, InferenceRequest } from "@wsspaces/protocol";
import type { WorkerChannel } from "./worker-registry.js";

/**
 * The channel of a suspended worker: cancels wait here until it resumes. Requests are not kept:
 * suspended workers are not picked, and one claimed just before the suspension is in the
 * worker's in-flight set, which is re-sent on resume.
 */
export class WorkerMailbox implements WorkerChannel {
  readonly cancels: { requestId: string; reason: CancelReason }[] = [];
  readonly address = null;

  sendRequest(_request: InferenceRequest): void {
    // Dropped on purpose: see the class comment.
  }

  sendCancel(requestId: string, reason: CancelReason): void {
    this.cancels.push({ requestId, reason });
  }

  close(): void {
    // Nothing to close: the connection is already gone.
  }
}
