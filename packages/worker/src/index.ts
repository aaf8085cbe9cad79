/*
 * The worker SDK. The `wsspaces worker` command lives at "@wsspaces/worker/cli" so that
 * importing the SDK never pulls in argument parsing or terminal output.
 */
export { Worker } from "./worker.js";
export type { AttachOptions, InputFile } from "./job-files.js";
export { WorkerError, JobAbortedError } from "./errors.js";
export { createMockHandler } from "./mock-handler.js";
export { createExecHandler } from "./exec-handler.js";
export type { ExecHandlerOptions } from "./exec-handler.js";
export { createPersistentExecHandler } from "./exec-persistent-handler.js";
export type { PersistentExecHandler, PersistentExecOptions } from "./exec-persistent-handler.js";
export { createHttpHandler } from "./http-handler.js";
export type { HttpHandlerOptions } from "./http-handler.js";
export { createOpenAiHandler } from "./openai-handler.js";
export type { LlmResult, OpenAiHandlerOptions } from "./openai-handler.js";
export type { MockHandlerOptions, MockResult } from "./mock-handler.js";
export { createConsoleLogger, createJsonLogger } from "./log.js";
export type { ConsoleLoggerOptions, JsonLoggerOptions } from "./log.js";
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
