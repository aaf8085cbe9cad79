import type { InferenceRequest } from "@wsspaces/protocol";
import { describeFetchError, excerpt, isJsonResponse, postJson, postMultipart, statusError } from "./http-call.js";
import type { Handler } from "./types.js";

export interface HttpHandlerOptions {
  /** Where each request is POSTed, e.g. `http://127.0.0.1:7860/predict`. */
  url: string;
  /** Extra request headers, e.g. `{authorization: "Bearer …"}`. */
  headers?: Record<string, string>;
}

/**
 * The body POSTed for a request: its inputs (`prompt` among them) at the top level, as a model
 * server's own API would take them, plus `request_id` and, when the request has files, their
 * descriptions with signed download URLs.
 */
export function httpRequestBody(request: InferenceRequest): Record<string, unknown> {
  return {
    ...request.payload,
    request_id: request.request_id,
    ...(request.files && request.files.length > 0 ? { files: request.files } : {}),
  };
}

/**
 * `--http URL`: forwards each request to a local model server and returns its answer. A JSON
 * response is the result as it is; any other 2xx body becomes `{text_output}`; a non-2xx status
 * fails the request with the status and the start of the body. A cancel aborts the call. A
 * request with files goes as multipart: the JSON body in the field `request`, the files in
 * fields named after their inputs (`audio`, `video`, `file`).
 */
export function createHttpHandler(options: HttpHandlerOptions): Handler {
  const { url } = options;
  return async (request, ctx) => {
    const headers = { "x-request-id": request.request_id, ...options.headers };
    const body = httpRequestBody(request);
    const response =
      ctx.files.length > 0
        ? await postMultipart({ url, body, headers, ctx, files: await Promise.all(ctx.files.map(async (f) => ({ ...f, path: await f.download() }))) })
        : await postJson({ url, body, headers, ctx });
    if (!response.ok) throw await statusError(url, response);

    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw describeFetchError(error, url, ctx);
    }
    if (!isJsonResponse(response)) return { text_output: text };
    if (text.trim() === "") return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`${url} answered with invalid JSON: ${excerpt(text)}`);
    }
  };
}
