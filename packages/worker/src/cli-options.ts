/*
 * The flags of `wsspaces worker`, in node:util parseArgs' format. The same names are the keys
 * of a --config file and, upper-cased with `_`, of WSSPACES_WORKER_* variables, so this list is
 * the one place an option is declared.
 */

export const WORKER_OPTIONS = {
  config: { type: "string" },
  server: { type: "string" },
  token: { type: "string" },
  space: { type: "string", multiple: true },
  spaces: { type: "string" },
  capacity: { type: "string" },
  name: { type: "string" },
  mock: { type: "boolean" },
  "min-ms": { type: "string" },
  "max-ms": { type: "string" },
  "fail-rate": { type: "string" },
  exec: { type: "string" },
  "exec-persistent": { type: "string" },
  http: { type: "string" },
  openai: { type: "boolean" },
  model: { type: "string" },
  "api-key": { type: "string" },
  "drain-timeout": { type: "string" },
  "json-logs": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const;

export type OptionName = keyof typeof WORKER_OPTIONS;

/** Option values from any source, before validation: strings, booleans, or lists for `space`. */
export type RawValues = Partial<Record<OptionName, string | boolean | string[]>>;

/** Choosing one of these replaces the mode chosen by a lower-priority source. */
export const MODE_OPTIONS = ["mock", "exec", "exec-persistent", "http"] as const satisfies readonly OptionName[];

/** A mode and the settings that only mean something with it: replaced together. */
export const MODE_GROUP = [...MODE_OPTIONS, "openai", "model", "min-ms", "max-ms", "fail-rate"] as const satisfies readonly OptionName[];

/** Options that make sense only on the command line. */
export const FLAG_ONLY_OPTIONS = ["config", "help"] as const satisfies readonly OptionName[];

export function isOptionName(key: string): key is OptionName {
  return Object.hasOwn(WORKER_OPTIONS, key);
}

/** Thrown while reading options, to turn the first bad one into a one-line usage message. */
export class UsageError extends Error {}
