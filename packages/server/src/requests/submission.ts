import type { InputKind, SubmitBody } from "@wsspaces/protocol";
import { AppError } from "../http/app-error.js";
import { parseStoredJson } from "../util/json.js";
import type { SpaceRow } from "../spaces/space-store.js";

export interface Submission {
  prompt: string | null;
  inputs: Record<string, unknown>;
}

/** Checks a submission against the inputs the space enables. */
export function validateSubmission(space: SpaceRow, body: SubmitBody, withFiles = false): Submission {
  const enabled = new Set(parseStoredJson<InputKind[]>(space.inputs, ["prompt"]));
  const prompt = body.prompt?.trim() ?? "";
  if (prompt !== "" && !enabled.has("prompt")) {
    throw new AppError("validation_failed", "This space takes no text prompt.", { details: [{ field: "prompt", message: "not accepted by this space" }] });
  }
  if (prompt === "" && !withFiles && enabled.has("prompt")) {
    const message = enabled.size === 1 ? "Write a prompt first." : "Write a prompt or attach a file first.";
    throw new AppError("validation_failed", message, { details: [{ field: "prompt", message: "required" }] });
  }
  const inputs = body.inputs ?? {};
  if (JSON.stringify(inputs).length > 64 * 1024) {
    throw new AppError("payload_too_large", "The extra inputs are larger than 64 KiB.");
  }
  return { prompt: prompt === "" ? null : (body.prompt ?? null), inputs };
}
