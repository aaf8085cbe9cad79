import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestView, SpaceDetail, SubmitResponse } from "@wsspaces/protocol";
import type { RequestEvent } from "../packages/server/src/requests/request-events.js";
import { parseWorkerArgs } from "../packages/worker/src/cli-args.js";
import { RateMeter, StatusLine, formatStatus } from "../packages/worker/src/status-line.js";
import { CLI, spawnCli, spawnProcess, type Proc } from "./helpers/processes.js";
import { ApiClient } from "./helpers/http.js";
import { startTestServer, uniqueName, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

const PYTHON = "/usr/bin/python3";
const PERSISTENT_MODEL = fileURLToPath(new URL("./fixtures/persistent_model.py", import.meta.url));
const GATED_MODEL = fileURLToPath(new URL("./fixtures/gated_model.py", import.meta.url));

type View = RequestView & SubmitResponse;

/** One test's site, space, worker processes and scratch directory, all torn down after it. */
class Harness {
  readonly procs: Proc[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), "wsspaces-modes-"));
  private readonly listeners: ((event: RequestEvent) => void)[] = [];

  private constructor(
    readonly server: TestServer,
    readonly space: SpaceDetail,
    readonly token: string,
  ) {}

  static async start(): Promise<Harness> {
    const server = await startTestServer();
    const { space, token } = await server.space();
    return new Harness(server, space, token);
  }

  /** Starts `wsspaces worker` for the space and waits until the site counts it as connected. */
  async worker(args: string[], env: NodeJS.ProcessEnv = {}, credentials = true): Promise<Proc> {
    const base = credentials ? ["--server", this.server.url, "--token", this.token, "--space", this.space.name] : [];
    const proc = spawnCli(["worker", ...base, ...args], env);
    this.procs.push(proc);
    await eventually(async () => expect((await this.server.admin.get(`/api/v1/spaces/${this.space.id}`)).body).toMatchObject({ workers: 1 }), { timeoutMs: 15_000 });
    return proc;
  }

  submit(prompt: string, inputs: Record<string, unknown> = {}): Promise<View> {
    return this.server.admin.post<View>(`/api/v1/spaces/${this.space.id}/requests`, { prompt, inputs }).then((res) => {
      expect(res.status).toBe(202);
      return res.body;
    });
  }

  /** Submits and waits (server-side, `?wait=`) for the request to end. */
  async run(prompt: string, inputs: Record<string, unknown> = {}): Promise<View> {
    const res = await this.server.admin.post<View>(`/api/v1/spaces/${this.space.id}/requests?wait=25`, { prompt, inputs });
    return res.body;
  }

  async view(requestId: string): Promise<RequestView> {
    return (await this.server.admin.get<RequestView>(`/api/v1/requests/${requestId}`)).body;
  }

  /** Records the stream chunks the site relays (its in-process event bus, after the socket). */
  streamOf(): Map<string, unknown[]> {
    const chunks = new Map<string, unknown[]>();
    const listener = (event: RequestEvent) => {
      if (event.type !== "stream") return;
      chunks.set(event.requestId, [...(chunks.get(event.requestId) ?? []), event.chunk]);
    };
    this.server.app.events.on("request", listener);
    this.listeners.push(listener);
    return chunks;
  }

  async close(): Promise<void> {
    for (const listener of this.listeners) this.server.app.events.off("request", listener);
    await Promise.all(this.procs.map((p) => p.kill("SIGKILL")));
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("worker --exec-persistent", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.start();
  });
  afterEach(async () => {
    await h.close();
  });

  const command = `${PYTHON} ${PERSISTENT_MODEL}`;

  it("serves every request from one long-lived process, with progress and stream lines", async () => {
    await h.worker(["--exec-persistent", command, "--capacity", "2"]);
    const chunks = h.streamOf();
    const first = await h.run("hello persistent world");
    expect(first).toMatchObject({ state: "completed", progress_message: "halfway", result: { text_output: "HELLO PERSISTENT WORLD", capacity: "2" } });
    expect(chunks.get(first.id)?.join("")).toBe("hello persistent world ");

    const second = await h.run("again");
    expect(second).toMatchObject({ state: "completed", result: { text_output: "AGAIN" } });
    // The same process answered both.
    expect((second.result as { pid: number }).pid).toBe((first.result as { pid: number }).pid);

    const refused = await h.run("error");
    expect(refused).toMatchObject({ state: "failed", error: { message: "the model refused" } });
  });

  it("keeps several requests in flight in the one process, up to --capacity", async () => {
    await h.worker(["--exec-persistent", command, "--capacity", "2"]);
    // Each "pair:" request waits until the other one runs too: with one at a time, both would fail.
    const [a, b] = await Promise.all([h.run("pair:1"), h.run("pair:2")]);
    expect(a).toMatchObject({ state: "completed", result: { text_output: "pair:1" } });
    expect(b).toMatchObject({ state: "completed", result: { text_output: "pair:2" } });
  });

  it("sends a cancel line to the process and keeps it running", async () => {
    const worker = await h.worker(["--exec-persistent", command, "--verbose"]);
    const before = await h.run("warm up");
    const marker = join(h.dir, "cancelled");
    const held = await h.submit(`hold:${marker}`);
    await worker.waitForLine(new RegExp(`holding ${held.request_id}`));

    const cancel = await h.server.admin.post<RequestView>(`/api/v1/requests/${held.request_id}/cancel`);
    expect(cancel.body.state).toBe("cancelled");
    await eventually(() => expect(existsSync(marker) ? readFileSync(marker, "utf8") : "").toBe(`cancelled ${held.request_id}`));

    const after = await h.run("still here");
    expect(after).toMatchObject({ state: "completed", result: { text_output: "STILL HERE" } });
    expect((after.result as { pid: number }).pid).toBe((before.result as { pid: number }).pid);
  });

  it("fails the requests in flight with the last stderr lines when the process dies, then restarts it", async () => {
    const worker = await h.worker(["--exec-persistent", command, "--capacity", "2", "--verbose"]);
    const before = await h.run("warm up");
    const pid = (before.result as { pid: number }).pid;

    const held = await h.submit(`hold:${join(h.dir, "never")}`);
    await worker.waitForLine(new RegExp(`holding ${held.request_id}`));
    const crash = await h.run("crash");
    expect(crash.state).toBe("failed");
    expect(crash.error?.message).toMatch(/exited with code 3/);
    expect(crash.error?.message).toMatch(/fatal: GPU fell off the bus/);
    // The other request in flight went down with the process.
    await eventually(async () => expect(await h.view(held.request_id)).toMatchObject({ state: "failed", error: { message: expect.stringMatching(/GPU fell off the bus/) as unknown } }));
    expect(isAlive(pid)).toBe(false);

    await worker.waitForLine(/restarting in/);
    const after = await h.run("back again");
    expect(after).toMatchObject({ state: "completed", result: { text_output: "BACK AGAIN" } });
    expect((after.result as { pid: number }).pid).not.toBe(pid);
  });
});

