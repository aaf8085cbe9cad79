// A worker process for the fault-injection suite: the SDK with the mock model, printing one
// JSON line per delivery outcome so the suite can count results the server accepted.
import { Worker, createMockHandler } from "@wsspaces/worker";

const [server, token, space, capacity = "4"] = process.argv.slice(2);
const worker = new Worker({
  server,
  token,
  spaces: [space],
  capacity: Number(capacity),
  name: `fault-${process.pid}`,
  reconnectDelayMs: 100,
  reconnectDelayMaxMs: 1000,
  transports: ["websocket"],
});
worker.handle(createMockHandler({ minMs: 0, maxMs: 30 }));
worker.on("delivered", (requestId, outcome) => {
  process.stdout.write(`${JSON.stringify({ delivered: requestId, outcome })}\n`);
});
worker.on("registered", (r) => process.stdout.write(`${JSON.stringify({ registered: r.connection_id })}\n`));
worker.on("error", () => undefined);
await worker.start().catch((err) => {
  process.stdout.write(`${JSON.stringify({ start_failed: String(err) })}\n`);
  process.exit(1);
});
process.on("SIGTERM", () => void worker.stop({ drainTimeoutMs: 1000 }).then(() => process.exit(0)));
