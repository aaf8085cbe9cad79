import { join } from "node:path";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import fastifyCookie from "@fastify/cookie";
import fastifyFormbody from "@fastify/formbody";
import fastifyMultipart from "@fastify/multipart";
import type { Logger } from "pino";
import { Server as SocketServer } from "socket.io";
import type { Kysely } from "kysely";
import type { ServerToWorkerEvents, WorkerToServerEvents } from "@wsspaces/protocol";
import { LIVE_NAMESPACE } from "@wsspaces/protocol";
import { registerAdminRoutes } from "./admin/admin-routes.js";
import { AdminService } from "./admin/admin-service.js";
import { Cluster } from "./cluster/cluster.js";
import { sharedSecret } from "./db/settings.js";
import { FileRecords } from "./files/file-records.js";
import { registerFileRoutes } from "./files/file-routes.js";
import { FileService } from "./files/file-service.js";
import { DiskFileStore } from "./files/file-store.js";
import { FileUrlSigner } from "./files/signed-urls.js";
import { NodeLeases } from "./cluster/node-lease.js";
import { EtaEstimator } from "./live/eta-estimator.js";
import { attachLiveGateway, type LiveNamespace, type LiveStats } from "./live/live-gateway.js";
import { RequestFeeds } from "./live/request-feeds.js";
import { RunHistory } from "./live/run-history.js";
import { registerSseRoutes } from "./live/sse-routes.js";
import { Metrics } from "./ops/metrics.js";
import { registerMetricsRoutes } from "./ops/metrics-routes.js";
import { createLogger } from "./ops/logger.js";
import { RetentionSweeper } from "./ops/retention.js";
import { ApiKeyStore } from "./auth/api-key-store.js";
import { installAuthHook } from "./auth/auth-hook.js";
import { registerAuthRoutes } from "./auth/auth-routes.js";
import { LoginLimiter } from "./auth/login-limiter.js";
import { AuthService } from "./auth/auth-service.js";
import { SessionStore } from "./auth/session-store.js";
import { UserStore } from "./auth/user-store.js";
import { sqlitePath, type ServerConfig } from "./config.js";
import { openDatabase, type OpenedDatabase } from "./db/dialect.js";
import { migrateOrThrow } from "./db/migrate.js";
import type { Database } from "./db/schema.js";
import { frameworkErrorAnswer, installErrorHandler } from "./http/error-handler.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { registerHealthRoutes } from "./http/health-routes.js";
import { registerOpenApiRoutes } from "./ops/openapi-routes.js";
import { DeadlineTimer } from "./requests/deadline-timer.js";
import { Dispatcher } from "./requests/dispatcher.js";
import { RequestEvents } from "./requests/request-events.js";
import { registerRequestRoutes } from "./requests/request-routes.js";
import { RequestService } from "./requests/request-service.js";
import { RequestStore } from "./requests/request-store.js";
import { SubmitLimiter } from "./requests/submit-limiter.js";
import { registerSeedRoutes } from "./requests/seed-routes.js";
import { registerSpaceRoutes } from "./spaces/space-routes.js";
import { SpaceService } from "./spaces/space-service.js";
import { SpaceStore } from "./spaces/space-store.js";
import { WorkerTokenStore } from "./spaces/worker-token-store.js";
import { systemClock, type Clock } from "./util/time.js";
import { attachWorkerGateway, type GatewayStats, type WorkerNamespace } from "./workers/worker-gateway.js";
import { WorkerRegistry } from "./workers/worker-registry.js";
import { WorkerService } from "./workers/worker-service.js";
import { WorkerSessionStore } from "./workers/worker-session-store.js";
import { registerWebRoutes } from "./web/web-routes.js";
import { WebhookUrlPolicy } from "./webhooks/url-policy.js";
import { WebhookDeliverer } from "./webhooks/webhook-deliverer.js";
import { registerWebhookRoutes } from "./webhooks/webhook-routes.js";
import { WebhookStore } from "./webhooks/webhook-store.js";

