import type { FastifyInstance, FastifyReply } from "fastify";
import { CreateApiKeyBodySchema, LoginBodySchema, RegisterBodySchema } from "@wsspaces/protocol";
import { AppError } from "../http/app-error.js";
import { parseInput } from "../http/validate.js";
import { SESSION_COOKIE } from "./auth-hook.js";
import { meView, type AuthService, type StartedSession } from "./auth-service.js";
import type { LoginLimiter } from "./login-limiter.js";
import { requireUser } from "./principal.js";

export function registerAuthRoutes(
  app: FastifyInstance,
  auth: AuthService,
  options: { secureCookies: boolean; sessionTtlMs: number; loginLimiter: LoginLimiter },
): void {
  const setSessionCookie = (reply: FastifyReply, session: StartedSession) =>
    reply.setCookie(SESSION_COOKIE, session.token, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: options.secureCookies,
      maxAge: Math.floor(options.sessionTtlMs / 1000),
    });

  app.post("/api/v1/auth/register", { config: { skipCsrf: true } }, async (request, reply) => {
    const body = parseInput(RegisterBodySchema, request.body);
    const user = await auth.register(body);
    const session = await auth.startSession(user);
    setSessionCookie(reply, session);
    return reply.status(201).send(meView(user, session.csrfToken));
  });

  app.post("/api/v1/auth/login", { config: { skipCsrf: true } }, async (request, reply) => {
    const body = parseInput(LoginBodySchema, request.body);
    const keys = [`ip:${request.ip}`, `user:${body.username.toLowerCase()}`];
    const wait = options.loginLimiter.retryAfterSeconds(keys);
    if (wait > 0) {
      void reply.header("retry-after", String(wait));
      throw new AppError("rate_limited", `Too many failed sign-ins; try again in ${wait} s.`);
    }
    if (request.principal?.session) await auth.logout(request.principal);
    let session: StartedSession;
    try {
      session = await auth.login(body.username, body.password);
    } catch (err) {
      if (err instanceof AppError && err.code === "invalid_credentials") options.loginLimiter.recordFailure(keys);
      throw err;
    }
    options.loginLimiter.recordSuccess([`user:${body.username.toLowerCase()}`]);
    setSessionCookie(reply, session);
    return meView(session.user, session.csrfToken);
  });

  app.post("/api/v1/auth/logout", async (request, reply) => {
    if (request.principal) await auth.logout(request.principal);
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.status(204).send();
  });

  app.get("/api/v1/me", async (request) => {
    const principal = requireUser(request.principal);
    const user = await auth.userByName(principal.username);
    if (!user) throw new AppError("unauthenticated");
    return meView(user, principal.session?.csrfToken ?? null);
  });

  app.get("/api/v1/me/api-keys", async (request) => {
    const principal = requireUser(request.principal);
    return { api_keys: await auth.listApiKeys(principal.userId) };
  });

  app.post("/api/v1/me/api-keys", async (request, reply) => {
    const principal = requireUser(request.principal);
    const body = parseInput(CreateApiKeyBodySchema, request.body);
    return reply.status(201).send(await auth.createApiKey(principal.userId, body.name));
  });

  app.delete<{ Params: { id: string } }>("/api/v1/me/api-keys/:id", async (request, reply) => {
    const principal = requireUser(request.principal);
    await auth.revokeApiKey(principal.userId, request.params.id);
    return reply.status(204).send();
  });

}
