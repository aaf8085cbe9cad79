import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { makeWav, mockPicture } from "./mock-media.js";
import type { InferenceRequest } from "@wsspaces/protocol";
import type { Handler, JobContext } from "./types.js";

export interface MockHandlerOptions {
  /** Shortest simulated inference; default 1000 ms. 0 with maxMs 0 answers without any timer. */
  minMs?: number;
  /** Longest simulated inference; default 5000 ms. */
  maxMs?: number;
  /** Probability (0..1) of throwing "simulated failure"; default 0. */
  failRate?: number;
  model?: string;
  /** Source of randomness in [0, 1); inject a fixed sequence for deterministic tests. */
  random?: () => number;
}

/** The seed mock app's result shape, which pages and clients written for the seed display. */
export interface MockResult {
  text_output: string;
  /** What arrived in the request's files, checked against their sha256 after downloading. */
  files_received?: ReceivedFile[];
  /** Output files attached (a picture for "draw…", a tone for "say…"). */
  files_sent?: string[];
  confidence: number;
  model_used: string;
  processing_time_seconds: number;
  tokens_used: number;
  timestamp: string;
}

export interface ReceivedFile {
  field: string;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  /** The bytes downloaded hash to the sha256 the server gave. */
  sha256_ok: boolean;
}

const PROGRESS_STEPS = 5;
const WANTS_PICTURE = /\b(draw|image|picture|png)\b/i;
const WANTS_SOUND = /\b(say|speak|audio|voice|wav)\b/i;
const WANTS_ECHO = /\becho\b/i;

/** Downloads each input (streamed, never held whole) and checks it against its sha256. */
async function receiveFiles(ctx: JobContext): Promise<ReceivedFile[]> {
  const received: ReceivedFile[] = [];
  for (const file of ctx.files) {
    const hash = createHash("sha256");
    for await (const chunk of await file.stream()) hash.update(chunk as Buffer);
    received.push({ field: file.field, name: file.name, mime: file.mime, size: file.size, sha256: file.sha256, sha256_ok: hash.digest("hex") === file.sha256 });
  }
  return received;
}

/** Attaches generated media when the prompt asks for it (and the uploads for "echo"); returns the names attached. */
async function sendMedia(prompt: unknown, ctx: JobContext): Promise<string[]> {
  if (typeof prompt !== "string") return [];
  const sent: string[] = [];
  if (WANTS_ECHO.test(prompt)) {
    for (const file of ctx.files) {
      await ctx.attach(`echo-${file.name}`, await file.download(), { mime: file.mime });
      sent.push(`echo-${file.name}`);
    }
  }
  if (WANTS_PICTURE.test(prompt)) {
    await ctx.attach("mock-picture.png", mockPicture(), { mime: "image/png" });
    sent.push("mock-picture.png");
  }
  if (WANTS_SOUND.test(prompt)) {
    await ctx.attach("mock-voice.wav", makeWav(440, 1.5), { mime: "audio/wav" });
    sent.push("mock-voice.wav");
  }
  return sent;
}
const MAX_ECHOED_PROMPT = 200;

function describeInput(request: InferenceRequest): string {
  const prompt = request.payload.prompt;
  if (typeof prompt === "string" && prompt.length > 0) {
    const echoed = prompt.length > MAX_ECHOED_PROMPT ? `${prompt.slice(0, MAX_ECHOED_PROMPT)}…` : prompt;
    return `"${echoed}"`;
  }
  const inputs = [
    ...Object.keys(request.payload),
    ...(request.files ?? []).map((file) => file.field),
  ];
  return inputs.length > 0 ? `(inputs: ${[...new Set(inputs)].join(", ")})` : "(empty request)";
}

/** "a b c" → ["a ", "b ", "c"]: word-sized tokens that concatenate back to the text. */
export function tokenize(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * Waits `totalMs` in equal steps, reporting each and streaming the answer's tokens as it goes,
 * like a language model generating; rejects with an AbortError when cancelled.
 */
async function simulateWork(totalMs: number, tokens: readonly string[], ctx: JobContext): Promise<void> {
  const stepMs = totalMs / PROGRESS_STEPS;
  let sent = 0;
  for (let step = 1; step <= PROGRESS_STEPS; step += 1) {
    // timers/promises clears its timer and rejects with an AbortError as soon as the signal fires.
    if (stepMs > 0) await sleep(stepMs, undefined, { signal: ctx.signal });
    const upTo = Math.round((tokens.length * step) / PROGRESS_STEPS);
    for (; sent < upTo; sent += 1) ctx.stream(tokens[sent]);
    ctx.progress(step / PROGRESS_STEPS, `step ${step}/${PROGRESS_STEPS}`);
  }
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/**
 * A stand-in model, like the seed's mock_app.py: takes a random time, reports progress,
 * sometimes fails on purpose, and returns a plausible-looking result.
 */
export function createMockHandler(options: MockHandlerOptions = {}): Handler<MockResult> {
  const { minMs = 1000, maxMs = 5000, failRate = 0, model = "mock-model-v1", random = Math.random } = options;
  if (!(minMs >= 0 && maxMs >= minMs && Number.isFinite(maxMs))) {
    throw new RangeError("mock durations need 0 <= minMs <= maxMs");
  }
  if (!(failRate >= 0 && failRate <= 1)) throw new RangeError("failRate must be between 0 and 1");

  return async (request, ctx) => {
    ctx.signal.throwIfAborted();
    const started = performance.now();
    const filesReceived = ctx.files.length > 0 ? await receiveFiles(ctx) : [];
    const durationMs = Math.round(minMs + random() * (maxMs - minMs));
    const input = describeInput(request);
    const text = `Mock response to: ${input}`;
    if (durationMs > 0) await simulateWork(durationMs, tokenize(text), ctx);
    else for (const token of tokenize(text)) ctx.stream(token);

    if (random() < failRate) throw new Error("simulated failure");
    const filesSent = await sendMedia(request.payload.prompt, ctx);

    return {
      text_output: text,
      ...(filesReceived.length > 0 ? { files_received: filesReceived } : {}),
      ...(filesSent.length > 0 ? { files_sent: filesSent } : {}),
      confidence: round(0.8 + random() * 0.19, 2),
      model_used: model,
      processing_time_seconds: round((performance.now() - started) / 1000, 3),
      // Roughly a token per four characters in and a random-length answer out.
      tokens_used: Math.ceil(input.length / 4) + 20 + Math.floor(random() * 200),
      timestamp: new Date().toISOString(),
    };
  };
}