export interface BuildOptions {
  logger?: Logger;
  clock?: Clock;
  /** Use this database instead of opening one from the config (tests). */
  database?: OpenedDatabase;
}

export interface WsSpacesApp {
  http: FastifyInstance;
  io: SocketServer;
  db: Kysely<Database>;
  config: ServerConfig;
  log: Logger;
  auth: AuthService;
  spaces: SpaceService;
  requests: RequestService;
  workers: WorkerService;
  registry: WorkerRegistry;
  events: RequestEvents;
  gatewayStats: GatewayStats;
  feeds: RequestFeeds;
  liveStats: LiveStats;
  retention: RetentionSweeper;
  /** Listens on config.host:config.port (0 = any free port) and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Streamed text kept per request for its final result (characters). */
const MAX_STREAMED_TEXT_CHARS = 4 * 1024 * 1024;
/** Queue changes within this window give readers one position update. */
const POSITION_DEBOUNCE_MS = 100;
/** An SSE reader this far behind is cut off and resumes from its last event id. */
const SSE_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** On close, open connections get this long to finish before they are cut. */
const CLOSE_GRACE_MS = 500;

/** Builds the whole server without listening: storage, domain services, HTTP and sockets. */
export async function buildApp(config: ServerConfig, options: BuildOptions = {}): Promise<WsSpacesApp> {
  const log = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  const opened = options.database ?? openDatabase(config.databaseUrl ? { postgresUrl: config.databaseUrl } : { sqlitePath: sqlitePath(config) });
  const { db, caps } = opened;
  if (config.cluster && !opened.pool) throw new Error("--cluster needs PostgreSQL: set --database-url postgres://…");
  const applied = await migrateOrThrow(db, caps);
  if (applied.length > 0) log.info({ applied, database: caps.label }, "migrations applied");

  // ---- domain ------------------------------------------------------------------------------
  const events = new RequestEvents();
  const registry = new WorkerRegistry();
  const requestStore = new RequestStore(db);
  const spaceStore = new SpaceStore(db);
  const tokenStore = new WorkerTokenStore(db);
  const sessionStore = new WorkerSessionStore(db);
  const userStore = new UserStore(db);
  const auth = new AuthService({
    users: userStore,
    sessions: new SessionStore(db),
    apiKeys: new ApiKeyStore(db),
    clock,
    sessionTtlMs: config.sessionTtlMs,
    registration: config.registration,
  });
  const fileStore = new DiskFileStore(join(config.dataDir, "files"), config.nodeId);
  await fileStore.clearTemporary();
  const files = new FileService({
    records: new FileRecords(db),
    store: fileStore,
    signer: new FileUrlSigner(await sharedSecret(db, "file_url_key")),
    clock,
    log,
    maxOutputBytes: config.maxOutputFileBytes,
    countOutputFile: (requestId) => requestStore.countOutputFile(requestId),
  });
  const history = new RunHistory((spaceId, limit) => requestStore.recentRunTimes(spaceId, limit));
  const eta = new EtaEstimator(history, registry, clock);
  const feeds = new RequestFeeds({
    events,
    store: requestStore,
    eta,
    history,
    log,
    limits: { maxEvents: config.liveBufferEvents, maxTextChars: MAX_STREAMED_TEXT_CHARS },
    retainMs: config.liveRetainMs,
    positionDebounceMs: POSITION_DEBOUNCE_MS,
    filesOf: (row) => files.viewsOf(row),
  });
  const dispatcher = new Dispatcher({ store: requestStore, spaces: spaceStore, registry, events, clock, log, inputFiles: (row) => files.forWorker(row) });
  const webhookStore = new WebhookStore(db);
  const webhookPolicy = new WebhookUrlPolicy(config.webhookAllowPrivate);
  const requests = new RequestService({
    vetWebhookUrl: (url) => webhookPolicy.vet(url),
    store: requestStore,
    registry,
    dispatcher,
    events,
    clock,
    log,
    maxAttempts: config.maxAttempts,
    userQueueLimit: config.userQueueLimit,
    submitLimiter: new SubmitLimiter(config.submitsPerMinute, () => clock.now()),
    eta,
    streamedText: (id) => feeds.streamedText(id),
    // The timer is created just below; it exists before any request can be submitted.
    onDeadline: (at) => deadlines.notify(at),
    files,
  });
  const deadlines = new DeadlineTimer({ expireDue: () => requests.expireDue(), earliestDeadline: () => requestStore.earliestDeadline(), clock, log });
  const workers = new WorkerService({
    spaces: spaceStore,
    sessions: sessionStore,
    requestStore,
    registry,
    dispatcher,
    requests,
    events,
    clock,
    log,
    nodeId: config.nodeId,
    resumeGraceMs: config.resumeGraceMs,
    ...(config.cluster ? { mayAdopt: async (session) => !(await leases.isAlive(session.node_id, clock.now() - config.nodeLeaseMs)) } : {}),
  });
  const spaces = new SpaceService({
    spaces: spaceStore,
    tokens: tokenStore,
    requests: requestStore,
    registry,
    clock,
    disconnectWorkers: (filter, reason) => {
      workers.disconnectWhere(filter, reason);
      cluster?.disconnectEverywhere(filter, reason);
    },
    cancelPending: (spaceId) => requests.cancelAllInSpace(spaceId),
    onChange: (spaceId) => {
      events.spaceChanged(spaceId);
      // A pause lifted or a cap raised may free queued work.
      void dispatcher.pump(spaceId);
    },
    onCatalogueChange: () => events.catalogueChanged(),
  });

  // The gateways are attached below, after HTTP; metrics read their counters only when scraped.
  const metrics = new Metrics({
    events,
    store: requestStore,
    registry,
    workerGateway: () => gatewayStats,
    liveGateway: () => live.stats,
  });

  const admin = new AdminService({
    users: userStore,
    spaces: spaceStore,
    requests,
    requestStore,
    registry,
    clock,
    onWorkerChange: (w) => w.spaceIds.forEach((id) => events.spaceChanged(id)),
  });
  const leases = new NodeLeases(db);

  // ---- HTTP --------------------------------------------------------------------------------
  const http = Fastify({
    // Typed as Fastify's logger so that route modules take a plain FastifyInstance; the rule
    // below sees pino's Logger as assignable, but Fastify's generics do not.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: () => `req-${Math.random().toString(36).slice(2, 10)}`,
    frameworkErrors: frameworkErrorAnswer,
  });
  await registerSecurityHeaders(http, { https: config.trustProxy });
  await http.register(fastifyCookie);
  await http.register(fastifyFormbody);
  // Multipart bodies are read part by part by the routes that take them (files are streamed).
  await http.register(fastifyMultipart, { limits: { fields: 20, fieldSize: 64 * 1024 } });
  installErrorHandler(http, (code) => metrics.httpError(code));
  installAuthHook(http, auth);
  registerHealthRoutes(http, db, caps);
  registerOpenApiRoutes(http);
  registerMetricsRoutes(http, metrics, config.metricsToken);
  registerAuthRoutes(http, auth, {
    secureCookies: config.trustProxy,
    sessionTtlMs: config.sessionTtlMs,
    loginLimiter: new LoginLimiter(config.loginMaxFailures, config.loginWindowMs, () => clock.now()),
  });
  registerSpaceRoutes(http, spaces);
  registerRequestRoutes(http, requests, spaces, files);
  registerSeedRoutes(http, requests, spaces, files);
  registerFileRoutes(http, files, { requests: requestStore, sessions: sessionStore, tokens: tokenStore, clock });
  const sse = registerSseRoutes(http, requests, feeds, { heartbeatMs: config.sseHeartbeatMs, maxBufferedBytes: SSE_MAX_BUFFERED_BYTES, maxStreamsPerUser: config.sseStreamsPerUser });
  registerWebhookRoutes(http, requests, webhookStore);
  registerAdminRoutes(http, admin);
  await registerWebRoutes(http, config.webDir);

  // ---- sockets -----------------------------------------------------------------------------
  const io = new SocketServer<WorkerToServerEvents, ServerToWorkerEvents>(http.server, {
    maxHttpBufferSize: config.maxSocketMessageBytes,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    serveClient: false,
    // Workers are programs, not pages: no cross-origin browser access to the worker namespace.
    cors: undefined,
  });
  // Multi-node: the adapter goes in before the namespaces get their handlers.
  const cluster =
    config.cluster && opened.pool
      ? new Cluster({
          io: io,
          pool: opened.pool,
          databaseUrl: config.databaseUrl ?? "",
          nodeId: config.nodeId,
          leases,
          events,
          registry,
          workers,
          requests,
          dispatcher,
          localWorkers: () => admin.localWorkers(),
          onDeadline: (at) => deadlines.notify(at),
          clock,
          log,
          leaseMs: config.nodeLeaseMs,
        })
      : undefined;
  const gatewayStats = attachWorkerGateway(io.of("/") as WorkerNamespace, {
    workers,
    requests,
    tokens: tokenStore,
    clock,
    log,
    eventsPerSecond: config.workerEventsPerSecond,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    // Half a message: the rest of the result and Socket.IO's framing need room too.
    maxInlineFileBytes: Math.floor(config.maxSocketMessageBytes / 2),
  });

  const live = attachLiveGateway(io.of(LIVE_NAMESPACE) as unknown as LiveNamespace, {
    auth,
    spaces,
    requests,
    feeds,
    events,
    log,
    statusIntervalMs: config.spaceStatusIntervalMs,
  });

  // ---- recovery: whatever the previous run left in flight goes back to the queue -------------
  if (cluster) {
    // Other nodes' work is theirs: what dead nodes left is swept up by lease expiry instead.
    await cluster.start();
  } else {
    const resumable = await workers.restoreFromDatabase();
    await sessionStore.closeAllOpen(clock.now());
    const recovered = await requests.recover(resumable);
    if (recovered.requeued + recovered.failed > 0) log.info(recovered, "recovered requests from the previous run");
  }
  const webhooks = new WebhookDeliverer({
    events,
    requests: requestStore,
    store: webhookStore,
    policy: webhookPolicy,
    clock,
    log,
    options: {
      maxAttempts: config.webhookMaxAttempts,
      retryBaseMs: config.webhookRetryBaseMs,
      giveUpAfterMs: config.webhookGiveUpMs,
      timeoutMs: config.webhookTimeoutMs,
    },
    filesOf: (row) => files.viewsOf(row),
  });
  const resumedWebhooks = await webhooks.resume();
  if (resumedWebhooks > 0) log.info({ webhooks: resumedWebhooks }, "resumed webhook deliveries from the previous run");
  await deadlines.start();
  const retention = new RetentionSweeper({
    db,
    clock,
    log,
    retentionDays: config.retentionDays,
    fileRetentionDays: config.fileRetentionDays,
    sweepFiles: (before) => files.sweep(before),
  });
  retention.start();

  let closing: Promise<void> | undefined;
  return {
    http,
    io,
    db,
    config,
    log,
    auth,
    spaces,
    requests,
    workers,
    registry,
    events,
    gatewayStats,
    feeds,
    liveStats: live.stats,
    retention,
    async listen() {
      await http.listen({ host: config.host, port: config.port });
      const address = http.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
    },
    close() {
      closing ??= (async () => {
        await deadlines.stop();
        await cluster?.close();
        await retention.stop();
        await webhooks.close();
        live.close();
        feeds.close();
        sse.closeAll();
        workers.close();
        // Only this node's sockets: with the multi-node adapter a plain call reaches every node.
        io.local.disconnectSockets(true);
        io.of(LIVE_NAMESPACE).local.disconnectSockets(true);
        await workers.idle();
        // Connections still open after a short grace (a peer slow to finish its WebSocket
        // close handshake, a keep-alive socket mid-request) are cut rather than waited for.
        const cut = setTimeout(() => http.server.closeAllConnections(), CLOSE_GRACE_MS);
        await io.close().catch(() => undefined);
        await http.close();
        clearTimeout(cut);
        await dispatcher.stop();
        await db.destroy();
      })();
      return closing;
    },
  };
}
