// buildApp(config) returns the Fastify app with every route; a separate entry point (cli serve) listens.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SecureContextOptions } from 'node:tls';
import { createCapturePipeline } from '../capture/pipeline.ts';
import type { CaptureSettings } from '../capture/record.ts';
import type { ResourceKinds } from '../capture/kinds.ts';
import type { EventStore } from '../store/types.ts';
import { installErrorHandler } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { registerApiRoutes } from './routes/api.ts';
import { registerCaptureRoute } from './routes/capture.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerAggregatedRoutes } from './routes/aggregated.ts';
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
  /** Who may read; open (auth none) when absent. */
  readAccess?: ReadAccess;
  /** Enforces Locks when given (serve --locks). */
  locks?: LockWatcher;
  /** HTTPS key and certificate; without them the app serves plain HTTP (tests with inject only). */
  tls?: SecureContextOptions;
}

export function buildApp(config: AppConfig): FastifyInstance {
  const options = {
    loggerInstance: config.logger,
    // One log line per request would cost more than the capture itself; errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    return503OnClosing: true,
    keepAliveTimeout: 65_000,
    ...(config.tls ? { https: config.tls } : {}),
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  installErrorHandler(app);
  const pipeline = createCapturePipeline({
    store: config.store, metrics: config.metrics, settings: config.capture, commitTimeoutMs: config.commitTimeoutMs,
    kinds: config.resourceKinds,
    ...(config.locks ? { checkLocks: config.locks.check.bind(config.locks) } : {}),
  });
  registerCaptureRoute(app, pipeline, config.metrics);
  const access = config.readAccess ?? OPEN_READ_ACCESS;
  registerApiRoutes(app, config.store, access);
  registerAggregatedRoutes(app, config.store, access);
  registerHealthRoutes(app, config.store, config.metrics, config.locks);
  return app;
}
