// The dashboard's server side through Fastify inject: the activity read over real captures, the session, and
// /ui/ serving the built page (make build) for every deep link; the live stream over a real listener.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createTestApp, postReview, type TestApp } from '../support/app.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import type { Activity } from '../../src/api/activity.ts';
import { DASHBOARD_DIR } from '../../src/server/routes/ui.ts';
import { get, type IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import { liveRoutes } from '../../src/server/routes/live.ts';
import { openReads } from '../../src/read/index.ts';
import type { LiveEvent, Reads } from '../../src/read/requests.ts';
import { OPEN_READ_ACCESS } from '../../src/server/auth/read-access.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { DEFAULT_LIVE_STREAM_LIMITS } from '../../src/config/serve-config.ts';

/** Server-sent events as they arrive: each event's name and its data line, as text. */
function sseEvents(response: IncomingMessage): AsyncIterable<{ event: string; data: string }> {
  return (async function* () {
    let buffered = '';
    for await (const chunk of response) {
      buffered += String(chunk);
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) yield { event, data };
      }
    }
  })();
}

describe('dashboard routes', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    for (const name of ['deployment-create', 'deployment-scale', 'deployment-patch-label', 'configmap-create', 'crd-create']) {
      assert.equal((await postReview(t.app, withFreshUid(loadFixture(name)))).statusCode, 200);
    }
  });
  after(async () => { await t.close(); });

  it('GET /api/v1/activity summarises the window from the read handlers', async () => {
    const response = await t.app.inject('/api/v1/activity?since=1h&buckets=6&top=5');
    assert.equal(response.statusCode, 200, response.body);
    const activity = response.json<Activity>();
    assert.equal(activity.counted, 5);
    assert.equal(activity.buckets.length, 6);
    assert.deepEqual(activity.series.map((series) => [series.key, series.total]), [['demo', 4], ['', 1]]);
    assert.equal(activity.series[0]!.counts.at(-1), 4, 'all in the newest bucket');
    assert.deepEqual(activity.topObjects[0], { group: 'apps', kind: 'Deployment', namespace: 'demo', name: 'web', changes: 3, lastTime: activity.topObjects[0]!.lastTime, lastUser: 'alice' });
    assert.deepEqual(activity.topUsers.map((user) => `${user.username}:${user.changes}`), ['alice:2', 'bob:2', 'admin:1']);
    const bad = await t.app.inject('/api/v1/activity?by=kind');
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json<{ error: string }>()).error, /^by: must be one of/);
  });

  it('GET /api/v1/session says the server is open under auth none', async () => {
    assert.deepEqual((await t.app.inject('/api/v1/session')).json(), { auth: 'none' });
  });

  it('serves the page at /ui/ and at every deep link, with a content security policy', { skip: existsSync(`${DASHBOARD_DIR}index.html`) ? false : 'web/dist not built (make build)' }, async () => {
    for (const url of ['/ui/', '/ui/timeline?user=bob', '/ui/object?namespace=demo&kind=Deployment&name=web&view=blame']) {
      const response = await t.app.inject(url);
      assert.equal(response.statusCode, 200, url);
      assert.match(response.headers['content-type'] as string, /text\/html/);
      assert.match(response.body, /<div id="root">/);
      assert.match(response.headers['content-security-policy'] as string, /default-src 'self'/);
    }
    const redirect = await t.app.inject('/ui?by=user');
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers.location, '/ui/?by=user');
    const asset = /src="(\/ui\/assets\/[^"]+\.js)"/.exec((await t.app.inject('/ui/')).body)![1]!;
    const script = await t.app.inject(asset);
    assert.equal(script.statusCode, 200);
    assert.match(script.headers['cache-control'] as string, /immutable/);
  });

  it('streams new changes that pass the filter, each as the reader serialised it', async () => {
    // The real reader threads; what they answered the live poll is kept, to compare with what the stream wrote.
    const real = openReads(t.store);
    const serialised = new Map<string, LiveEvent>();
    const reads: Reads = {
      async answer(request, options) {
        const answer = await real.answer(request, options);
        for (const event of answer.events ?? []) serialised.set(event.id, event);
        return answer;
      },
      close: () => real.close(),
    };
    const server = Fastify();
    await server.register(liveRoutes, { reads, access: OPEN_READ_ACCESS, metrics: createMetrics({ defaultMetrics: false }), limits: DEFAULT_LIVE_STREAM_LIMITS });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.server.address() as { port: number };
    const response = await new Promise<IncomingMessage>((resolve, reject) => get({ host: '127.0.0.1', port, path: '/api/v1/events/live?namespace=demo&kind=ConfigMap' }, resolve).on('error', reject));
    try {
      assert.equal(response.statusCode, 200);
      const events = sseEvents(response)[Symbol.asyncIterator]();
      const ready = await events.next();
      assert.ok(!ready.done, 'the stream says it is ready');
      assert.equal(ready.value.event, 'ready');
      for (const name of ['deployment-scale', 'configmap-create', 'crd-create', 'configmap-create']) {
        assert.equal((await postReview(t.app, withFreshUid(loadFixture(name)))).statusCode, 200);
      }
      const listed = (await t.app.inject('/api/v1/events?namespace=demo&kind=ConfigMap&limit=2')).json<{ items: { id: string }[] }>();
      const changes: string[] = [];
      while (changes.length < 2) {
        const next = await events.next();
        assert.ok(!next.done, 'the stream went on');
        if (next.value.event === 'change') changes.push(next.value.data);
      }
      // Only the demo ConfigMaps, oldest first, each written as the reader's own text.
      const ids = changes.map((data) => (JSON.parse(data) as { id: string }).id);
      assert.deepEqual(ids, listed.items.map((item) => item.id).reverse());
      assert.deepEqual(changes, ids.map((id) => serialised.get(id)?.json));
      assert.deepEqual(changes.map((data) => JSON.parse(data) as unknown), listed.items.reverse());
    } finally {
      response.destroy();
      await server.close();
      await reads.close();
    }
  });
});
