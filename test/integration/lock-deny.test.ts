// The capture pipeline with a Lock check, over a real SQLite store: a denied attempt is answered with the Lock's
// reason and recorded with the Lock's name; a denied dry run is answered the same way and recorded nowhere.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';
import { createCapturePipeline, type CapturePipeline } from '../../src/capture/pipeline.ts';
import { parseLock, type Lock } from '../../src/locks/lock.ts';
import { checkLocks } from '../../src/locks/match.ts';
import { createMetrics, type Metrics } from '../../src/server/metrics.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';

const log = pino({ level: 'silent' });

function lock(spec: Record<string, unknown>): Lock {
  const parsed = parseLock({ metadata: { name: 'freeze-demo', generation: 1 }, spec });
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.lock;
}

describe('capture with Locks', () => {
  let dir: string;
  let store: SqliteEventStore;
  let metrics: Metrics;
  let pipeline: CapturePipeline;
  const locks: Lock[] = [lock({ target: { namespaces: ['demo'] }, subjects: { users: ['alice'] }, reason: 'release freeze until 18:00 UTC (ask #platform)' })];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-locks-'));
    store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
    metrics = createMetrics({ defaultMetrics: false });
    pipeline = createCapturePipeline({
      store, metrics, commitTimeoutMs: 2000,
      settings: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 1), recordUnchanged: false },
      checkLocks: (request: AdmissionRequest) => checkLocks(locks, request, Date.now()),
    });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('denies with the reason and records the attempt with the Lock name', async () => {
    const review = withFreshUid(loadFixture('deployment-apply-image'));
    const answer = await pipeline.handle(review, log);
    assert.deepEqual(answer.response, {
      uid: review.request.uid, allowed: false,
      status: { code: 403, message: 'locked by Lock "freeze-demo": release freeze until 18:00 UTC (ask #platform)' },
    });
    const page = await store.listEvents({ namespace: 'demo' }, 10);
    const recorded = page.items.find((event) => event.requestUid === review.request.uid);
    assert.ok(recorded, 'the denied attempt is in the history');
    assert.equal(recorded.deniedBy, 'freeze-demo');
    assert.equal(recorded.user.username, 'alice');
    assert.ok(recorded.patch.length > 0, 'what was attempted');
    assert.match(await metrics.registry.metrics(), /logistis_denials_total\{lock="freeze-demo"\} 1/);
  });

  it('denies a dry run the same way and records nothing', async () => {
    const review = withFreshUid(loadFixture('deployment-dry-run'));
    const answer = await pipeline.handle(review, log);
    assert.equal(answer.response['allowed'], false);
    assert.match(JSON.stringify(answer.response['status']), /freeze-demo/);
    const page = await store.listEvents({ namespace: 'demo' }, 100);
    assert.ok(!page.items.some((event) => event.requestUid === review.request.uid));
  });

  it('allows and records others as before, without a denial marker', async () => {
    const review = withFreshUid(loadFixture('configmap-create'));
    (review.request['userInfo'] as { username: string }).username = 'bob';
    const answer = await pipeline.handle(review, log);
    assert.equal(answer.response['allowed'], true);
    const page = await store.listEvents({}, 100);
    const recorded = page.items.find((event) => event.requestUid === review.request.uid);
    assert.ok(recorded);
    assert.equal(recorded.deniedBy, undefined);
  });
});
