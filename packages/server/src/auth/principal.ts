import type { Role } from "@wsspaces/protocol";
import { AppError } from "../http/app-error.js";

/** Who is calling, and how they proved it. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
  via: "session" | "api_key";
  /** Present for session auth: the hash that identifies the session and its CSRF token. */
  session?: { idHash: string; csrfToken: string };
}

export function requireUser(principal: Principal | null): Principal {
  if (!principal) throw new AppError("unauthenticated");
  return principal;
}

export function requireAdmin(principal: Principal | null): Principal {
  const user = requireUser(principal);
  if (user.role !== "admin") throw new AppError("forbidden", "Only admins can do that.");
  return user;
}

export function isAdmin(principal: Principal | null): boolean {
  return principal?.role === "admin";
}
