import type { WorkerCliConfig } from "./cli-args.js";
import { createExecHandler } from "./exec-handler.js";
import { createPersistentExecHandler } from "./exec-persistent-handler.js";
import { createHttpHandler } from "./http-handler.js";
import { createMockHandler } from "./mock-handler.js";
import { createOpenAiHandler } from "./openai-handler.js";
import type { Handler, WorkerLogger } from "./types.js";

/** A mode's handler, with what the command must do around the worker's life. */
export interface ModeHandler {
  handler: Handler;
  /** Called before connecting (e.g. to start loading a model). */
  start(): void;
  /** Called after the worker has stopped: ends whatever the mode started. */
  close(): Promise<void>;
}

/** One line for the start-up log: what answers the requests. */
export function describeMode(config: WorkerCliConfig): string {
  const { mode } = config;
  switch (mode.kind) {
    case "mock":
      return `mock model (${mode.settings.minMs}-${mode.settings.maxMs} ms)`;
    case "exec":
      return `runs "${mode.command}" per request`;
    case "exec-persistent":
      return `sends requests to "${mode.command}"`;
    case "http":
      return `forwards requests to ${mode.url}`;
    case "openai":
      return `streams completions from ${mode.url}${mode.model ? ` (model ${mode.model})` : ""}`;
  }
}

export function createModeHandler(config: WorkerCliConfig, logger: WorkerLogger): ModeHandler {
  const { mode } = config;
  const simple = (handler: Handler): ModeHandler => ({ handler, start: () => {}, close: () => Promise.resolve() });
  const bearer = (key: string | undefined) => (key ? { authorization: `Bearer ${key}` } : undefined);
  switch (mode.kind) {
    case "mock":
      return simple(createMockHandler(mode.settings));
    case "exec":
      return simple(createExecHandler({ command: mode.command, logger }));
    case "exec-persistent":
      return createPersistentExecHandler({ command: mode.command, capacity: config.capacity, logger });
    case "http": {
      const headers = bearer(mode.apiKey);
      return simple(createHttpHandler({ url: mode.url, ...(headers ? { headers } : {}) }));
    }
    case "openai":
      return simple(
        createOpenAiHandler({
          url: mode.url,
          ...(mode.model ? { model: mode.model } : {}),
          ...(mode.apiKey ? { apiKey: mode.apiKey } : {}),
        }),
      );
  }
}