/** A real HTTP server on a free loopback port, closed by the test's teardown. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += (chunk as Buffer).toString();
  return JSON.parse(text) as Record<string, unknown>;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A Server-Sent Events client of the site, as an API user would run one (fetch, no library). */
class SseReader {
  readonly events: { type: string; data: unknown }[] = [];
  readonly finished: Promise<void>;
  private readonly controller = new AbortController();

  constructor(url: string, apiKey: string) {
    this.finished = this.read(url, apiKey).catch((error: unknown) => {
      if (!this.controller.signal.aborted) throw error;
    });
  }

  chunks(): unknown[] {
    return this.events.filter((e) => e.type === "stream").map((e) => (e.data as { chunk: unknown }).chunk);
  }

  close(): void {
    this.controller.abort();
  }

  private async read(url: string, apiKey: string): Promise<void> {
    const res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}`, accept: "text/event-stream" }, signal: this.controller.signal });
    expect(res.status).toBe(200);
    let buffered = "";
    const decoder = new TextDecoder();
    for await (const bytes of res.body!) {
      buffered += decoder.decode(bytes as Uint8Array, { stream: true });
      let end = buffered.indexOf("\n\n");
      while (end !== -1) {
        const block = buffered.slice(0, end).split("\n");
        buffered = buffered.slice(end + 2);
        end = buffered.indexOf("\n\n");
        const type = block.find((line) => line.startsWith("event: "))?.slice(7);
        const data = block.filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
        if (type !== undefined) this.events.push({ type, data: JSON.parse(data) as unknown });
      }
    }
  }
}

describe("worker --http", () => {
  let h: Harness;
  let model: { server: Server; url: string };
  const received: { path: string; headers: IncomingMessage["headers"]; body: Record<string, unknown> }[] = [];
  const aborted: string[] = [];

  beforeEach(async () => {
    received.length = 0;
    aborted.length = 0;
    h = await Harness.start();
    model = await listen((req, res) => {
      void readJson(req).then((body) => {
        received.push({ path: req.url ?? "", headers: req.headers, body });
        const prompt = String(body.prompt);
        if (prompt === "boom") {
          res.writeHead(500, { "content-type": "text/plain" }).end("the model exploded: tensor shape mismatch");
        } else if (prompt === "hang") {
          // Never answers; the worker has to give up on its own when the request is cancelled.
          res.on("close", () => aborted.push(String(body.request_id)));
        } else if (prompt === "text") {
          res.writeHead(200, { "content-type": "text/plain" }).end("plain words");
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ echo: prompt.toUpperCase(), temperature: body.temperature }));
        }
      });
    });
  });
  afterEach(async () => {
    await h.close();
    await close(model.server);
  });

  it("POSTs the request as JSON and returns the JSON response as the result", async () => {
    await h.worker(["--http", `${model.url}/predict`, "--api-key", "sekret"]);
    const done = await h.run("hello http", { temperature: 0.25 });
    expect(done).toMatchObject({ state: "completed", result: { echo: "HELLO HTTP", temperature: 0.25 } });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      path: "/predict",
      headers: { "content-type": "application/json", authorization: "Bearer sekret", "x-request-id": done.id },
      body: { prompt: "hello http", temperature: 0.25, request_id: done.id },
    });

    expect(await h.run("text")).toMatchObject({ state: "completed", result: { text_output: "plain words" } });
  });

  it("fails the request with the status and the start of the body on a non-2xx answer", async () => {
    await h.worker(["--http", `${model.url}/predict`]);
    const failed = await h.run("boom");
    expect(failed.state).toBe("failed");
    expect(failed.error?.message).toMatch(/answered 500 Internal Server Error: the model exploded: tensor shape mismatch/);
  });

  it("aborts the HTTP call when the request is cancelled", async () => {
    await h.worker(["--http", `${model.url}/predict`]);
    const hanging = await h.submit("hang");
    await eventually(() => expect(received.map((r) => r.body.request_id)).toContain(hanging.request_id));
    expect(aborted).toEqual([]);
    expect((await h.server.admin.post<RequestView>(`/api/v1/requests/${hanging.request_id}/cancel`)).body.state).toBe("cancelled");
    await eventually(() => expect(aborted).toEqual([hanging.request_id]));
  });

  it("fails with a readable error when the model server cannot be reached", async () => {
    const gone = await listen(() => {});
    await close(gone.server);
    await h.worker(["--http", `${gone.url}/predict`]);
    const failed = await h.run("anyone?");
    expect(failed.state).toBe("failed");
    expect(failed.error?.message).toMatch(new RegExp(`could not reach ${gone.url}/predict: .*ECONNREFUSED`));
  });
});

describe("worker --http --openai", () => {
  let h: Harness;
  let upstream: { server: Server; url: string };
  const bodies: Record<string, unknown>[] = [];
  /** The site's relayed chunks, per request: the fake server paces its tokens by them. */
  let relayed: Map<string, unknown[]>;
  const TOKENS = ["Hel", "lo", ", ", "wor", "ld"];

  /** The test's SSE client, when it has one: then tokens are paced by what reached it. */
  let sse: SseReader | undefined;

  /** Resolves once the site has relayed `text` (to the SSE client, if any) for the request being answered. */
  const siteHasRelayed = (text: string) =>
    eventually(
      () => {
        const seen = sse ? [sse.chunks().join("")] : [...relayed.values()].map((chunks) => chunks.join(""));
        expect(seen).toContain(text);
      },
      { timeoutMs: 10_000 },
    );

  beforeEach(async () => {
    bodies.length = 0;
    sse = undefined;
    h = await Harness.start();
    relayed = h.streamOf();
    upstream = await listen((req, res) => {
      void (async () => {
        const body = await readJson(req);
        bodies.push(body);
        if (req.url === "/api/generate") {
          res.writeHead(200, { "content-type": "application/x-ndjson" });
          for (const token of TOKENS) res.write(`${JSON.stringify({ model: body.model, response: token, done: false })}\n`);
          res.end(`${JSON.stringify({ model: body.model, response: "", done: true, done_reason: "stop", prompt_eval_count: 7, eval_count: 5 })}\n`);
          return;
        }
        if (req.url !== "/v1/chat/completions") return void res.writeHead(404).end("no such route");
        if (body.model === "missing") {
          return void res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "model 'missing' not found" } }));
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
          `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", model: "fake-gpt-1", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(": keep-alive comment\n\n");
        res.write(chunk({ role: "assistant" }));
        let sent = "";
        for (const token of TOKENS) {
          const event = chunk({ content: token });
          // Split across two writes: the worker must put an event back together.
          res.write(event.slice(0, 10));
          res.write(event.slice(10));
          sent += token;
          // The next token leaves only once this one has come out at the site: a worker that
          // buffered the answer instead of relaying it token by token would stall here.
          await siteHasRelayed(sent);
        }
        res.write(chunk({}, "stop"));
        res.write(`data: ${JSON.stringify({ id: "chatcmpl-1", choices: [], usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } })}\n\n`);
        res.end("data: [DONE]\n\n");
      })().catch((error: unknown) => {
        // A token that never reached the site: cut the stream, so the request fails visibly.
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  afterEach(async () => {
    sse?.close();
    await h.close();
    await close(upstream.server);
  });

  it("streams an OpenAI-compatible completion token by token to an SSE client of the site", async () => {
    await h.worker(["--http", upstream.url, "--openai", "--model", "fake-gpt-1"]);
    const user = await h.server.app.auth.createUser(uniqueName("reader"), "reader-password", "user");
    const { key } = await h.server.app.auth.createApiKey(user.id, "sse");
    const submitted = await new ApiClient(h.server.url, key).post<SubmitResponse>(`/api/v1/spaces/${h.space.id}/requests`, {
      prompt: "Say hello",
      inputs: { temperature: 0.2, system: "Be brief.", audio_file: "ignored" },
    });
    const reader = new SseReader(`${h.server.url}/api/v1/requests/${submitted.body.request_id}/events`, key);
    sse = reader;
    await reader.finished;

    // Each token reached the reader as its own event, numbered without gaps, before the next left upstream.
    expect(reader.chunks()).toEqual(TOKENS);
    expect(reader.events.filter((e) => e.type === "stream").map((e) => (e.data as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
    const done = reader.events.at(-1);
    expect(done).toMatchObject({
      type: "done",
      data: {
        state: "completed",
        result: { text_output: "Hello, world", model: "fake-gpt-1", finish_reason: "stop", usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } },
      },
    });
    expect(bodies).toEqual([
      {
        model: "fake-gpt-1",
        stream: true,
        temperature: 0.2,
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Say hello" },
        ],
      },
    ]);
  });

  it("speaks Ollama's /api/generate NDJSON stream", async () => {
    await h.worker(["--http", `${upstream.url}/api/generate`, "--openai", "--model", "llama3.2"]);
    const done = await h.run("Say hello", { max_tokens: 50 });
    expect(done).toMatchObject({
      state: "completed",
      result: { text_output: "Hello, world", model: "llama3.2", finish_reason: "stop", usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } },
    });
    expect(relayed.get(done.id)?.join("")).toBe("Hello, world");
    expect(bodies).toEqual([{ model: "llama3.2", prompt: "Say hello", stream: true, options: { num_predict: 50 } }]);
  });

  it("fails with the model server's status and message", async () => {
    await h.worker(["--http", `${upstream.url}/v1`, "--openai", "--model", "missing"]);
    const failed = await h.run("Say hello");
    expect(failed.state).toBe("failed");
    expect(failed.error?.message).toMatch(/v1\/chat\/completions answered 404 Not Found: .*model 'missing' not found/);
  });
});

