import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, postReview, type TestApp } from '../support/app.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import type { ChangeEvent } from '../../src/event.ts';
import { applyPatch } from '../../src/history/patch.ts';
import { StoreError, type EventStore } from '../../src/store/types.ts';

async function eventCount(t: TestApp): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await t.store.listEvents({}, 1000, cursor);
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}

describe('POST /capture and the read API', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  it('records a create, a scale and a delete, and answers with the request uid', async () => {
    for (const name of ['deployment-create', 'deployment-scale', 'deployment-patch-label', 'deployment-apply-image', 'deployment-status-only', 'deployment-dry-run', 'deployment-delete']) {
      const review = loadFixture(name);
      const response = await postReview(t.app, review);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
    }
    const { items } = (await t.app.inject('/api/v1/events?namespace=demo&kind=Deployment&name=web')).json<{ items: ChangeEvent[] }>();
    assert.deepEqual(items.map((event) => `${event.operation}:${event.user.username}`),
      ['DELETE:admin', 'UPDATE:alice', 'UPDATE:alice', 'UPDATE:bob', 'CREATE:alice'], 'newest first; dry-run and status-only not recorded');
    const [deleted, , , scaled, created] = items as [ChangeEvent, ChangeEvent, ChangeEvent, ChangeEvent, ChangeEvent];
    assert.match(created.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(created.fieldManager, 'kubectl-client-side-apply');
    assert.equal(created.objectUid, (loadFixture('deployment-create').request['object'] as { metadata: { uid: string } }).metadata.uid);
    assert.deepEqual(scaled.user.groups, ['ops', 'system:authenticated']);
    // kubectl scale sends a Scale for deployments/scale: recorded in the Deployment's history, payload as sent.
    assert.equal(scaled.kind, 'Deployment');
    assert.equal(scaled.group, 'apps');
    assert.equal(scaled.object['kind'], 'Scale');
    assert.equal((deleted.object['spec'] as { replicas: number }).replicas, 3);
  });

  it('history is oldest first, in json, patch, yaml and diff', async () => {
    const json = (await t.app.inject('/api/v1/history?namespace=demo&kind=Deployment&name=web')).json<{ object: unknown; items: ChangeEvent[] }>();
    assert.deepEqual(json.object, { group: 'apps', kind: 'Deployment', namespace: 'demo', name: 'web' });
    assert.deepEqual(json.items.map((event) => event.operation), ['CREATE', 'UPDATE', 'UPDATE', 'UPDATE', 'DELETE']);
    // History shows the parent's full state after a subresource change, and each patch replays on the one before.
    assert.equal(json.items[1]!.object['kind'], 'Deployment');
    let state = {};
    for (const event of json.items) {
      state = applyPatch(state, event.patch);
      assert.deepEqual(state, event.operation === 'DELETE' ? {} : event.object, `event ${event.id} ${event.operation}`);
    }
    assert.deepEqual(json.items[4]!.object, json.items[3]!.object, 'the deleted object is the last state');
    const patch = (await t.app.inject('/api/v1/history?namespace=demo&group=apps&kind=Deployment&name=web&format=patch')).json<{ patch: unknown[] }[]>();
    assert.deepEqual(patch[1]!.patch, [{ op: 'replace', path: '/spec/replicas', value: 3 }]);
    assert.deepEqual(patch[2]!.patch, [{ op: 'add', path: '/metadata/labels/tier', value: 'frontend' }]);
    const diff = await t.app.inject('/api/v1/history?namespace=demo&kind=Deployment&name=web&format=diff');
    assert.match(diff.headers['content-type'] as string, /text\/x-diff/);
    assert.match(diff.body, /^- {2}replicas: 2$/m);
    assert.match(diff.body, /^\+ {2}replicas: 3$/m);
    const yaml = await t.app.inject('/api/v1/history?namespace=demo&kind=Deployment&name=web&format=yaml');
    assert.match(yaml.body, /# .* CREATE by alice/);
    assert.doesNotMatch(yaml.body, /managedFields|resourceVersion/);
  });

  it('filters events and pages through them with a cursor', async () => {
    for (let i = 0; i < 5; i++) await postReview(t.app, withFreshUid(loadFixture('configmap-create-v1beta1')));
    const byUser = (await t.app.inject('/api/v1/events?user=bob&kind=ConfigMap')).json<{ items: ChangeEvent[] }>();
    assert.equal(byUser.items.length, 5);
    const byGroup = (await t.app.inject('/api/v1/events?userGroup=dev')).json<{ items: ChangeEvent[] }>();
    assert.ok(byGroup.items.every((event) => event.user.groups.includes('dev')) && byGroup.items.length > 0);
    const creates = (await t.app.inject('/api/v1/events?operation=create&since=1h')).json<{ items: ChangeEvent[] }>();
    assert.ok(creates.items.every((event) => event.operation === 'CREATE'));
    assert.equal(creates.items.filter((event) => event.kind === 'ConfigMap' && event.user.username === 'bob').length, 5, 'the five creates just recorded are listed');
    const none = (await t.app.inject(`/api/v1/events?until=${encodeURIComponent('2020-01-01T00:00:00Z')}`)).json<{ items: ChangeEvent[] }>();
    assert.equal(none.items.length, 0);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await t.app.inject(`/api/v1/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).json<{ items: ChangeEvent[]; nextCursor?: string }>();
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((event) => event.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(seen.length, 10);
    assert.deepEqual(seen, [...seen].sort((a, b) => Number(b) - Number(a)), 'newest first across pages');
  });

  it('overview counts changes per namespace with the last change and the most active users', async () => {
    const overview = (await t.app.inject('/api/v1/overview?since=24h')).json<{ since: string; namespaces: { namespace: string; changes: number; lastChange: { user: string; kind: string }; topUsers: { username: string; changes: number }[] }[] }>();
    const demo = overview.namespaces.find((entry) => entry.namespace === 'demo')!;
    assert.equal(demo.changes, 10);
    assert.equal(demo.lastChange.user, 'bob');
    assert.equal(demo.lastChange.kind, 'ConfigMap');
    assert.deepEqual(demo.topUsers[0], { username: 'bob', changes: 6 });
  });

  it('rejects bad query parameters naming the parameter', async () => {
    for (const [url, parameter] of [
      ['/api/v1/events?limit=0', 'limit'], ['/api/v1/events?limit=5000', 'limit'], ['/api/v1/events?since=yesterday', 'since'],
      ['/api/v1/events?operation=PATCH', 'operation'], ['/api/v1/events?cursor=bogus', 'cursor'], ['/api/v1/events?nmespace=x', 'nmespace'],
      ['/api/v1/history?kind=Deployment', 'name'], ['/api/v1/history?kind=Deployment&name=web&namespace=demo&format=xml', 'format'],
      ['/api/v1/events?since=1h&until=2h', 'since'],
    ] as const) {
      const response = await t.app.inject(url);
      assert.equal(response.statusCode, 400, url);
      assert.match((response.json<{ error: string }>()).error, new RegExp(`^${parameter}:`), url);
    }
  });
});

describe('bad capture requests are answered clearly and record nothing', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ maxBodyBytes: 64 * 1024 }); });
  after(async () => { await t.close(); });

  it('answers 400 with a JSON error', async () => {
    const valid = loadFixture('deployment-create');
    const cases: { label: string; body: string; headers?: Record<string, string>; status: number; error: RegExp }[] = [
      { label: 'malformed JSON', body: '{"apiVersion": "admission.k8s.io/v1", ', status: 400, error: /malformed JSON/ },
      { label: 'JSON that is not a review', body: '{"hello": "world"}', status: 400, error: /kind must be "AdmissionReview"/ },
      { label: 'a review without request', body: '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}', status: 400, error: /request is missing/ },
      { label: 'a review without uid', body: JSON.stringify({ ...valid, request: { ...valid.request, uid: '' } }), status: 400, error: /uid is missing/ },
      { label: 'wrong content type', body: JSON.stringify(valid), headers: { 'content-type': 'text/plain' }, status: 400, error: /content type must be application\/json/ },
      { label: 'unknown content type', body: JSON.stringify(valid), headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 400, error: /content type/ },
      { label: 'empty body', body: '', status: 400, error: /empty/ },
    ];
    for (const { label, body, headers, status, error } of cases) {
      const response = await postReview(t.app, body, headers ?? { 'content-type': 'application/json' });
      assert.equal(response.statusCode, status, `${label}: ${response.body}`);
      assert.match((response.json<{ error: string }>()).error, error, label);
    }
    assert.equal(await eventCount(t), 0);
    // Sample lines only: the metric's name is in its HELP and TYPE lines whether or not anything was counted.
    const metrics = await t.metrics.registry.metrics();
    const rejected = metrics.split('\n').filter((line) => line.startsWith('logistis_capture_rejected_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    assert.equal(rejected, cases.length);
  });

  it('unknown endpoints answer 404 in JSON', async () => {
    const response = await t.app.inject('/api/v2/nothing');
    assert.equal(response.statusCode, 404);
    assert.match((response.json<{ error: string }>()).error, /no such endpoint/);
  });
});

describe('the store fails: admission is still allowed', () => {
  it('allows, counts the dropped event, keeps serving, and reports not ready', async () => {
    const failing: EventStore = {
      append: async () => { throw new StoreError('disk full'); },
      listEvents: async () => { throw new StoreError('disk full'); },
      getEvent: async () => { throw new StoreError('disk full'); },
      objectGroups: async () => { throw new StoreError('disk full'); },
      history: async () => { throw new StoreError('disk full'); },
      overview: async () => { throw new StoreError('disk full'); },
      activity: async () => { throw new StoreError('disk full'); },
      pruneByAge: async () => ({ prunedByAge: 0 }),
      resourceKinds: async () => { throw new StoreError('disk full'); },
      ping: async () => { throw new StoreError('disk full'); },
      close: async () => undefined,
    };
    const t = await createTestApp({ store: failing });
    try {
      for (let i = 0; i < 3; i++) {
        const response = await postReview(t.app, withFreshUid(loadFixture('deployment-scale')));
        assert.equal(response.statusCode, 200);
        assert.equal((response.json<{ response: { allowed: boolean } }>()).response.allowed, true);
      }
      const metrics = await t.metrics.registry.metrics();
      assert.match(metrics, /logistis_events_lost_total\{reason="store-error"\} 3/);
      assert.match(metrics, /logistis_captures_total\{operation="UPDATE",result="failed"\} 3/);
      assert.equal((await t.app.inject('/readyz')).statusCode, 503);
      assert.equal((await t.app.inject('/healthz')).statusCode, 200);
      assert.equal((await t.app.inject('/api/v1/events')).statusCode, 503);
    } finally {
      await t.close();
    }
  });

  it('allows when the commit does not come in time', async () => {
    const slow: EventStore = {
      append: () => new Promise(() => undefined),
      listEvents: async () => ({ items: [] }), getEvent: async () => null, objectGroups: async () => [], history: async () => [], overview: async () => [],
      activity: async () => ({ cells: [], topObjects: [], people: [], serviceAccounts: [], denials: [] }),
      pruneByAge: async () => ({ prunedByAge: 0 }), resourceKinds: async () => [], ping: async () => undefined, close: async () => undefined,
    };
    const t = await createTestApp({ store: slow });
    try {
      const started = Date.now();
      const response = await postReview(t.app, withFreshUid(loadFixture('deployment-scale')));
      assert.equal(response.statusCode, 200);
      assert.ok(Date.now() - started < 3000);
      assert.match(await t.metrics.registry.metrics(), /result="timeout"/);
    } finally {
      await t.close();
    }
  });
});

describe('group commit', () => {
  it('1,000 concurrent captures are all acknowledged and all queryable, in shared transactions', async () => {
    const t = await createTestApp();
    try {
      const reviews = Array.from({ length: 1000 }, (_, i) => {
        const review = withFreshUid(loadFixture(i % 2 ? 'deployment-scale' : 'configmap-create-v1beta1'));
        review.request['name'] = `object-${i % 50}`;
        return review;
      });
      const responses = await Promise.all(reviews.map((review) => postReview(t.app, review)));
      assert.ok(responses.every((response) => response.statusCode === 200));
      const uids = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = (await t.app.inject(`/api/v1/events?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json<{ items: ChangeEvent[]; nextCursor?: string }>();
        for (const event of page.items) uids.add(event.requestUid);
        cursor = page.nextCursor;
      } while (cursor);
      for (const review of reviews) assert.ok(uids.has(review.request.uid), `missing ${review.request.uid}`);
      const metrics = await t.metrics.registry.metrics();
      assert.match(metrics, /logistis_captures_total\{operation="UPDATE",result="recorded"\} 500/);
      const transactions = Number(/logistis_store_batch_size_count (\d+)/.exec(metrics)?.[1]);
      assert.ok(transactions > 0 && transactions < 1000, `1000 events in ${transactions} transactions`);
    } finally {
      await t.close();
    }
  });

  it('keeps only the newest N events of each object', async () => {
    const t = await createTestApp({ maxEventsPerObject: 3 });
    try {
      for (let i = 0; i < 7; i++) {
        const review = withFreshUid(loadFixture('deployment-scale'));
        (review.request['object'] as { spec: { replicas: number } }).spec.replicas = 10 + i;
        await postReview(t.app, review);
      }
      const history = (await t.app.inject('/api/v1/history?namespace=demo&kind=Deployment&name=web')).json<{ items: ChangeEvent[] }>();
      assert.deepEqual(history.items.map((event) => (event.object['spec'] as { replicas: number }).replicas), [14, 15, 16]);
      assert.match(await t.metrics.registry.metrics(), /logistis_events_pruned_total\{reason="per-object"\} 4/);
    } finally {
      await t.close();
    }
  });
});
