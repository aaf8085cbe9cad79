/*
 * The worker SDK. The `wsspaces worker` command lives at "@wsspaces/worker/cli" so that
 * importing the SDK never pulls in argument parsing or terminal output.
 */
export { Worker } from "./worker.js";
export { WorkerError, JobAbortedError } from "./errors.js";
export { createMockHandler } from "./mock-handler.js";
export { createExecHandler } from "./exec-handler.js";
export type { ExecHandlerOptions } from "./exec-handler.js";
export type { MockHandlerOptions, MockResult } from "./mock-handler.js";
export { createConsoleLogger } from "./log.js";
export type { ConsoleLoggerOptions } from "./log.js";
export type {
  DeliveryOutcome,
  DisconnectReason,
  Handler,
  JobAbortReason,
  JobContext,
  LogFields,
  RegisterSuccess,
  StopOptions,
  TransportName,
  WorkerEvents,
  WorkerLogger,
  WorkerOptions,
  WorkerStats,
} from "./types.js";
