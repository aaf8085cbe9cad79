import type { InputKind, SubmitBody } from "@wsspaces/protocol";
import { AppError } from "../http/app-error.js";
import { parseStoredJson } from "../util/json.js";
import type { SpaceRow } from "../spaces/space-store.js";

export interface Submission {
  prompt: string | null;
  inputs: Record<string, unknown>;
}

/** Checks a submission against the inputs the space enables. */
export function validateSubmission(space: SpaceRow, body: SubmitBody): Submission {
  const enabled = new Set(parseStoredJson<InputKind[]>(space.inputs, ["prompt"]));
  const prompt = body.prompt?.trim() ?? "";
  if (prompt !== "" && !enabled.has("prompt")) {
    throw new AppError("validation_failed", "This space takes no text prompt.", { details: [{ field: "prompt", message: "not accepted by this space" }] });
  }
  if (prompt === "" && enabled.has("prompt") && enabled.size === 1) {
    throw new AppError("validation_failed", "Write a prompt first.", { details: [{ field: "prompt", message: "required" }] });
  }
  const inputs = body.inputs ?? {};
  if (JSON.stringify(inputs).length > 64 * 1024) {
    throw new AppError("payload_too_large", "The extra inputs are larger than 64 KiB.");
  }
  return { prompt: prompt === "" ? null : (body.prompt ?? null), inputs };
}
