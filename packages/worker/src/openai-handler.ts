import { describeFetchError, excerpt, isJsonResponse, postJson, statusError } from "./http-call.js";
import { isJsonObject, type JsonObject } from "./line-protocol.js";
import { llmEndpoint, ollamaBody, openAiBody, type LlmDialect } from "./openai-request.js";
import { responseLines, sseData } from "./response-lines.js";
import type { Handler, JobContext } from "./types.js";

export interface OpenAiHandlerOptions {
  /**
   * The model server: `http://127.0.0.1:8000` or `…/v1` or `…/v1/chat/completions` for the
   * OpenAI-compatible API (vLLM, llama.cpp, LM Studio, Ollama's /v1), `…/api/generate` for
   * Ollama's own.
   */
  url: string;
  /** Model name sent upstream; Ollama requires one. */
  model?: string;
  /** Sent as `Authorization: Bearer …`. */
  apiKey?: string;
}

/** The result of a generation, in the seed's `text_output` shape. */
export interface LlmResult {
  text_output: string;
  model: string | undefined;
  usage?: Record<string, unknown>;
  finish_reason?: string;
}

/** What the model server said or sent wrong, as opposed to the connection failing. */
class ModelServerError extends Error {}

/** Collects a generation while its tokens are relayed. */
class Generation {
  private text = "";
  model: string | undefined;
  usage: Record<string, unknown> | undefined;
  finishReason: string | undefined;

  constructor(
    private readonly ctx: JobContext,
    fallbackModel: string | undefined,
  ) {
    this.model = fallbackModel;
  }

  token(token: unknown): void {
    if (typeof token !== "string" || token === "") return;
    this.text += token;
    this.ctx.stream(token);
  }

  result(): LlmResult {
    return {
      text_output: this.text,
      model: this.model,
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.finishReason ? { finish_reason: this.finishReason } : {}),
    };
  }
}

function upstreamError(line: JsonObject): Error | undefined {
  const error = line.error;
  if (error === undefined || error === null) return undefined;
  if (typeof error === "string") return new ModelServerError(`the model server reported: ${error}`);
  if (isJsonObject(error) && typeof error.message === "string") return new ModelServerError(`the model server reported: ${error.message}`);
  return new ModelServerError(`the model server reported: ${excerpt(JSON.stringify(error))}`);
}

function parseJson(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ModelServerError(`the model server sent something that is not JSON: ${excerpt(text)}`);
  }
  if (!isJsonObject(value)) throw new ModelServerError(`the model server sent unexpected JSON: ${excerpt(text)}`);
  return value;
}

/** One OpenAI chat-completion chunk (streamed) or a whole completion (a server that ignored `stream`). */
function readOpenAiChunk(chunk: JsonObject, generation: Generation): void {
  const failure = upstreamError(chunk);
  if (failure) throw failure;
  if (typeof chunk.model === "string" && chunk.model !== "") generation.model = chunk.model;
  if (isJsonObject(chunk.usage)) generation.usage = chunk.usage;
  const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  if (!isJsonObject(choice)) return;
  if (typeof choice.finish_reason === "string") generation.finishReason = choice.finish_reason;
  if (isJsonObject(choice.delta)) generation.token(choice.delta.content);
  else if (isJsonObject(choice.message)) generation.token(choice.message.content);
}

/** One line of Ollama's NDJSON stream; true on the last one. */
function readOllamaLine(line: JsonObject, generation: Generation): boolean {
  const failure = upstreamError(line);
  if (failure) throw failure;
  if (typeof line.model === "string" && line.model !== "") generation.model = line.model;
  generation.token(line.response);
  if (line.done !== true) return false;
  if (typeof line.done_reason === "string") generation.finishReason = line.done_reason;
  const prompt = typeof line.prompt_eval_count === "number" ? line.prompt_eval_count : undefined;
  const completion = typeof line.eval_count === "number" ? line.eval_count : undefined;
  if (prompt !== undefined || completion !== undefined) {
    // OpenAI's names, so results look the same whichever API produced them.
    generation.usage = {
      prompt_tokens: prompt ?? 0,
      completion_tokens: completion ?? 0,
      total_tokens: (prompt ?? 0) + (completion ?? 0),
    };
  }
  return true;
}

async function readStream(dialect: LlmDialect, response: Response, generation: Generation): Promise<void> {
  if (!response.body) return;
  const lines = responseLines(response.body);
  if (dialect === "ollama") {
    for await (const line of lines) {
      if (line.trim() === "") continue;
      if (readOllamaLine(parseJson(line), generation)) return;
    }
    return;
  }
  for await (const data of sseData(lines)) {
    if (data.trim() === "[DONE]") return;
    readOpenAiChunk(parseJson(data), generation);
  }
}

/**
 * `--http URL --openai`: asks an OpenAI-compatible server (`/v1/chat/completions`, SSE) or
 * Ollama (`/api/generate`, NDJSON) to stream a completion, relays each token with
 * `ctx.stream(token)` and returns `{text_output, model, usage?, finish_reason?}`.
 */
export function createOpenAiHandler(options: OpenAiHandlerOptions): Handler<LlmResult> {
  const { dialect, url } = llmEndpoint(options.url);
  const headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : undefined;
  return async (request, ctx) => {
    const body = dialect === "ollama" ? ollamaBody(request, options.model) : openAiBody(request, options.model);
    const response = await postJson({ url, body, ...(headers ? { headers } : {}), ctx });
    if (!response.ok) throw await statusError(url, response);

    const generation = new Generation(ctx, options.model);
    try {
      // A server that ignored `stream: true` answers with one JSON completion.
      if (dialect === "openai" && isJsonResponse(response)) readOpenAiChunk(parseJson(await response.text()), generation);
      else await readStream(dialect, response, generation);
    } catch (error) {
      // A stream cut off by a cancel or the deadline surfaces as a read error: say which.
      if (error instanceof ModelServerError) throw error;
      throw describeFetchError(error, url, ctx);
    }
    return generation.result();
  };
}
