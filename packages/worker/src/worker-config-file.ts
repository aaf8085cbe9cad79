import { readFileSync } from "node:fs";
import {
  FLAG_ONLY_OPTIONS,
  MODE_GROUP,
  MODE_OPTIONS,
  UsageError,
  WORKER_OPTIONS,
  isOptionName,
  type OptionName,
  type RawValues,
} from "./cli-options.js";

/*
 * The sources of `wsspaces worker` options besides the flags: a JSON --config file and
 * WSSPACES_WORKER_* variables. Precedence: flags, then environment, then file, then defaults.
 */

function fileValue(path: string, key: OptionName, value: unknown): string | boolean | string[] {
  const where = `${path}: "${key}"`;
  const spec = WORKER_OPTIONS[key];
  if (spec.type === "boolean") {
    if (typeof value !== "boolean") throw new UsageError(`${where} must be true or false`);
    return value;
  }
  if (key === "space" || key === "spaces") {
    if (typeof value === "string") return key === "space" ? [value] : value;
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      return key === "space" ? value : value.join(",");
    }
    throw new UsageError(`${where} must be a name or a list of names`);
  }
  // Numbers are natural in JSON; the flag parser validates their text like any flag's.
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") throw new UsageError(`${where} must be a string`);
  return value;
}

/**
 * Reads a config file: a JSON object whose keys are flag names without the dashes
 * (`{"server": "…", "space": ["A"], "capacity": 2, "exec-persistent": "python serve.py"}`).
 * Unknown keys are refused, so a typo does not silently fall back to a default.
 */
export function readConfigFile(path: string): RawValues {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the config file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the config file ${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${path} must hold a JSON object of options`);
  }

  const values: RawValues = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!isOptionName(key) || (FLAG_ONLY_OPTIONS as readonly string[]).includes(key)) {
      throw new UsageError(`${path}: unknown option "${key}" (use the flag names, e.g. "server", "exec-persistent")`);
    }
    if (value === null) continue;
    values[key] = fileValue(path, key, value);
  }
  return values;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off", ""]);

/** `drain-timeout` → `WSSPACES_WORKER_DRAIN_TIMEOUT`. */
export function envName(option: OptionName): string {
  return `WSSPACES_WORKER_${option.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * Reads WSSPACES_WORKER_<OPTION> for every option but `space` (use WSSPACES_WORKER_SPACES),
 * plus the older WSSPACES_SERVER. Empty strings count as unset, except for booleans (false).
 */
export function readEnvironment(env: NodeJS.ProcessEnv): RawValues {
  const values: RawValues = {};
  for (const key of Object.keys(WORKER_OPTIONS)) {
    if (!isOptionName(key) || key === "space" || (FLAG_ONLY_OPTIONS as readonly string[]).includes(key)) continue;
    const name = envName(key);
    const raw = env[name];
    if (raw === undefined) continue;
    if (WORKER_OPTIONS[key].type === "boolean") {
      const word = raw.trim().toLowerCase();
      if (TRUE.has(word)) values[key] = true;
      else if (FALSE.has(word)) values[key] = false;
      else throw new UsageError(`${name} must be 1 or 0 (true or false), got "${raw}"`);
    } else if (raw.trim() !== "") {
      values[key] = raw;
    }
  }
  if (values.server === undefined && env.WSSPACES_SERVER?.trim()) values.server = env.WSSPACES_SERVER;
  return values;
}

/**
 * Layers option sources, lowest priority first. A source that chooses a mode (even to turn
 * one off, like `"mock": false`) replaces the mode of the sources below it together with that
 * mode's settings, so `--exec` on the command line wins over `"http"` and `"openai"` in a file
 * rather than conflicting with them.
 */
export function layerOptions(...sources: RawValues[]): RawValues {
  let merged: RawValues = {};
  for (const source of sources) {
    if (MODE_OPTIONS.some((mode) => source[mode] !== undefined)) {
      merged = Object.fromEntries(
        Object.entries(merged).filter(([key]) => !(MODE_GROUP as readonly string[]).includes(key)),
      );
    }
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined && isOptionName(key)) merged[key] = value;
    }
  }
  return merged;
}
