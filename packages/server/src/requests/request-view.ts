import type { FileView, RequestView } from "@wsspaces/protocol";
import { iso } from "../util/time.js";
import { parseStoredJson } from "../util/json.js";
import type { RequestRow } from "./request-store.js";

export function requestView(row: RequestRow, position: number | null, etaSeconds: number | null, files: FileView[] = []): RequestView {
  return {
    id: row.id,
    space_id: row.space_id,
    state: row.state,
    prompt: row.prompt,
    position,
    progress: row.progress,
    progress_message: row.progress_message,
    result: parseStoredJson<unknown>(row.result, null),
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? "" } : null,
    attempts: row.attempt,
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    deadline: iso(row.deadline_at),
    eta_seconds: etaSeconds,
    files,
  };
}

/** Whether the request has files to list (a view then needs one more lookup). */
export function hasFiles(row: Pick<RequestRow, "input_files" | "output_files">): boolean {
  return row.input_files > 0 || row.output_files > 0;
}

/** "alice" → "al***": enough to recognise oneself, not enough to learn who else is waiting. */
export function maskUsername(username: string): string {
  return `${username.slice(0, 2)}***`;
}
