import type { z } from "zod";
import { AppError } from "./app-error.js";

export interface FieldIssue {
  field: string;
  message: string;
}

/** Parses untrusted input; failures become a 400 that names each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((issue) => ({
    field: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
  throw new AppError("validation_failed", `Invalid input — ${summary}`, { details: issues });
}
