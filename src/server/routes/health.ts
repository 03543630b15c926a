// Liveness, readiness (the store answers reads and writes) and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { EventStore } from '../../store/types.ts';
import type { Metrics } from '../metrics.ts';
import type { LockWatcher } from '../../locks/watcher.ts';

export function registerHealthRoutes(app: FastifyInstance, store: EventStore, metrics: Metrics, locks?: LockWatcher): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    try {
      await store.ping();
      // Reported, not required: while the Lock watch fails, capture goes on and the last known Locks apply.
      return { status: 'ready', ...(locks ? { locks: locks.health() } : {}) };
    } catch (error) {
      request.log.warn({ err: { message: (error as Error).message } }, 'not ready: store unreachable');
      return reply.code(503).send({ status: 'not ready', error: `store unreachable: ${(error as Error).message}` });
    }
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
