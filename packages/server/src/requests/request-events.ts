import { EventEmitter } from "node:events";
import type { RequestState } from "@wsspaces/protocol";
import { isTerminalState } from "@wsspaces/protocol";
import type { RequestRow } from "./request-store.js";

export type RequestEvent = (
  /** `row` is the request as written by the transition. */
  | { type: "state"; requestId: string; spaceId: string; state: RequestState; row: RequestRow }
  | { type: "progress"; requestId: string; spaceId: string; progress: number | null; message: string | null }
  /** `seq` is the worker's own numbering (if it sends one), used to drop repeats. */
  | { type: "stream"; requestId: string; spaceId: string; chunk: unknown; seq: number | null }
) & {
  /** Set on events another server node published (multi-node): its side effects happened there. */
  remote?: true;
};

/** Where this node's events go to reach the other nodes (multi-node), if anywhere. */
export interface EventForwarder {
  request(event: RequestEvent): void;
  space(spaceId: string): void;
  catalogue(): void;
}

interface BusEvents {
  request: [RequestEvent];
  /** Something a space page shows changed: workers, queue. */
  space: [string];
  /** A space was created or deleted. */
  catalogue: [];
}

/**
 * In-process fan-out of request and space changes, published only after the database write.
 * Live browser push and `?wait=` listen here.
 */
export class RequestEvents extends EventEmitter<BusEvents> {
  /** Set in multi-node mode: local events are also sent to the other nodes. */
  forwarder: EventForwarder | undefined;

  constructor() {
    super();
    // Every `?wait=` caller listens for a while; the default cap of 10 is meant for leaks, not this.
    this.setMaxListeners(0);
  }

  publish(event: RequestEvent): void {
    this.emit("request", event);
    if (event.type === "state") this.emit("space", event.spaceId);
    if (!event.remote) this.forwarder?.request(event);
  }

  spaceChanged(spaceId: string, options: { remote?: boolean } = {}): void {
    this.emit("space", spaceId);
    if (!options.remote) this.forwarder?.space(spaceId);
  }

  catalogueChanged(options: { remote?: boolean } = {}): void {
    this.emit("catalogue");
    if (!options.remote) this.forwarder?.catalogue();
  }

  /**
   * Resolves when the request reaches a terminal state or after `timeoutMs`. Subscribes before
   * asking `alreadyTerminal`, so a transition between the two is not missed. Resolves with the
   * row as this node's terminal transition wrote it (a terminal request never changes again),
   * else undefined (timed out, already terminal when asked, or finished on another node).
   */
  async waitForTerminal(requestId: string, timeoutMs: number, alreadyTerminal: () => Promise<boolean>): Promise<RequestRow | undefined> {
    let done = (_row?: RequestRow) => {};
    const finished = new Promise<RequestRow | undefined>((resolve) => {
      const onEvent = (event: RequestEvent) => {
        // Only a local row is taken as is; another node's came through a JSON round trip.
        if (event.requestId === requestId && event.type === "state" && isTerminalState(event.state)) done(event.remote ? undefined : event.row);
      };
      const timer = setTimeout(() => done(), timeoutMs);
      done = (row) => {
        clearTimeout(timer);
        this.off("request", onEvent);
        resolve(row);
      };
      this.on("request", onEvent);
    });
    if (await alreadyTerminal()) done();
    return finished;
  }
}
