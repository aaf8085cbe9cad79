import type { FastifyInstance, FastifyRequest } from "fastify";
import { AppError } from "../http/app-error.js";
import { safeEqual } from "../util/secrets.js";
import type { AuthService } from "./auth-service.js";
import type { Principal } from "./principal.js";
import { isSameOrigin } from "./same-origin.js";

export const SESSION_COOKIE = "wsspaces_session";
export const CSRF_HEADER = "x-csrf-token";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Routes that start a session (login, register) cannot have a CSRF token yet. */
    skipCsrf?: boolean;
    /** Routes with their own credential (the metrics token): no user is resolved. */
    ownAuth?: boolean;
  }
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Resolves the caller (API key or session cookie) for every request, and for cookie-based
 * callers enforces the CSRF token and the Origin on unsafe methods.
 */
export function installAuthHook(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest("principal", null);
  app.addHook("preHandler", async (request) => {
    if (request.routeOptions.config.ownAuth) return;
    request.principal = await resolvePrincipal(request, auth);
    if (!UNSAFE_METHODS.has(request.method)) return;
    const cookieAuthenticated = request.principal?.via === "session";
    if (cookieAuthenticated || request.routeOptions.config.skipCsrf) checkOrigin(request);
    if (cookieAuthenticated && !request.routeOptions.config.skipCsrf) checkCsrf(request, request.principal);
  });
}

async function resolvePrincipal(request: FastifyRequest, auth: AuthService): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = match?.[1] ? await auth.fromApiKey(match[1]) : null;
    if (!principal) throw new AppError("unauthenticated", "Invalid or revoked API key.");
    return principal;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? auth.fromSessionCookie(cookie) : null;
}

function checkCsrf(request: FastifyRequest, principal: Principal | null): void {
  const sent = request.headers[CSRF_HEADER];
  const expected = principal?.session?.csrfToken;
  if (typeof sent !== "string" || !expected || !safeEqual(sent, expected)) throw new AppError("csrf_failed");
}

function checkOrigin(request: FastifyRequest): void {
  if (!isSameOrigin(request.headers.origin, request.host)) throw new AppError("csrf_failed", "Cross-origin request refused.");
}
