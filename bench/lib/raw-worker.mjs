// A zero-delay worker on plain socket.io-client: registers with a worker token (for the token's
// own space) and answers every inference_request at once with inference_result (with an ack, as
// the SDK does). Lighter than the SDK, so it takes less CPU from the server under test.
import { io } from "socket.io-client";

/**
 * Connects and registers. options: capacity (1..64), onRequest(message, socket) to answer
 * yourself (default: answer at once with {echo: prompt}), onResult(ack) after each ack.
 */
export function connectWorker(url, token, { capacity = 64, onRequest, onResult } = {}) {
  const socket = io(url, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true });
  let answered = 0;
  socket.on("inference_request", (message) => {
    if (onRequest) return onRequest(message, socket);
    socket.emit("inference_result", { request_id: message.request_id, status: "completed", result: { echo: message.payload.prompt ?? null } }, (ack) => {
      answered++;
      onResult?.(ack);
    });
  });
  const ready = new Promise((resolve, reject) => {
    socket.once("connect_error", reject);
    socket.once("connect", () => {
      socket.emit("register", { capacity, name: "bench" }, (response) => {
        if (response?.success) resolve(response);
        else reject(new Error(`register refused: ${JSON.stringify(response)}`));
      });
    });
  });
  return { socket, ready, answered: () => answered, close: () => socket.close() };
}
