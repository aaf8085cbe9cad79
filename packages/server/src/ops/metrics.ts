import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RequestEvents } from "../requests/request-events.js";
import type { RequestStore } from "../requests/request-store.js";
import type { WorkerRegistry } from "../workers/worker-registry.js";

export interface MetricsSources {
  events: RequestEvents;
  store: RequestStore;
  registry: WorkerRegistry;
  /** Counters kept by the socket gateways. */
  workerGateway: () => { invalidEvents: number; floodDisconnects: number };
  liveGateway: () => { sockets: number; rejectedEvents: number };
}

/** Seconds: from a fast relay (tens of ms) to a slow model (tens of minutes). */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * The Prometheus metrics of one server process. Request timings are observed as requests
 * change state; counts, queues and workers are read when scraped, so they are never stale.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpErrors: Counter<"code">;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "wsspaces_" });

    const finished = new Counter({
      name: "wsspaces_requests_finished_total",
      help: "Requests that reached a terminal state, by space and state.",
      labelNames: ["space", "state"],
      registers,
    });
    const submitted = new Counter({ name: "wsspaces_requests_submitted_total", help: "Requests accepted into a queue, by space.", labelNames: ["space"], registers });
    const queueWait = new Histogram({
      name: "wsspaces_queue_wait_seconds",
      help: "Time from submission to (the latest) dispatch.",
      labelNames: ["space"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const runTime = new Histogram({
      name: "wsspaces_run_seconds",
      help: "Time from dispatch to a worker's result (completed or failed).",
      labelNames: ["space"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const endToEnd = new Histogram({
      name: "wsspaces_end_to_end_seconds",
      help: "Time from submission to a terminal state.",
      labelNames: ["space", "state"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.httpErrors = new Counter({
      name: "wsspaces_http_errors_total",
      help: "HTTP error answers by error code (rate_limited and queue_full count refusals).",
      labelNames: ["code"],
      registers,
    });

    this.scrapedGauges(sources, registers);

    sources.events.on("request", (event) => {
      // Each node counts what it did itself; other nodes' events are theirs to count.
      if (event.type !== "state" || event.remote) return;
      const row = event.row;
      // Never dispatched yet: a new submission, not a request coming back to the queue.
      if (event.state === "queued" && row.dispatched_at === null) submitted.inc({ space: row.space_id });
      if (event.state === "dispatched" && row.dispatched_at !== null) {
        queueWait.observe({ space: row.space_id }, Math.max(0, row.dispatched_at - row.created_at) / 1000);
      }
      if (row.finished_at === null) return;
      finished.inc({ space: row.space_id, state: event.state });
      endToEnd.observe({ space: row.space_id, state: event.state }, (row.finished_at - row.created_at) / 1000);
      const began = row.started_at ?? row.dispatched_at;
      if ((event.state === "completed" || event.state === "failed") && began !== null) {
        runTime.observe({ space: row.space_id }, Math.max(0, row.finished_at - began) / 1000);
      }
    });
  }

  /** Figures read at scrape time: the database's queues, the registry's workers, socket counts. */
  private scrapedGauges(sources: MetricsSources, registers: Registry[]): void {
    new Gauge({
      name: "wsspaces_requests_active",
      help: "Requests not yet finished, by space and state (queued, dispatched, running).",
      labelNames: ["space", "state"],
      registers,
      async collect() {
        this.reset();
        for (const row of await sources.store.activeCounts()) this.set({ space: row.space_id, state: row.state }, row.count);
      },
    });
    new Gauge({
      name: "wsspaces_queue_oldest_seconds",
      help: "Age of the oldest queued request, by space.",
      labelNames: ["space"],
      registers,
      async collect() {
        this.reset();
        const now = Date.now();
        for (const row of await sources.store.activeCounts()) {
          if (row.state === "queued") this.set({ space: row.space_id }, Math.max(0, now - row.oldest_created_at) / 1000);
        }
      },
    });
    const perSpace = (name: string, help: string, value: (w: { capacity: number; inFlight: Map<string, string> }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["space"],
        registers,
        collect() {
          this.reset();
          const totals = new Map<string, number>();
          for (const worker of sources.registry.all()) {
            if (worker.suspended) continue;
            for (const space of worker.spaceIds) totals.set(space, (totals.get(space) ?? 0) + value(worker));
          }
          for (const [space, total] of totals) this.set({ space }, total);
        },
      });
    perSpace("wsspaces_workers_connected", "Connected workers, by space.", () => 1);
    perSpace("wsspaces_worker_capacity", "Request slots of connected workers, by space.", (w) => w.capacity);
    perSpace("wsspaces_worker_in_flight", "Requests held by connected workers, by space.", (w) => w.inFlight.size);
    new Gauge({
      name: "wsspaces_browser_sockets",
      help: "Open /live sockets (browsers and API clients).",
      registers,
      collect() {
        this.set(sources.liveGateway().sockets);
      },
    });
    new Counter({
      name: "wsspaces_rejected_events_total",
      help: "Socket events refused as malformed, by namespace.",
      labelNames: ["namespace"],
      registers,
      collect() {
        this.reset();
        this.inc({ namespace: "worker" }, sources.workerGateway().invalidEvents);
        this.inc({ namespace: "live" }, sources.liveGateway().rejectedEvents);
      },
    });
    new Counter({
      name: "wsspaces_worker_flood_disconnects_total",
      help: "Worker connections closed for sending more events per second than allowed.",
      registers,
      collect() {
        this.reset();
        this.inc(sources.workerGateway().floodDisconnects);
      },
    });
  }

  /** Counts an error answer; the error handler calls this. */
  httpError(code: string): void {
    this.httpErrors.inc({ code });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
