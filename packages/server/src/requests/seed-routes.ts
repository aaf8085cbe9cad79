import type { FastifyInstance, FastifyReply } from "fastify";
import type { SeedStatusResponse } from "@wsspaces/protocol";
import { SeedStatusQuerySchema, SeedSubmitBodySchema } from "@wsspaces/protocol";
import { requireUser } from "../auth/principal.js";
import { AppError } from "../http/app-error.js";
import { parseInput } from "../http/validate.js";
import type { SpaceService } from "../spaces/space-service.js";
import { iso } from "../util/time.js";
import type { FileService } from "../files/file-service.js";
import type { RequestService } from "./request-service.js";
import { submitFromBody } from "./request-routes.js";

/**
 * The original Flask site's two routes, with its answer shapes (`{success, …}`), so that pages
 * and scripts written for it keep working. New code should use /api/v1.
 */
export function registerSeedRoutes(app: FastifyInstance, requests: RequestService, spaces: SpaceService, files: FileService): void {
  app.post<{ Params: { space_id: string } }>("/websockets/submit/:space_id", async (request, reply) =>
    seedAnswer(reply, async () => {
      const principal = requireUser(request.principal);
      const space = await spaces.get(request.params.space_id);
      // The seed's form posts fields (and, where enabled, files) as multipart.
      const submitted = request.isMultipart()
        ? await submitFromBody(request, principal, space, requests, files)
        : await requests.submit(principal, space, { prompt: parseInput(SeedSubmitBodySchema, request.body).prompt });
      return { success: true, request_id: submitted.request_id, status: submitted.state, position: submitted.position };
    }),
  );

  app.get("/websockets/status", async (request, reply) =>
    seedAnswer(reply, async () => {
      const principal = requireUser(request.principal);
      const { request_id } = parseInput(SeedStatusQuerySchema, request.query);
      const row = await requests.getVisible(principal, request_id);
      const view = await requests.view(row);
      const answer: SeedStatusResponse = {
        success: true,
        status: view.state,
        result: view.result,
        error: view.error?.message ?? null,
        created_at: view.created_at,
        updated_at: iso(row.updated_at),
      };
      return answer;
    }),
  );
}

async function seedAnswer(reply: FastifyReply, run: () => Promise<object>): Promise<FastifyReply> {
  try {
    return await reply.send(await run());
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    // The seed's wording for the case its pages and tests check.
    const message = err.code === "space_offline" ? "Remote app not connected" : err.message;
    return reply.status(err.status).send({ success: false, error: message, code: err.code });
  }
}