describe("draining on SIGTERM", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.start();
  });
  afterEach(async () => {
    await h.close();
  });

  it("finishes the request in flight, reports it, and exits 0", async () => {
    const worker = await h.worker(["--exec", `${PYTHON} ${GATED_MODEL}`]);
    const gate = join(h.dir, "gate");
    const inFlight = await h.submit(`gate:${gate}`);
    await eventually(() => expect(existsSync(`${gate}.pid`)).toBe(true));

    worker.child.kill("SIGTERM");
    await worker.waitForLine(/SIGTERM received: finishing requests in flight for up to 10 s/);
    // Only now may the request finish: it completes after the signal, not before it.
    writeFileSync(gate, "");
    expect(await worker.exited).toBe(0);
    expect(await h.view(inFlight.request_id)).toMatchObject({ state: "completed", attempts: 1, result: { text_output: "through the gate" } });
    expect(worker.lines).toContain("  completed  1");
  });

  it("hands unfinished work back to the queue when --drain-timeout runs out", async () => {
    const worker = await h.worker(["--exec", `${PYTHON} ${GATED_MODEL}`, "--drain-timeout", "0.5"]);
    const gate = join(h.dir, "gate");
    const inFlight = await h.submit(`gate:${gate}`);
    await eventually(() => expect(existsSync(`${gate}.pid`)).toBe(true));
    const pid = Number(readFileSync(`${gate}.pid`, "utf8"));

    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(worker.lines.join("\n")).toMatch(/drain timeout reached/);
    // Nothing is lost: the request waits in the queue for the next worker, and the command stopped.
    await eventually(async () => expect(await h.view(inFlight.request_id)).toMatchObject({ state: "queued" }));
    await eventually(() => expect(isAlive(pid)).toBe(false));
  });

  it("quits at once on a second signal, stopping the commands it started", async () => {
    const worker = await h.worker(["--exec-persistent", `${PYTHON} ${PERSISTENT_MODEL}`, "--verbose"]);
    const held = await h.submit(`hold:${join(h.dir, "never")}`);
    await worker.waitForLine(new RegExp(`holding ${held.request_id}`));
    const pid = Number((await worker.waitForLine(/persistent model ready \(pid (\d+)\)/))[1]);

    worker.child.kill("SIGTERM");
    await worker.waitForLine(/SIGTERM received/);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(130);
    await eventually(() => expect(isAlive(pid)).toBe(false));
  });
});

