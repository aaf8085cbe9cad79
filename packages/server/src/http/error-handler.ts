import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorBody } from "@wsspaces/protocol";
import { ERROR_CODES } from "@wsspaces/protocol";
import { isTransientDatabaseError } from "../db/transient-errors.js";
import { AppError } from "./app-error.js";

/**
 * The one place that decides what a client sees of an error: known errors keep their code and
 * message; anything else is logged with the correlation id and answered as `internal`.
 */
export function installErrorHandler(app: FastifyInstance, onError: (code: string) => void = () => {}): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    const known = toAppError(err);
    onError(known.code);
    if (known.code === "internal") {
      request.log.error({ err }, "request failed");
    } else if (known.code === "unavailable") {
      // Unavailability is logged as a warning: it is the environment's, and retried by clients.
      request.log.warn({ err }, "request failed: database unavailable");
    } else {
      request.log.info({ code: known.code, status: known.status }, "request refused");
    }
    const body: ErrorBody & { error: { details?: unknown } } = {
      error: { code: known.code, message: known.message, correlation_id: request.id },
    };
    if (known.details !== undefined) body.error.details = known.details;
    if (known.retryAfterSeconds !== undefined) void reply.header("retry-after", String(known.retryAfterSeconds));
    else if (known.code === "unavailable") void reply.header("retry-after", "5");
    return reply.status(known.status).send(body);
  });
}

/**
 * Fastify's `frameworkErrors` option: the router answers a path it cannot decode
 * (`/api/v1/requests/%`) or a parameter over its length limit itself, before any hook or the
 * error handler, in Fastify's own shape (`{error: "Bad Request", code: "FST_ERR_BAD_URL"}`).
 * Neither can name anything that exists, so they get the answer any unknown id gets.
 */
export function frameworkErrorAnswer(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known =
    err.code === "FST_ERR_BAD_URL" || err.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? new AppError("not_found", "No such route or resource.")
      : new AppError("bad_request", ERROR_CODES.bad_request);
  request.log.info({ code: known.code, fastifyCode: err.code }, "request refused by the router");
  const body: ErrorBody = { error: { code: known.code, message: known.message, correlation_id: request.id } };
  void reply.status(known.status).send(body);
}

const tooLarge = () => new AppError("payload_too_large");
const notJson = () => new AppError("bad_request", "The body is not valid JSON.");

/** Fastify's and its plugins' error codes that deserve a specific answer. */
const FASTIFY_CODES: Record<string, () => AppError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: tooLarge,
  FST_REQ_FILE_TOO_LARGE: tooLarge,
  FST_FILES_LIMIT: tooLarge,
  FST_PARTS_LIMIT: tooLarge,
  FST_FIELDS_LIMIT: tooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new AppError("bad_request", "Unsupported content type; send JSON."),
  FST_ERR_CTP_EMPTY_JSON_BODY: notJson,
  FST_ERR_CTP_INVALID_JSON_BODY: notJson,
};

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isTransientDatabaseError(err)) return new AppError("unavailable", "The service cannot save right now; try again in a moment.");
  const fastifyError = err as Partial<FastifyError>;
  const mapped = fastifyError.code !== undefined ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return mapped();
  // The multipart parser (busboy) throws plain errors for malformed bodies: the client's fault.
  if (err instanceof Error && fastifyError.code === undefined && /multipart|boundary|part header/i.test(err.message)) {
    return new AppError("bad_request", "The multipart body is malformed.");
  }
  // Fastify's own 4xx errors (bad JSON, bad content length…) carry safe messages.
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new AppError("bad_request", fastifyError.message ?? ERROR_CODES.bad_request);
  }
  return new AppError("internal");
}
