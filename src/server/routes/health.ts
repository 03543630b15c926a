// Liveness, readiness (the store can take a write) and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { EventStore } from '../../store/types.ts';
import { LoggedStore } from '../../log/logged-store.ts';
import type { Metrics } from '../metrics.ts';
import type { ReadAccess } from '../auth/read-access.ts';
import type { LockWatcher } from '../../locks/watcher.ts';

/** /healthz and /readyz: on every listener, so that probes can use either. */
export function registerHealthRoutes(app: FastifyInstance, store: EventStore, locks?: LockWatcher): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await store.ping();
      // Reported, not required: while the Lock watch fails, capture goes on and the last known Locks apply; while
      // the store is down or behind, captures are durable in the commit log.
      return { status: 'ready', ...(store instanceof LoggedStore ? { log: store.health() } : {}), ...(locks ? { locks: locks.health() } : {}) };
    } catch (error) {
      const reason = (error as Error).message;
      request.log.warn({ reason }, 'not ready: the store cannot take a write');
      return reply.code(503).send({ status: 'not ready', error: `store cannot take a write: ${reason}` });
    }
  });
}

export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, access: ReadAccess): void {
  // Under --auth kubernetes: `get` on the non-resource URL /metrics, as for Kubernetes' own components.
  app.get('/metrics', async (request, reply) => {
    await access.checkNonResource(request, '/metrics');
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
