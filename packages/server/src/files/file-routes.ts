import send from "@fastify/send";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isAdmin } from "../auth/principal.js";
import { AppError } from "../http/app-error.js";
import { parseInput } from "../http/validate.js";
import { contentDisposition } from "./file-names.js";
import type { FileService } from "./file-service.js";
import { authorizeOutputUpload, type OutputUploadAuthDeps } from "./output-upload-auth.js";

/** Types a browser may show in the page; anything else is a download (no HTML or SVG from us, ever). */
const INLINE_TYPES = /^(image\/(png|jpeg|gif|webp|avif|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+|text\/plain|application\/json)$/;

const SignedQuerySchema = z.object({
  expires: z.string().max(20).optional(),
  sig: z.string().max(100).optional(),
  download: z.enum(["1"]).optional(),
});

const OutputParamsSchema = z.object({ id: z.string().min(1).max(64), name: z.string().min(1).max(255) });

export function registerFileRoutes(app: FastifyInstance, files: FileService, uploadAuth: OutputUploadAuthDeps): void {
  app.get<{ Params: { id: string } }>("/api/v1/files/:id", async (request, reply) => {
    const query = parseInput(SignedQuerySchema, request.query);
    const file = await files.byId(request.params.id);
    const signed = file !== undefined && files.verifySignature(file.id, query.expires, query.sig);
    const principal = request.principal;
    if (!signed) {
      if (query.sig !== undefined && principal === null) throw new AppError("forbidden", "This file link has expired or is not valid.");
      if (!principal) throw new AppError("unauthenticated");
      // Someone else's file is "not found", like someone else's request.
      if (!file || (file.user_id !== principal.userId && !isAdmin(principal))) throw new AppError("not_found", "No such file.");
    }
    if (!file) throw new AppError("not_found", "No such file.");
    const result = await send(request.raw, encodeURIComponent(file.sha256), {
      root: files.pathOf(file).slice(0, -file.sha256.length),
      contentType: false,
      cacheControl: false,
      dotfiles: "deny",
    });
    if (result.type !== "file") {
      if (result.statusCode === 404) throw new AppError("not_found", "The file's content is gone (removed by retention).");
      // 412 and 416 (precondition, range) are answers, not failures.
      if (result.statusCode < 500) return reply.code(result.statusCode).headers(result.headers).send(result.stream);
      throw new AppError("unavailable");
    }
    const inline = INLINE_TYPES.test(file.mime) && query.download === undefined;
    return reply
      .code(result.statusCode)
      .headers(result.headers)
      .header("content-type", file.mime)
      .header("content-disposition", contentDisposition(inline ? "inline" : "attachment", file.name))
      .header("cache-control", "private, max-age=3600")
      // Even a file shown inline runs nothing: no scripts, no plugins, no same-origin access.
      .header("content-security-policy", "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
      .send(result.stream);
  });

  // Output files are streamed straight to the store: no body parser may buffer them.
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));
    scope.put<{ Params: { id: string; name: string } }>("/api/v1/worker/requests/:id/files/:name", { config: { ownAuth: true } }, async (request, reply) => {
      const params = parseInput(OutputParamsSchema, request.params);
      const connection = request.headers["x-wsspaces-connection"];
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
      const row = await authorizeOutputUpload(uploadAuth, params.id, typeof connection === "string" ? connection : undefined, bearer);
      const view = await files.storeUploadedOutput(row, params.name, request.headers["content-type"], request.raw);
      return reply.status(201).send(view);
    });
    done();
  });
}
