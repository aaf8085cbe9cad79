import type { FastifyInstance, FastifyRequest } from "fastify";
import type { SubmitResponse } from "@wsspaces/protocol";
import { ListRequestsQuerySchema, SubmitBodySchema, WaitQuerySchema } from "@wsspaces/protocol";
import { requireAdmin, requireUser } from "../auth/principal.js";
import { parseInput } from "../http/validate.js";
import type { Principal } from "../auth/principal.js";
import type { FileService } from "../files/file-service.js";
import { fieldsAsBody, readMultipartSubmission } from "../files/upload-reader.js";
import type { SpaceRow } from "../spaces/space-store.js";
import type { SpaceService } from "../spaces/space-service.js";
import type { RequestService } from "./request-service.js";

type IdParams = { Params: { id: string } };

/**
 * A submission as JSON or form fields, or as multipart with files: the space is checked before
 * any file is taken in, and files of a refused submission are not kept.
 */
export async function submitFromBody(request: FastifyRequest, principal: Principal, space: SpaceRow, requests: RequestService, files: FileService): Promise<SubmitResponse> {
  if (!request.isMultipart()) return requests.submit(principal, space, parseInput(SubmitBodySchema, request.body));
  await requests.checkAdmission(principal, space);
  const { fields, uploads } = await readMultipartSubmission(request, space, files);
  try {
    return await requests.submit(principal, space, parseInput(SubmitBodySchema, fieldsAsBody(fields)), { uploads });
  } catch (err) {
    await files.discard(uploads);
    throw err;
  }
}

export function registerRequestRoutes(app: FastifyInstance, requests: RequestService, spaces: SpaceService, files: FileService): void {
  app.post<IdParams>("/api/v1/spaces/:id/requests", async (request, reply) => {
    const principal = requireUser(request.principal);
    const { wait } = parseInput(WaitQuerySchema, request.query);
    const space = await spaces.get(request.params.id);
    const submitted = await submitFromBody(request, principal, space, requests, files);
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
