import type { Logger } from "pino";
import type { Namespace, Socket } from "socket.io";
import type { z } from "zod";
import type { EventAck, RegisterResponse, ServerToWorkerEvents, WorkerToServerEvents } from "@wsspaces/protocol";
import { AcceptSchema, ERROR_CODES, InferenceResultSchema, ProgressSchema, RegisterSchema, StreamSchema } from "@wsspaces/protocol";
import type { RequestService } from "../requests/request-service.js";
import type { WorkerTokenStore } from "../spaces/worker-token-store.js";
import type { Clock } from "../util/time.js";
import { EventRateLimiter } from "./event-rate-limiter.js";
import { tokenFromHandshake, verifyWorkerToken, type WorkerCredential } from "./worker-auth.js";
import type { WorkerChannel } from "./worker-registry.js";
import type { WorkerService } from "./worker-service.js";

interface WorkerSocketData {
  credential: WorkerCredential | null;
  workerId: string | null;
  /** A register is being handled: a second one at the same time is refused. */
  registering: boolean;
  channel: WorkerChannel | null;
}

export type WorkerNamespace = Namespace<WorkerToServerEvents, ServerToWorkerEvents, Record<string, never>, WorkerSocketData>;
type WorkerSocket = Socket<WorkerToServerEvents, ServerToWorkerEvents, Record<string, never>, WorkerSocketData>;

export interface GatewayDeps {
  workers: WorkerService;
  requests: RequestService;
  tokens: WorkerTokenStore;
  clock: Clock;
  log: Logger;
  eventsPerSecond: number;
  /** Base of file links (https://site.example); unset: the address the worker connected to. */
  publicUrl: string | undefined;
  /** Trust X-Forwarded-Proto/Host for that address (behind a proxy). */
  trustProxy: boolean;
  /** Output files up to this size may travel inline with a result. */
  maxInlineFileBytes: number;
}

/** Counters for the operator; /metrics exposes them later. */
export interface GatewayStats {
  invalidEvents: number;
  floodDisconnects: number;
}

/**
 * Socket.IO handlers of the worker protocol (DESIGN.md §5) on the default namespace. Each
 * handler parses, calls the worker or request service, and acknowledges; nothing else.
 */
