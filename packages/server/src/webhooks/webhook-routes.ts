import type { FastifyInstance } from "fastify";
import type { WebhookDeliveryView } from "@wsspaces/protocol";
import { requireUser } from "../auth/principal.js";
import type { RequestService } from "../requests/request-service.js";
import { deliveryView } from "./webhook-deliverer.js";
import type { WebhookStore } from "./webhook-store.js";

export function registerWebhookRoutes(app: FastifyInstance, requests: RequestService, store: WebhookStore): void {
  /** The delivery log of a request's webhook: one entry per attempt. */
  app.get<{ Params: { id: string } }>("/api/v1/requests/:id/webhooks", async (request) => {
    const principal = requireUser(request.principal);
    const row = await requests.getVisible(principal, request.params.id);
    const deliveries: WebhookDeliveryView[] = (await store.forRequest(row.id)).map(deliveryView);
    return { deliveries };
  });

  /** The key the caller's webhook deliveries are signed with (created on first read). */
  app.get("/api/v1/me/webhook-secret", async (request) => {
    const principal = requireUser(request.principal);
    return { secret: await store.secretFor(principal.userId) };
  });

  app.post("/api/v1/me/webhook-secret", async (request) => {
    const principal = requireUser(request.principal);
    return { secret: await store.rotateSecret(principal.userId) };
  });
}
