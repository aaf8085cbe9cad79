import type { CancelReason, InferenceRequest } from "@wsspaces/protocol";
import type { WorkerChannel } from "./worker-registry.js";

/**
 * The channel of a suspended worker: cancels wait here until it resumes. Requests are never
 * sent to it (suspended workers are not picked), so one that slips through is kept too and
 * sent again on resume.
 */
export class WorkerMailbox implements WorkerChannel {
  readonly cancels: { requestId: string; reason: CancelReason }[] = [];

  sendRequest(_request: InferenceRequest): void {
    // Re-sent from the worker's in-flight set on resume.
  }

  sendCancel(requestId: string, reason: CancelReason): void {
    this.cancels.push({ requestId, reason });
  }

  close(): void {
    // Nothing to close: the connection is already gone.
  }
}
