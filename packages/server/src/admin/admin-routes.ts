import type { FastifyInstance } from "fastify";
import { AdminRequestsQuerySchema, OverviewQuerySchema, PatchUserBodySchema } from "@wsspaces/protocol";
import { requireAdmin } from "../auth/principal.js";
import { parseInput } from "../http/validate.js";
import type { AdminService } from "./admin-service.js";

export function registerAdminRoutes(app: FastifyInstance, admin: AdminService): void {
  app.get("/api/v1/admin/workers", async (request) => {
    requireAdmin(request.principal);
    return { workers: await admin.workers() };
  });

  app.post<{ Params: { id: string } }>("/api/v1/admin/workers/:id/drain", async (request) => {
    requireAdmin(request.principal);
    return admin.drainWorker(request.params.id);
  });

  app.get("/api/v1/admin/requests", async (request) => {
    const principal = requireAdmin(request.principal);
    return { requests: await admin.requests(principal, parseInput(AdminRequestsQuerySchema, request.query)) };
  });

  app.get("/api/v1/admin/overview", async (request) => {
    requireAdmin(request.principal);
    return admin.overview(parseInput(OverviewQuerySchema, request.query).minutes);
  });

  app.get("/api/v1/admin/users", async (request) => {
    requireAdmin(request.principal);
    return { users: await admin.users() };
  });

  app.patch<{ Params: { id: string } }>("/api/v1/admin/users/:id", async (request) => {
    const principal = requireAdmin(request.principal);
    return admin.patchUser(principal, request.params.id, parseInput(PatchUserBodySchema, request.body));
  });
}
