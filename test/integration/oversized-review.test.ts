// A review larger than --max-body-bytes, escaped as the API server's encoder escapes (`<` as \u003c): it is
// answered like any review (allowed with its uid, or denied by a Lock), never 413, and recorded from its metadata
// with the oversized marker, counted in logistis_oversized_reviews_total. A malformed body's secret-looking text
// appears neither in the answer nor in the log.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { DEFAULT_NORMALISE_OPTIONS } from '../../src/admission/normalise.ts';
import type { AdmissionRequest } from '../../src/admission/review.ts';
import { createCapturePipeline } from '../../src/capture/pipeline.ts';
import type { ChangeEvent } from '../../src/event.ts';
import { parseLock, type Lock } from '../../src/locks/lock.ts';
import { checkLocks } from '../../src/locks/match.ts';
import { installErrorHandler } from '../../src/server/errors.ts';
import { createMetrics, type Metrics } from '../../src/server/metrics.ts';
import { registerCaptureRoute } from '../../src/server/routes/capture.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { createTestApp, postReview, TEST_REDACTION_KEY, type TestApp } from '../support/app.ts';
import { loadFixture, withFreshUid, type Review } from '../../harness/fixtures.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** JSON as the API server writes it: Go's encoder escapes <, > and & inside strings. */
function asApiServerSends(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** An UPDATE of a ConfigMap whose data is `bytes` of `<`, in both object and oldObject. */
function largeUpdate(bytesEscaped: number): Review {
  const review = withFreshUid(loadFixture('deployment-apply-image'));
  const request = review.request as Record<string, Record<string, unknown>>;
  const half = '<'.repeat(Math.ceil(bytesEscaped / 12));
  request['object'] = { ...request['object'], data: { payload: `${half}new` } };
  request['oldObject'] = { ...request['oldObject'], data: { payload: `${half}old` } };
  return review;
}

async function oversizedCount(metrics: Metrics): Promise<number> {
  return (await metrics.oversizedReviews.get()).values.reduce((sum, value) => sum + value.value, 0);
}

async function eventsOf(t: TestApp, uid: string): Promise<ChangeEvent[]> {
  const list = (await t.app.inject({ method: 'GET', url: '/api/v1/events?limit=50' })).json<{ items: ChangeEvent[] }>();
  return list.items.filter((event) => event.requestUid === uid);
}

describe('a review over --max-body-bytes', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ maxBodyBytes: 3 * 1024 * 1024 }); });
  after(async () => { await t.close(); });

  it('a 7 MB escaped UPDATE is allowed with its uid, recorded with the marker and its metadata, and counted', async () => {
    const review = largeUpdate(7 * 1024 * 1024);
    const body = asApiServerSends(review);
    assert.ok(body.length > 7 * 1024 * 1024 && body.includes('\\u003c'), 'escaped like the API server');
    const response = await postReview(t.app, body);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
    const [event, ...more] = await eventsOf(t, review.request.uid);
    assert.ok(event, 'an event is stored');
    assert.equal(more.length, 0);
    assert.deepEqual(event.oversized, { reviewBytes: Buffer.byteLength(body), maxBodyBytes: 3 * 1024 * 1024 });
    assert.equal(event.operation, 'UPDATE');
    assert.equal(event.user.username, 'alice');
    assert.deepEqual(
      [event.kind, event.resource, event.namespace, event.name],
      ['Deployment', 'deployments', 'demo', 'web'],
    );
    const metadata = event.object['metadata'] as Record<string, unknown>;
    assert.deepEqual(metadata['labels'], { app: 'web', tier: 'frontend' });
    assert.equal(event.object['data'], undefined, 'the large content is not recorded');
    assert.equal(event.fieldManager, 'kubectl-client-side-apply');
    assert.equal(await oversizedCount(t.metrics), 1);
  });

  it('the same review under the limit is recorded whole, without the marker', async () => {
    const review = largeUpdate(1024);
    const response = await postReview(t.app, asApiServerSends(review));
    assert.equal(response.statusCode, 200, response.body);
    const [event] = await eventsOf(t, review.request.uid);
    assert.ok(event);
    assert.equal(event.oversized, undefined);
    assert.ok(event.patch.some((operation) => operation.path === '/data/payload'));
    assert.equal(await oversizedCount(t.metrics), 1, 'not counted as oversized');
  });

  it('a dry run over the limit is answered and not recorded', async () => {
    const review = largeUpdate(4 * 1024 * 1024);
    review.request['dryRun'] = true;
    const response = await postReview(t.app, asApiServerSends(review));
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(await eventsOf(t, review.request.uid), []);
  });

  it('the strict Locks entry answers it too, with its uid, never 413', async () => {
    const review = largeUpdate(7 * 1024 * 1024);
    const response = await t.app.inject({ method: 'POST', url: '/locks/check', headers: { 'content-type': 'application/json' }, payload: asApiServerSends(review) });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
  });

  it('only a body beyond any AdmissionReview (256 MiB) gets 413, before it is read', async () => {
    const response = await t.app.inject({
      method: 'POST', url: '/capture', payload: '{}',
      headers: { 'content-type': 'application/json', 'content-length': String(300 * 1024 * 1024) },
    });
    assert.equal(response.statusCode, 413, response.body);
  });

  it('a malformed oversized body is refused with where it fails', async () => {
    const text = asApiServerSends(largeUpdate(4 * 1024 * 1024));
    const broken = `${text.slice(0, 3_500_000)}tokenSECRETabcdef${text.slice(3_500_000)}`;
    const response = await postReview(t.app, broken);
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /malformed JSON: at byte \d+ \(line 1, column \d+\)/);
    assert.doesNotMatch(response.body, /SECRET|tokenS/);
  });
});

