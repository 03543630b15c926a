import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from '../../src/server/app.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { ResourceKinds } from '../../src/capture/kinds.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import type { EventStore } from '../../src/store/types.ts';

function app(store: EventStore, resourceKinds?: ResourceKinds) {
  return buildApp({
    store, metrics: createMetrics({ defaultMetrics: false }), logger: pino({ level: 'silent' }), maxBodyBytes: 1 << 20, commitTimeoutMs: 2000,
    capture: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 3), recordUnchanged: false }, resourceKinds,
  });
}

/** `kubectl scale widget/blue` as the API server sends it: an autoscaling/v1 Scale for widgets/scale. */
function widgetScale() {
  const review = withFreshUid(loadFixture('deployment-scale'));
  const request = review.request as Record<string, unknown>;
  request['resource'] = { group: 'example.com', version: 'v1', resource: 'widgets' };
  request['name'] = 'blue';
  for (const key of ['object', 'oldObject']) (request[key] as { metadata: { name: string } }).metadata.name = 'blue';
  return review;
}

describe('subresource changes after a restart', () => {
  it('are recorded under the parent kind, learned from the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-kinds-'));
    const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
    try {
      const first = app(store);
      assert.equal((await first.inject({ method: 'POST', url: '/capture', payload: loadFixture('custom-resource-create') })).statusCode, 200);
      await first.close();

      const forgetful = app(store);
      await forgetful.inject({ method: 'POST', url: '/capture', payload: widgetScale() });
      await forgetful.close();
      const kinds = new ResourceKinds();
      for (const { group, resource, kind } of await store.resourceKinds()) kinds.learn(group, resource, kind);
      const restarted = app(store, kinds);
      await restarted.inject({ method: 'POST', url: '/capture', payload: widgetScale() });
      await restarted.close();

      const scales = (await store.listEvents({ group: 'example.com', name: 'blue' }, 10)).items.filter((event) => event.subresource === 'scale');
      assert.deepEqual(scales.map((event) => event.kind), ['Widget', 'Scale'], 'newest first: preloaded, then not');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
