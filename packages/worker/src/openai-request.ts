import type { InferenceRequest } from "@wsspaces/protocol";
import { isJsonObject } from "./line-protocol.js";

/*
 * Building the upstream call for `--openai`: which API the URL points at, and the body that API
 * takes. Only generation settings that both APIs understand are taken from a request's inputs,
 * so a space's other inputs (files, flags) never reach the model server by accident.
 */

export type LlmDialect = "openai" | "ollama";

export interface LlmEndpoint {
  dialect: LlmDialect;
  url: string;
}

/**
 * `…/api/generate` is Ollama's native API. Anything else speaks OpenAI's chat completions: a
 * URL that already ends in `/chat/completions` is used as given, a bare server or `/v1` gets
 * `/v1/chat/completions` (or `/chat/completions`) added.
 */
export function llmEndpoint(raw: string): LlmEndpoint {
  const url = new URL(raw);
  const path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/api/generate")) return { dialect: "ollama", url: url.toString() };
  if (!path.endsWith("/chat/completions")) {
    url.pathname = path.endsWith("/v1") ? `${path}/chat/completions` : path === "" ? "/v1/chat/completions" : path;
  }
  return { dialect: "openai", url: url.toString() };
}

interface ChatMessage {
  role: string;
  content: string;
}

function isChatMessage(value: unknown): value is ChatMessage {
  return isJsonObject(value) && typeof value.role === "string" && typeof value.content === "string";
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function stops(value: unknown): string | string[] | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === "string")) return value;
  return undefined;
}

/** Drops undefined values, so the upstream server sees only settings the request gave. */
function compact(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/**
 * The conversation for a request: `messages` (a chat history, if the space sends one) or the
 * prompt as a single user message, after an optional `system` input.
 */
export function chatMessages(request: InferenceRequest): ChatMessage[] {
  const { payload } = request;
  const system = text(payload.system);
  const history = Array.isArray(payload.messages) && payload.messages.every(isChatMessage) ? payload.messages : undefined;
  const prompt = text(payload.prompt);
  const messages: ChatMessage[] = history ?? (prompt !== undefined ? [{ role: "user", content: prompt }] : []);
  if (messages.length === 0) throw new Error("the request has no prompt");
  return system !== undefined && messages[0]?.role !== "system" ? [{ role: "system", content: system }, ...messages] : messages;
}

export function openAiBody(request: InferenceRequest, model: string | undefined): Record<string, unknown> {
  const { payload } = request;
  return compact({
    model,
    messages: chatMessages(request),
    stream: true,
    temperature: finite(payload.temperature),
    top_p: finite(payload.top_p),
    max_tokens: finite(payload.max_tokens),
    seed: finite(payload.seed),
    stop: stops(payload.stop),
  });
}

export function ollamaBody(request: InferenceRequest, model: string | undefined): Record<string, unknown> {
  const { payload } = request;
  const prompt = text(payload.prompt);
  if (prompt === undefined) throw new Error("the request has no prompt");
  const options = compact({
    temperature: finite(payload.temperature),
    top_p: finite(payload.top_p),
    num_predict: finite(payload.max_tokens),
    seed: finite(payload.seed),
    // Ollama takes only a list here.
    stop: typeof payload.stop === "string" ? stops([payload.stop]) : stops(payload.stop),
  });
  return compact({
    model,
    prompt,
    system: text(payload.system),
    stream: true,
    options: Object.keys(options).length > 0 ? options : undefined,
  });
}
