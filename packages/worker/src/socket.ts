import type { ServerToWorkerEvents, WorkerToServerEvents } from "@wsspaces/protocol";
import { io, type Socket } from "socket.io-client";
import type { ResolvedOptions } from "./options.js";

export type WorkerSocket = Socket<ServerToWorkerEvents, WorkerToServerEvents>;

/**
 * socket.io-client reads a URL's path as the namespace, so `http://host/spaces` would ask for
 * namespace "/spaces". The protocol lives in "/", so a path prefix (a reverse proxy mount)
 * becomes the engine path instead, and the query string (e.g. `?token=`) is kept.
 */
export function socketTarget(server: string): { uri: string; path: string } {
  const url = new URL(server);
  const prefix = url.pathname.replace(/\/+$/, "");
  return { uri: `${url.origin}${url.search}`, path: `${prefix}/socket.io` };
}

/** Creates the (not yet connected) socket: connection policy lives here, behaviour in Worker. */
export function createWorkerSocket(options: ResolvedOptions): WorkerSocket {
  const { uri, path } = socketTarget(options.server);
  return io(uri, {
    path,
    autoConnect: false,
    // Each Worker owns its connection, so closing one never closes another's.
    forceNew: true,
    transports: options.transports,
    // Without this a failed WebSocket upgrade never falls back to polling.
    tryAllTransports: true,
    reconnection: true,
    reconnectionDelay: options.reconnectDelayMs,
    reconnectionDelayMax: options.reconnectDelayMaxMs,
    randomizationFactor: 0.5,
    ...(options.token === undefined ? {} : { auth: { token: options.token } }),
  });
}
