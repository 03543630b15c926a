// The read side under load, through the real app and a real SQLite store: reads never hold up captures, list
// pages are capped in bytes, and bad read queries are answered 400 in the shape each API's clients read.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ChangeList } from '../../src/api/change.ts';
import type { NewChangeEvent } from '../../src/event.ts';
import { MAX_PAGE_BYTES, type EventPage } from '../../src/store/types.ts';
import { createTestApp, postReview, type TestApp } from '../support/app.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';

function largeEvent(i: number, bytes: number): NewChangeEvent {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i}`, namespace: 'load' }, data: { blob: randomBytes(bytes / 2).toString('hex') } };
  return {
    time: new Date(Date.now() - 60_000 + i).toISOString(), requestUid: `uid-${i}`, operation: 'CREATE',
    user: { username: 'loader', uid: '', groups: [], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
    subresource: '', namespace: 'load', name: `big-${i}`, objectUid: `o-${i}`, fieldManager: '', patch: [], object,
  };
}

describe('list pages of large events', () => {
  let t: TestApp;
  const EVENTS = 1000;
  const EVENT_BYTES = 48 * 1024;
  before(async () => {
    t = await createTestApp();
    for (let start = 0; start < EVENTS; start += 100) {
      await t.store.append(Array.from({ length: 100 }, (_, k) => largeEvent(start + k, EVENT_BYTES)));
    }
  });
  after(async () => { await t.close(); });

  it('end early at the byte cap with a cursor, and the client pages through everything', async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    let largest = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    do {
      const response = await t.app.inject(`/api/v1/events?namespace=load&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(response.statusCode, 200);
      largest = Math.max(largest, response.body.length);
      const page = response.json<EventPage>();
      for (const event of page.items) seen.add(event.id);
      cursor = page.nextCursor;
      pages += 1;
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    } while (cursor && pages < 100);
    assert.equal(seen.size, EVENTS, 'every event, once');
    assert.ok(pages >= Math.floor((EVENTS * EVENT_BYTES) / MAX_PAGE_BYTES), `${pages} pages`);
    assert.ok(largest <= MAX_PAGE_BYTES + 2 * EVENT_BYTES, `largest page ${largest} bytes`);
    // All events together are ~96 MiB of JSON (a CREATE carries its object twice, as object and patch); a page at a
    // time, the process never holds them all at once.
    assert.ok(heapPeak - heapBefore < 2 * EVENTS * EVENT_BYTES, `heap grew by ${((heapPeak - heapBefore) / 2 ** 20).toFixed(0)} MiB`);
  });

  it('end early in the aggregated API too, with the continue token', async () => {
    let token: string | undefined;
    let count = 0;
    let pages = 0;
    do {
      const response = await t.app.inject(`/apis/audit.logistis.io/v1alpha1/namespaces/load/changes?limit=1000${token ? `&continue=${token}` : ''}`);
      assert.equal(response.statusCode, 200);
      const list = response.json<ChangeList>();
      count += list.items.length;
      token = list.metadata.continue;
      pages += 1;
    } while (token && pages < 100);
    assert.equal(count, EVENTS);
    assert.ok(pages > 1);
  });
});

describe('a blame of a large object', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  it('does not hold up a capture sent meanwhile', async () => {
    const review = withFreshUid(loadFixture('configmap-create'));
    const data: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) data[`key-${i}`] = `value-${i}`;
    const object = review.request['object'] as { metadata: { name: string; namespace?: string }; data: Record<string, string> };
    object.data = data;
    const { name } = object.metadata;
    const namespace = review.request['namespace'] as string;
    assert.equal((await postReview(t.app, review)).statusCode, 200);

    const url = `/api/v1/blame?namespace=${namespace}&kind=ConfigMap&name=${name}`;
    let blameDone = 0;
    const blame = t.app.inject(url).then((response) => { blameDone = performance.now(); return response; });
    // Let the blame get going on the reader thread.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = performance.now();
    const capture = await postReview(t.app, withFreshUid(loadFixture('configmap-create-v1beta1')));
    const captureMs = performance.now() - started;
    const captureDone = performance.now();
    assert.equal(capture.statusCode, 200);
    const response = await blame;
    assert.equal(response.statusCode, 200);
    assert.equal((response.json<{ lines: unknown[] }>()).lines.length > 20_000, true);
    assert.ok(captureDone < blameDone, 'the capture was answered while the blame still ran');
    assert.ok(captureMs < 200, `capture took ${captureMs.toFixed(0)} ms`);
  });
});

describe('bad read queries', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  it('are 400 with a Kubernetes Status on the aggregated API, and {error} on /api/v1', async () => {
    for (const url of [
      '/apis/audit.logistis.io/v1alpha1/changes?fieldSelector=__proto__%3Dx',
      '/apis/audit.logistis.io/v1alpha1/changes?fieldSelector=metadata.name%3Dx',
      '/apis/audit.logistis.io/v1alpha1/overview?since=300000000d',
    ]) {
      const response = await t.app.inject(url);
      assert.equal(response.statusCode, 400, url);
      const status = response.json<{ kind: string; status: string; reason: string; code: number; message: string }>();
      assert.deepEqual([status.kind, status.status, status.reason, status.code], ['Status', 'Failure', 'BadRequest', 400], url);
      assert.match(status.message, /^(fieldSelector|since): /);
    }
    const overview = await t.app.inject('/api/v1/overview?since=300000000d');
    assert.equal(overview.statusCode, 400);
    assert.match((overview.json<{ error: string }>()).error, /^since: "300000000d" is out of range/);
  });
});