export function attachWorkerGateway(nsp: WorkerNamespace, deps: GatewayDeps): GatewayStats {
  const stats: GatewayStats = { invalidEvents: 0, floodDisconnects: 0 };

  nsp.use((socket, next) => {
    const token = tokenFromHandshake(socket);
    socket.data.workerId = null;
    socket.data.credential = null;
    socket.data.registering = false;
    socket.data.channel = null;
    if (token === undefined) return next(); // Only spaces with open registration will accept it.
    verifyWorkerToken(deps.tokens, deps.clock, token).then(
      (credential) => {
        if (!credential) return next(refusedError("invalid_token"));
        socket.data.credential = credential;
        next();
      },
      (err: unknown) => {
        deps.log.error({ err }, "worker token check failed");
        next(refusedError("unavailable"));
      },
    );
  });

  nsp.on("connection", (socket) => {
    const limiter = new EventRateLimiter(deps.eventsPerSecond);
    // Heartbeats (pongs) count as signs of life too, so an idle worker does not look stale.
    socket.conn.on("packet", () => {
      if (socket.data.workerId !== null) deps.workers.touch(socket.data.workerId);
    });
    let flooded = false;
    socket.use((_packet, next) => {
      if (limiter.take()) return next();
      // Events already on their way arrive after the disconnect: counted and logged once.
      if (flooded) return;
      flooded = true;
      stats.floodDisconnects++;
      deps.log.warn({ socketId: socket.id, workerId: socket.data.workerId }, "worker sent too many events; disconnecting");
      socket.disconnect(true);
    });

    socket.on("register", (data, ack) => {
      void handleRegister(socket, data, ack);
    });
    socket.on("inference_result", (data, ack) => {
      void handleEvent(socket, InferenceResultSchema, data, ack, (id, msg) => deps.requests.result(id, msg));
    });
    socket.on("accept", (data, ack) => {
      void handleEvent(socket, AcceptSchema, data, ack, (id, msg) => deps.requests.accept(id, msg));
    });
    socket.on("progress", (data, ack) => {
      void handleEvent(socket, ProgressSchema, data, ack, (id, msg) => deps.requests.progress(id, msg));
    });
    socket.on("stream", (data, ack) => {
      void handleEvent(socket, StreamSchema, data, ack, (id, msg) => Promise.resolve(deps.requests.stream(id, msg)));
    });
    socket.on("disconnect", (reason) => {
      const workerId = socket.data.workerId;
      if (workerId === null || socket.data.channel === null) return;
      deps.workers.disconnected(workerId, reason, socket.data.channel).catch((err: unknown) => deps.log.error({ err, workerId }, "worker cleanup failed"));
    });
  });

  async function handleRegister(socket: WorkerSocket, data: unknown, ack: unknown): Promise<void> {
    const parsed = RegisterSchema.safeParse(data);
    let response: RegisterResponse;
    if (!parsed.success) {
      stats.invalidEvents++;
      response = { success: false as const, code: "invalid_event" as const, message: `Invalid register message: ${summarise(parsed.error)}` };
    } else if (socket.data.workerId !== null || socket.data.registering) {
      response = { success: false as const, code: "invalid_event" as const, message: "This connection is already registered." };
    } else {
      socket.data.registering = true;
      const channel = channelFor(socket, deps.publicUrl ?? addressOf(socket, deps.trustProxy));
      try {
        response = await deps.workers.register(channel, socket.data.credential, parsed.data);
      } catch (err) {
        deps.log.error({ err }, "worker registration failed");
        response = { success: false as const, code: "unavailable" as const, message: ERROR_CODES.unavailable };
      } finally {
        socket.data.registering = false;
      }
      if (response.success) {
        response = { ...response, max_inline_file_bytes: deps.maxInlineFileBytes };
        socket.data.workerId = response.connection_id;
        socket.data.channel = channel;
        if (!socket.connected) {
          // Left while registering: the disconnect handler ran too early to see it.
          await deps.workers.disconnected(response.connection_id, "transport close", channel);
          return;
        }
      }
    }
    socket.emit("register_response", response);
    if (typeof ack === "function") (ack as (r: RegisterResponse) => void)(response);
    // The seed's site closes the connection after a refused registration; so do we, unless this
    // connection is already serving (a second register on a live worker is only refused).
    if (!response.success && socket.data.workerId === null && !socket.data.registering) socket.disconnect(true);
  }

  async function handleEvent<S extends z.ZodType>(
    socket: WorkerSocket,
    schema: S,
    data: unknown,
    ack: unknown,
    run: (workerId: string, msg: z.infer<S>) => Promise<EventAck>,
  ): Promise<void> {
    const reply = (response: EventAck) => {
      if (typeof ack === "function") (ack as (r: EventAck) => void)(response);
      else if (!response.ok && !("duplicate" in response)) deps.log.debug({ socketId: socket.id, error: response.error }, "worker event refused");
    };
    const workerId = socket.data.workerId;
    if (workerId === null) return reply({ ok: false, error: { code: "not_registered", message: ERROR_CODES.not_registered } });
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      stats.invalidEvents++;
      return reply({ ok: false, error: { code: "invalid_event", message: `Invalid event: ${summarise(parsed.error)}` } });
    }
    try {
      reply(await run(workerId, parsed.data));
    } catch (err) {
      deps.log.error({ err, workerId }, "worker event failed");
      reply({ ok: false, error: { code: "unavailable", message: ERROR_CODES.unavailable } });
    }
  }

  return stats;
}

/** The site's address as this worker reached it: file links must work from where it is. */
function addressOf(socket: WorkerSocket, trustProxy: boolean): string {
  const headers = socket.handshake.headers;
  const forwarded = (name: string) => {
    const value = headers[name];
    return trustProxy && typeof value === "string" ? value.split(",")[0]?.trim() : undefined;
  };
  const proto = forwarded("x-forwarded-proto") ?? (socket.handshake.secure ? "https" : "http");
  const host = forwarded("x-forwarded-host") ?? headers.host ?? "127.0.0.1";
  return `${proto === "https" ? "https" : "http"}://${host}`;
}

function channelFor(socket: WorkerSocket, baseUrl: string): WorkerChannel {
  return {
    sendRequest: (request) =>
      socket.emit("inference_request", request.files ? { ...request, files: request.files.map((f) => ({ ...f, url: new URL(f.url, baseUrl).href })) } : request),
    sendCancel: (requestId, reason) => socket.emit("cancel_request", { request_id: requestId, reason }),
    close: () => socket.disconnect(true),
    address: socket.handshake.address || null,
  };
}

/** Socket.IO hands `data` of a middleware error to the client's connect_error. */
function refusedError(code: "invalid_token" | "unavailable"): Error & { data: { code: string; message: string } } {
  const err = new Error(ERROR_CODES[code]) as Error & { data: { code: string; message: string } };
  err.data = { code, message: ERROR_CODES[code] };
  return err;
}

function summarise(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join(".") || "(data)"}: ${i.message}`).join("; ");
}
