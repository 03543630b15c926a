// buildApp(config) returns the Fastify app with every route, or one group of them (the webhooks on their own
// listener, everything else on the main one); a separate entry point (cli serve) listens.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SecureContextOptions } from 'node:tls';
import { createCapturePipeline } from '../capture/pipeline.ts';
import type { CaptureSettings } from '../capture/record.ts';
import type { ResourceKinds } from '../capture/kinds.ts';
import type { RuleSet } from '../rules/rule-set.ts';
import type { EventStore } from '../store/types.ts';
import { installErrorHandler, SCHEMA_VALIDATION } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { openReads, type ReadPoolSettings } from '../read/index.ts';
import { apiRoutes } from './routes/api.ts';
import { registerCaptureRoute } from './routes/capture.ts';
import type { CaptureCallerPolicy } from './webhook-callers.ts';
import type { CaptureProvenance } from '../capture/pipeline.ts';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIVE_STREAM_LIMITS, type ConnectionLimits, type LiveStreamLimits } from '../config/serve-config.ts';
import { registerHealthRoutes, registerMetricsRoute } from './routes/health.ts';
import { LOCK_CHECK_PATH, registerLockCheckRoute } from './routes/lock-check.ts';
import { HttpError } from './errors.ts';
import { trackSockets } from './shutdown.ts';
import { aggregatedRoutes } from './routes/aggregated.ts';
import { liveRoutes } from './routes/live.ts';
import { uiDataRoutes } from './routes/ui-data.ts';
import { uiRoutes } from './routes/ui.ts';
import { OPEN_READ_ACCESS, type ReadAccess } from './auth/read-access.ts';
import type { LockWatcher } from '../locks/watcher.ts';

export interface AppConfig {
  store: EventStore;
  metrics: Metrics;
  logger: Logger;
  capture: CaptureSettings;
  maxBodyBytes: number;
  commitTimeoutMs: number;
  /** Resource → kind for subresource requests (kubectl scale); see capture/kinds.ts. */
  resourceKinds?: ResourceKinds;
  /** Capture rules; every change is recorded without them. */
  rules?: RuleSet;
  /** Who may read; open (auth none) when absent. */
  readAccess?: ReadAccess;
  /** Marks events pending and tells the watcher once they are durable (serve --provenance). */
  provenance?: CaptureProvenance;
  /** Enforces Locks when given (serve --locks). */
  locks?: LockWatcher;
  /** HTTPS key and certificate; without them the app serves plain HTTP (tests). */
  tls?: SecureContextOptions;
  /** Who may call /capture; anyone when absent (then the server logs a warning). */
  captureCallers?: CaptureCallerPolicy | null;
  /** Timeouts and connection caps; defaults in DEFAULT_CONNECTION_LIMITS. */
  limits?: ConnectionLimits;
  /** Caps on live-update streams; defaults in DEFAULT_LIVE_STREAM_LIMITS. */
  liveStreams?: LiveStreamLimits;
  /** Which routes this app serves (default all); see RouteGroups. */
  routes?: RouteGroups;
  /** Reader threads and the read deadline; defaults in DEFAULT_READ_POOL. */
  reads?: ReadPoolSettings;
}

/**
 * `all`: one listener serves everything. With --capture-listen there are two apps over the same store, metrics
 * and Locks: `webhooks` (POST /capture, POST /locks/check, /healthz, /readyz: the capture pipeline, no reads)
 * and `reads` (everything else: the reads, no pipeline), which refuses the webhooks. So dashboard and API
 * clients never take the connections the API server's webhook calls need, and each part is made once.
 */
export type RouteGroups = 'all' | 'webhooks' | 'reads';

const WEBHOOK_PATHS = ['/capture', LOCK_CHECK_PATH];

/** On the main listener when the webhooks have their own: refused before the body is read. */
function refuseWebhooks(app: FastifyInstance): void {
  const refuse = async (request: { method: string; url: string }) => {
    throw new HttpError(404, `${request.method} ${request.url.split('?')[0]!} is served on the capture listener (--capture-listen), not on this port`);
  };
  for (const url of WEBHOOK_PATHS) app.route({ method: 'POST', url, onRequest: refuse, handler: refuse });
}

/** How often Node checks request and header timeouts: often enough that a stalled client goes soon after its deadline. */
function checkingInterval(limits: ConnectionLimits): number {
  return Math.min(5000, Math.max(50, Math.floor(Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs) / 4)));
}

export function buildApp(config: AppConfig): FastifyInstance {
  const limits = config.limits ?? DEFAULT_CONNECTION_LIMITS;
  const routes = config.routes ?? 'all';
  const serverOptions = { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: checkingInterval(limits) };
  const options = {
    loggerInstance: config.logger,
    // One log line per request would cost more than the capture itself; errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    // While closing, requests that arrive on open connections are still answered (with Connection: close): a
    // webhook call answered 503 would be a change unrecorded. shutdown.ts bounds how long that lasts.
    return503OnClosing: false,
    ajv: { customOptions: SCHEMA_VALIDATION },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    // A socket that never finishes its TLS handshake is cut at the headers timeout, not Node's 120 s: until then
    // it counts against the connection cap, and the HTTP timeouts only start after the handshake.
    ...(config.tls ? { https: { ...config.tls, ...serverOptions, handshakeTimeout: limits.headersTimeoutMs } } : { http: serverOptions }),
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;
  const listener = routes === 'webhooks' ? 'capture' : 'main';
  app.server.on('drop', () => config.metrics.connectionsRefused.inc({ listener }));
  trackSockets(app.server);
  installErrorHandler(app);
  if (routes === 'reads') refuseWebhooks(app);
  else {
    const pipeline = createCapturePipeline({
      store: config.store, metrics: config.metrics, settings: config.capture, commitTimeoutMs: config.commitTimeoutMs,
      kinds: config.resourceKinds, rules: config.rules,
      ...(config.locks ? { checkLocks: config.locks.check.bind(config.locks) } : {}),
      ...(config.provenance ? { provenance: config.provenance } : {}),
    });
    registerCaptureRoute(app, pipeline, config.metrics, config.captureCallers ?? null);
    registerLockCheckRoute(app, config.locks, config.metrics, config.captureCallers ?? null);
  }
  registerHealthRoutes(app, config.store, config.locks);
  if (routes === 'webhooks') return app;
  const access = config.readAccess ?? OPEN_READ_ACCESS;
  // Reads run beside captures, never in their way (a reader thread for the SQLite store).
  const reads = openReads(config.store, config.reads);
  app.addHook('onClose', () => reads.close());
  void app.register(apiRoutes, { reads, access });
  void app.register(aggregatedRoutes, { reads, access });
  // The dashboard (/ui/) and what it reads beyond /api/v1: the same reads and access checks.
  void app.register(uiDataRoutes, { reads, access });
  void app.register(liveRoutes, { reads, access, metrics: config.metrics, limits: config.liveStreams ?? DEFAULT_LIVE_STREAM_LIMITS });
  void app.register(uiRoutes);
  registerMetricsRoute(app, config.metrics, access);
  return app;
}
