import type { WorkerLogger } from "./types.js";

const ignore = (): void => {};

/** The SDK's default: a library should not print unless asked to. */
export const silentLogger: WorkerLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