describe("--json-logs and --config", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.start();
  });
  afterEach(async () => {
    await h.close();
  });

  it("logs one JSON object per line, with the facts as fields", async () => {
    const worker = await h.worker(["--mock", "--min-ms", "0", "--max-ms", "0", "--json-logs"]);
    const done = await h.run("json please");
    expect(done.state).toBe("completed");
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);

    const entries = worker.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) expect(entry).toMatchObject({ time: expect.any(String) as unknown, level: expect.stringMatching(/^(debug|info|warn|error)$/) as unknown, msg: expect.any(String) as unknown });
    const events = entries.map((entry) => entry.event).filter((event) => event !== undefined);
    expect(events).toEqual(["registered", "received", "completed", "draining", "statistics"]);
    expect(entries.find((e) => e.event === "completed")).toMatchObject({ request_id: done.id, ms: expect.any(Number) as unknown });
    expect(entries.find((e) => e.event === "statistics")).toMatchObject({ completed: 1, failed: 0, received: 1 });
  });

  it("reads options from a --config file, under environment variables and flags", async () => {
    const config = join(h.dir, "worker.json");
    writeFileSync(
      config,
      JSON.stringify({ server: h.server.url, token: h.token, space: [h.space.name], capacity: 2, name: "from-file", http: "http://127.0.0.1:9/unused", openai: true }),
    );
    // The flag's mode replaces the file's (with its --openai); the environment beats the file's capacity.
    await h.worker(["--config", config, "--mock", "--min-ms", "0", "--max-ms", "0", "--name", "from-flag"], { WSSPACES_WORKER_CAPACITY: "3" }, false);
    const detail = await h.server.admin.get<SpaceDetail>(`/api/v1/spaces/${h.space.id}`);
    expect(detail.body.worker_list).toMatchObject([{ name: "from-flag", capacity: 3 }]);
    expect(await h.run("configured")).toMatchObject({ state: "completed", result: { model_used: "mock-model-v1" } });
  });
});

