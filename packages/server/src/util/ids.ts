import { randomBytes } from "node:crypto";

/** Unguessable, URL-safe id with a readable prefix ("req_…", "spc_…"). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url")}`;
}
