// A real app over a real SQLite store in a temp dir, for Fastify inject tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { createMetrics, storeMetricsHooks, type Metrics } from '../../src/server/metrics.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { EventStore } from '../../src/store/types.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import type { ConnectionLimits } from '../../src/config/serve-config.ts';
import type { LockWatcher } from '../../src/locks/watcher.ts';
import type { ReadPoolSettings } from '../../src/read/index.ts';

export const TEST_REDACTION_KEY = Buffer.alloc(32, 9);

export interface TestApp {
  app: FastifyInstance;
  store: EventStore;
  metrics: Metrics;
  dir: string;
  dbPath: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  maxEventsPerObject?: number;
  store?: EventStore;
  maxBodyBytes?: number;
  commitTimeoutMs?: number;
  limits?: ConnectionLimits;
  locks?: LockWatcher;
  reads?: ReadPoolSettings;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-test-'));
  const dbPath = join(dir, 'events.db');
  const metrics = createMetrics({ defaultMetrics: false });
  const store = options.store ?? await SqliteEventStore.open(
    dbPath, { maxEventsPerObject: options.maxEventsPerObject ?? 100, maxAgeMs: 30 * 86_400_000 }, storeMetricsHooks(metrics),
  );
  const app = buildApp({
    store, metrics, logger: pino({ level: 'silent' }), maxBodyBytes: options.maxBodyBytes ?? 3 * 1024 * 1024, commitTimeoutMs: options.commitTimeoutMs ?? 2000,
    limits: options.limits,
    ...(options.reads ? { reads: options.reads } : {}),
    ...(options.locks ? { locks: options.locks } : {}),
    capture: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: TEST_REDACTION_KEY, recordUnchanged: false },
  });
  await app.ready();
  return {
    app, store, metrics, dir, dbPath,
    async close() {
      await app.close();
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postReview(app: FastifyInstance, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return app.inject({ method: 'POST', url: '/capture', headers, payload: typeof body === 'string' ? body : JSON.stringify(body) });
}
