import type { FastifyInstance } from "fastify";
import { ListRequestsQuerySchema, SubmitBodySchema, WaitQuerySchema } from "@wsspaces/protocol";
import { requireAdmin, requireUser } from "../auth/principal.js";
import { parseInput } from "../http/validate.js";
import type { SpaceService } from "../spaces/space-service.js";
import type { RequestService } from "./request-service.js";

type IdParams = { Params: { id: string } };

export function registerRequestRoutes(app: FastifyInstance, requests: RequestService, spaces: SpaceService): void {
  app.post<IdParams>("/api/v1/spaces/:id/requests", async (request, reply) => {
    const principal = requireUser(request.principal);
    const { wait } = parseInput(WaitQuerySchema, request.query);
    const body = parseInput(SubmitBodySchema, request.body);
    const space = await spaces.get(request.params.id);
    const submitted = await requests.submit(principal, space, body);
    if (!wait) return reply.status(202).send(submitted);
    const view = await requests.waitAndView(submitted.request_id, wait);
    return reply.status(view.finished_at ? 200 : 202).send({ ...submitted, ...view, state: view.state, position: view.position });
  });

  app.get<IdParams>("/api/v1/requests/:id", async (request) => {
    const principal = requireUser(request.principal);
    const { wait } = parseInput(WaitQuerySchema, request.query);
    const row = await requests.getVisible(principal, request.params.id);
    return wait ? requests.waitAndView(row.id, wait) : requests.view(row);
  });

  app.post<IdParams>("/api/v1/requests/:id/cancel", async (request) => {
    const principal = requireUser(request.principal);
    return requests.cancel(principal, request.params.id);
  });

  app.post<IdParams>("/api/v1/requests/:id/retry", async (request, reply) => {
    const principal = requireUser(request.principal);
    const original = await requests.getVisible(principal, request.params.id);
    const space = await spaces.get(original.space_id);
    return reply.status(202).send(await requests.retry(principal, original.id, space));
  });

  app.post<IdParams>("/api/v1/spaces/:id/queue/purge", async (request) => {
    requireAdmin(request.principal);
    const space = await spaces.get(request.params.id);
    return { purged: await requests.purgeQueue(space.id) };
  });

  app.get("/api/v1/requests", async (request) => {
    const principal = requireUser(request.principal);
    return { requests: await requests.list(principal, parseInput(ListRequestsQuerySchema, request.query)) };
  });
}
