import { io, type Socket } from "socket.io-client";
import type { CancelRequest, EventAck, InferenceRequest, RegisterResponse } from "@wsspaces/protocol";

/**
 * A worker speaking the protocol by hand with socket.io-client, for tests that need to do what
 * the SDK never would (forge results, hold requests, misbehave).
 */
export class RawWorker {
  readonly requests: InferenceRequest[] = [];
  readonly cancels: CancelRequest[] = [];
  private readonly waiters: ((r: InferenceRequest) => void)[] = [];
  private readonly untaken: InferenceRequest[] = [];

  private constructor(readonly socket: Socket) {
    socket.on("inference_request", (request: InferenceRequest) => {
      this.requests.push(request);
      const waiter = this.waiters.shift();
      if (waiter) waiter(request);
      else this.untaken.push(request);
    });
    socket.on("cancel_request", (cancel: CancelRequest) => this.cancels.push(cancel));
  }

  /** Connects (resolving on connect) or rejects with the server's connect_error. */
  static connect(url: string, options: { token?: string; tokenInQuery?: boolean } = {}): Promise<RawWorker> {
    const socket = io(url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      ...(options.token && !options.tokenInQuery ? { auth: { token: options.token } } : {}),
      ...(options.token && options.tokenInQuery ? { query: { token: options.token } } : {}),
    });
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(new RawWorker(socket)));
      socket.once("connect_error", (err: Error & { data?: unknown }) => {
        socket.close();
        reject(err);
      });
    });
  }

  register(data: unknown): Promise<RegisterResponse> {
    return this.socket.timeout(5000).emitWithAck("register", data) as Promise<RegisterResponse>;
  }

  emit(event: "inference_result" | "accept" | "progress" | "stream", data: unknown): Promise<EventAck> {
    return this.socket.timeout(5000).emitWithAck(event, data) as Promise<EventAck>;
  }

  /** The next inference_request (or one already received and not yet taken). */
  nextRequest(timeoutMs = 10_000): Promise<InferenceRequest> {
    const ready = this.untaken.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no inference_request arrived")), timeoutMs);
      this.waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  complete(requestId: string, result: unknown): Promise<EventAck> {
    return this.emit("inference_result", { request_id: requestId, status: "completed", result });
  }

  /** Resolves when the server closes this connection. */
  disconnected(): Promise<string> {
    if (!this.socket.connected) return Promise.resolve("already disconnected");
    return new Promise((resolve) => this.socket.once("disconnect", (reason) => resolve(reason)));
  }

  close(): void {
    this.socket.close();
  }
}
