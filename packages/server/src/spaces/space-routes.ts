import type { FastifyInstance } from "fastify";
import { CreateSpaceBodySchema, CreateWorkerTokenBodySchema, PatchSpaceBodySchema } from "@wsspaces/protocol";
import { requireAdmin } from "../auth/principal.js";
import { parseInput } from "../http/validate.js";
import type { SpaceService } from "./space-service.js";

type IdParams = { Params: { id: string } };

export function registerSpaceRoutes(app: FastifyInstance, spaces: SpaceService): void {
  // The gallery and space pages are public: status, queue (masked) and inputs are no secret.
  app.get("/api/v1/spaces", async () => ({ spaces: await spaces.list() }));

  app.get<IdParams>("/api/v1/spaces/:id", async (request) => spaces.detail(await spaces.get(request.params.id), request.principal));

  app.post("/api/v1/spaces", async (request, reply) => {
    requireAdmin(request.principal);
    const row = await spaces.create(parseInput(CreateSpaceBodySchema, request.body));
    return reply.status(201).send(await spaces.detail(row, request.principal));
  });

  app.patch<IdParams>("/api/v1/spaces/:id", async (request) => {
    requireAdmin(request.principal);
    const row = await spaces.update(request.params.id, parseInput(PatchSpaceBodySchema, request.body));
    return spaces.detail(row, request.principal);
  });

  app.delete<IdParams>("/api/v1/spaces/:id", async (request, reply) => {
    requireAdmin(request.principal);
    await spaces.delete(request.params.id);
    return reply.status(204).send();
  });

  app.get<IdParams>("/api/v1/spaces/:id/worker-tokens", async (request) => {
    requireAdmin(request.principal);
    return { worker_tokens: await spaces.listTokens(request.params.id) };
  });

  app.post<IdParams>("/api/v1/spaces/:id/worker-tokens", async (request, reply) => {
    requireAdmin(request.principal);
    const body = parseInput(CreateWorkerTokenBodySchema, request.body);
    return reply.status(201).send(await spaces.createToken(request.params.id, body.name));
  });

  app.delete<{ Params: { id: string; tokenId: string } }>("/api/v1/spaces/:id/worker-tokens/:tokenId", async (request, reply) => {
    requireAdmin(request.principal);
    await spaces.revokeToken(request.params.id, request.params.tokenId);
    return reply.status(204).send();
  });
}