describe('a Lock covers an oversized review', () => {
  let dir: string;
  let store: SqliteEventStore;
  let app: FastifyInstance;
  let metrics: Metrics;
  const freeze = parseLock({
    metadata: { name: 'freeze-frontend', generation: 1 },
    spec: { target: { selector: { matchLabels: { tier: 'frontend' } } }, subjects: { users: ['alice'] }, reason: 'release freeze' },
  });

  before(async () => {
    if (!freeze.ok) throw new Error(freeze.problem);
    const locks: Lock[] = [freeze.lock];
    dir = mkdtempSync(join(tmpdir(), 'logistis-oversized-'));
    store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
    metrics = createMetrics({ defaultMetrics: false });
    const pipeline = createCapturePipeline({
      store, metrics, commitTimeoutMs: 2000,
      settings: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: TEST_REDACTION_KEY, recordUnchanged: false },
      checkLocks: (request: AdmissionRequest) => checkLocks(locks, request, Date.now()),
    });
    // The real capture route and error handler; the Lock check of `serve --locks` without the API server.
    app = Fastify({ bodyLimit: 3 * 1024 * 1024, logger: false });
    installErrorHandler(app);
    registerCaptureRoute(app, pipeline, metrics, null);
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('denies it by the labels in its metadata, and records the attempt with the marker', async () => {
    const review = largeUpdate(7 * 1024 * 1024);
    const response = await postReview(app, asApiServerSends(review));
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), {
      apiVersion: review.apiVersion, kind: 'AdmissionReview',
      response: { uid: review.request.uid, allowed: false, status: { code: 403, message: 'locked by Lock "freeze-frontend": release freeze' } },
    });
    const page = await store.listEvents({ namespace: 'demo' }, 10);
    const recorded = page.items.find((event) => event.requestUid === review.request.uid);
    assert.ok(recorded);
    assert.equal(recorded.deniedBy, 'freeze-frontend');
    assert.ok(recorded.oversized);
  });
});

describe('a malformed body', () => {
  it('is answered and logged with where it fails, never with what is there', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _encoding, next) { lines.push(String(chunk)); next(); } });
    const metrics = createMetrics({ defaultMetrics: false });
    const dir = mkdtempSync(join(tmpdir(), 'logistis-malformed-'));
    const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
    const pipeline = createCapturePipeline({
      store, metrics, commitTimeoutMs: 2000,
      settings: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: TEST_REDACTION_KEY, recordUnchanged: false },
    });
    const app = Fastify({ loggerInstance: pino({ level: 'trace' }, sink) }) as unknown as FastifyInstance;
    installErrorHandler(app);
    registerCaptureRoute(app, pipeline, metrics, null);
    try {
      const secret = 'ghp_SECRETtoken1234567890';
      for (const body of [
        `{"apiVersion": "admission.k8s.io/v1", "token": ${secret}}`,
        secret,
        `{"apiVersion": "admission.k8s.io/v1", "password": "x", ${secret}: 1}`,
        `{"data": {"token": nul${secret}}}`,
      ]) {
        const response = await postReview(app, body);
        assert.equal(response.statusCode, 400, body);
        assert.match(response.body, /malformed JSON: at byte \d+ \(line \d+, column \d+\)/);
        for (const fragment of [secret.slice(0, 6), secret.slice(4, 12), 'SECRET']) {
          assert.ok(!response.body.includes(fragment), `the answer quotes the body: ${response.body}`);
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
      const log = lines.join('');
      assert.match(log, /malformed JSON: at byte/, 'the refusal is logged');
      assert.ok(!log.includes('SECRET') && !log.includes('ghp_'), `the log quotes the body: ${log}`);
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
