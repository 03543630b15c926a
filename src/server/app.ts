// buildApp(config) returns the Fastify app with every route; a separate entry point (cli serve) listens.
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
import { openReads } from '../read/index.ts';
import { apiRoutes } from './routes/api.ts';
import { registerCaptureRoute } from './routes/capture.ts';
import type { CaptureCallerPolicy } from './webhook-callers.ts';
import type { CaptureProvenance } from '../capture/pipeline.ts';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../config/serve-config.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerLockCheckRoute } from './routes/lock-check.ts';
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
}

/** How often Node checks request and header timeouts: often enough that a stalled client goes soon after its deadline. */
function checkingInterval(limits: ConnectionLimits): number {
  return Math.min(5000, Math.max(50, Math.floor(Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs) / 4)));
}

export function buildApp(config: AppConfig): FastifyInstance {
  const limits = config.limits ?? DEFAULT_CONNECTION_LIMITS;
  const serverOptions = { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: checkingInterval(limits) };
  const options = {
    loggerInstance: config.logger,
    // One log line per request would cost more than the capture itself; errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    return503OnClosing: true,
    ajv: { customOptions: SCHEMA_VALIDATION },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    ...(config.tls ? { https: { ...config.tls, ...serverOptions } } : { http: serverOptions }),
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;
  app.server.on('drop', () => config.metrics.connectionsRefused.inc());
  installErrorHandler(app);
  const pipeline = createCapturePipeline({
    store: config.store, metrics: config.metrics, settings: config.capture, commitTimeoutMs: config.commitTimeoutMs,
    kinds: config.resourceKinds, rules: config.rules,
    ...(config.locks ? { checkLocks: config.locks.check.bind(config.locks) } : {}),
    ...(config.provenance ? { provenance: config.provenance } : {}),
  });
  registerCaptureRoute(app, pipeline, config.metrics, config.captureCallers ?? null);
  registerLockCheckRoute(app, config.locks, config.metrics, config.captureCallers ?? null);
  const access = config.readAccess ?? OPEN_READ_ACCESS;
  // Reads run beside captures, never in their way (a reader thread for the SQLite store).
  const reads = openReads(config.store);
  app.addHook('onClose', () => reads.close());
  void app.register(apiRoutes, { reads, access });
  void app.register(aggregatedRoutes, { reads, access });
  // The dashboard (/ui/) and what it reads beyond /api/v1: the same reads and access checks.
  void app.register(uiDataRoutes, { reads, access });
  void app.register(liveRoutes, { reads, access });
  void app.register(uiRoutes);
  registerHealthRoutes(app, config.store, config.metrics, access, config.locks);
  return app;
}