describe("option parsing", () => {
  const base = ["--server", "http://127.0.0.1:5001", "--space", "A"];

  it("chooses exactly one mode and checks the settings that go with it", () => {
    expect(parseWorkerArgs([...base, "--http", "http://127.0.0.1:8000", "--openai"], {})).toMatchObject({
      kind: "run",
      config: { mode: { kind: "openai", url: "http://127.0.0.1:8000", model: undefined }, drainTimeoutMs: 10_000, jsonLogs: false },
    });
    expect(parseWorkerArgs([...base, "--exec-persistent", "python serve.py", "--drain-timeout", "2.5"], {})).toMatchObject({
      kind: "run",
      config: { mode: { kind: "exec-persistent", command: "python serve.py" }, drainTimeoutMs: 2500 },
    });
    const usage = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const parsed = parseWorkerArgs([...base, ...argv], env);
      return parsed.kind === "usage_error" ? parsed.message : `not an error: ${JSON.stringify(parsed)}`;
    };
    expect(usage(["--mock", "--exec-persistent", "x"])).toMatch(/choose one mode, not --mock and --exec-persistent/);
    expect(usage(["--mock", "--openai"])).toMatch(/--openai goes with --http URL/);
    expect(usage(["--http", "http://h", "--model", "m"])).toMatch(/--model goes with --http URL --openai/);
    expect(usage(["--http", "http://h:11434/api/generate", "--openai"])).toMatch(/Ollama needs a model/);
    expect(usage(["--http", "ftp://h"])).toMatch(/--http must be an http\(s\) URL/);
    expect(usage(["--mock", "--drain-timeout=-1"])).toMatch(/--drain-timeout must be a number/);
    expect(usage(["--mock"], { WSSPACES_WORKER_JSON_LOGS: "maybe" })).toMatch(/WSSPACES_WORKER_JSON_LOGS must be 1 or 0/);
  });

  it("refuses a config file with an unknown option or a wrong type", () => {
    const dir = mkdtempSync(join(tmpdir(), "wsspaces-config-"));
    try {
      const file = join(dir, "c.json");
      writeFileSync(file, JSON.stringify({ mock: true, capacty: 2 }));
      expect(parseWorkerArgs([...base, "--config", file], {})).toMatchObject({ kind: "usage_error", message: expect.stringMatching(/unknown option "capacty"/) as unknown });
      writeFileSync(file, JSON.stringify({ mock: "yes" }));
      expect(parseWorkerArgs([...base, "--config", file], {})).toMatchObject({ kind: "usage_error", message: expect.stringMatching(/"mock" must be true or false/) as unknown });
      writeFileSync(file, "{not json");
      expect(parseWorkerArgs([...base, "--config", file], {})).toMatchObject({ kind: "usage_error", message: expect.stringMatching(/is not valid JSON/) as unknown });
      // WSSPACES_WORKER_CONFIG names the file when --config is not given.
      writeFileSync(file, JSON.stringify({ "exec-persistent": "python serve.py", "json-logs": true }));
      expect(parseWorkerArgs(base, { WSSPACES_WORKER_CONFIG: file })).toMatchObject({ kind: "run", config: { mode: { kind: "exec-persistent" }, jsonLogs: true } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("terminal status line", () => {
  it("keeps one live line under the log lines and cuts it to the terminal's width", () => {
    let screen = "";
    const terminal = { columns: 40, write: (text: string) => (screen += text) };
    const status = new StatusLine(terminal);
    status.show(formatStatus({ state: "connected", spaces: ["Demo"], inFlight: 1, capacity: 4, completed: 12, failed: 1, perMinute: 3 }));
    expect(screen).toBe("\r\u001b[2K● connected · Demo · in flight 1/4 · d…");
    screen = "";
    status.write("a log line\n");
    // Cleared, the log line printed, the status drawn again beneath it.
    expect(screen).toBe("\r\u001b[2Ka log line\n● connected · Demo · in flight 1/4 · d…");
    screen = "";
    status.clear();
    status.write("after\n");
    expect(screen).toBe("\r\u001b[2K\r\u001b[2Kafter\n");
  });

  it("computes the rate over the last minute, or over the uptime before that", () => {
    let now = 0;
    const meter = new RateMeter(60_000, () => now);
    now = 10_000;
    meter.record();
    meter.record();
    expect(meter.perMinute()).toBe(12);
    now = 70_001;
    meter.record();
    expect(meter.perMinute()).toBe(1);
  });

  it("draws the status line when stdout is a terminal", async () => {
    const h = await Harness.start();
    try {
      // `script` gives the worker a pseudo-terminal, as a person running it would have.
      const args = ["worker", "--server", h.server.url, "--token", h.token, "--space", h.space.name, "--mock", "--min-ms", "0", "--max-ms", "0"];
      const quoted = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
      const proc = spawnProcess("script", ["-qfec", `stty cols 200; exec ${quoted}`, "/dev/null"], { NO_COLOR: "1" });
      h.procs.push(proc);
      await eventually(async () => expect((await h.server.admin.get(`/api/v1/spaces/${h.space.id}`)).body).toMatchObject({ workers: 1 }), { timeoutMs: 15_000 });
      expect(await h.run("on a terminal")).toMatchObject({ state: "completed" });
      // The next log line pushes the updated status out where it can be read.
      expect(await h.run("again")).toMatchObject({ state: "completed" });
      await proc.waitForLine(new RegExp(`● connected · ${h.space.name} · in flight 0/1 · done 1 · failed 0 · \\d+\\.\\d/min`));
    } finally {
      await h.close();
    }
  });
});
