// The dashboard's server side through Fastify inject: the activity read over real captures, the session, and
// /ui/ serving the built page (make build) for every deep link.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createTestApp, postReview, type TestApp } from '../support/app.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';
import type { Activity } from '../../src/api/activity.ts';
import { DASHBOARD_DIR } from '../../src/server/routes/ui.ts';

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
});
