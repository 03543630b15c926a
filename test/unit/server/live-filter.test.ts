import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { matchesLiveFilter } from '../../../src/server/routes/live.ts';
import { activityRequest, liveFilter } from '../../../src/server/query-params.ts';
import { createTestApp, type TestApp } from '../../support/app.ts';
import type { ChangeEvent } from '../../../src/event.ts';

const EVENT: ChangeEvent = {
  id: '7', time: '2026-06-12T10:00:00.000Z', requestUid: 'u', operation: 'UPDATE', user: { username: 'bob', uid: '', groups: ['ops', 'system:authenticated'], extra: {} },
  group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', subresource: 'scale', namespace: 'demo', name: 'web', objectUid: 'o',
  fieldManager: '', patch: [], object: {},
};

describe('live updates', () => {
  it('matches events as the store list filters them', () => {
    assert.equal(matchesLiveFilter(EVENT, {}), true);
    assert.equal(matchesLiveFilter(EVENT, { namespace: 'demo', kind: 'Deployment', name: 'web', user: 'bob', userGroup: 'ops', operation: 'UPDATE', group: 'apps' }), true);
    for (const filter of [{ namespace: 'prod' }, { kind: 'ConfigMap' }, { name: 'api' }, { user: 'alice' }, { userGroup: 'dev' }, { operation: 'DELETE' as const }, { group: '' }]) {
      assert.equal(matchesLiveFilter(EVENT, filter), false, JSON.stringify(filter));
    }
  });

  it('takes the filters of /api/v1/events and drops empty ones', () => {
    assert.deepEqual(liveFilter({ namespace: 'demo', user: '', operation: 'update' }), { namespace: 'demo', operation: 'UPDATE' });
    assert.throws(() => liveFilter({ operation: 'PATCH' }), /operation: must be/);
  });

  it('reads the activity query with its defaults', () => {
    const now = Date.parse('2026-06-12T10:00:00.000Z');
    assert.deepEqual(activityRequest({}, now), { kind: 'activity', sinceMs: now - 86_400_000, untilMs: now, by: 'namespace', buckets: 24, top: 10 });
    assert.equal(activityRequest({ since: '7d', by: 'user', buckets: 28 }, now).buckets, 28);
    assert.throws(() => activityRequest({ since: '1h', until: '2h' }, now), /since: must be before until/);
  });
});

describe('live and activity route schemas, as the app applies them', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  async function refusal(url: string): Promise<{ status: number; message: string }> {
    const response = await t.app.inject(url);
    const body = response.json() as { error?: string; message?: string };
    return { status: response.statusCode, message: body.error ?? body.message ?? '' };
  }

  it('refuse unknown names, unlisted choices and out-of-range numbers, naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/api/v1/events/live?nmespace=demo', /^nmespace: unknown parameter/],
      ['/api/v1/events/live?operation=PATCH', /^operation: must be/],
      ['/api/v1/activity?by=kind', /^by: must be one of namespace, user/],
      ['/api/v1/activity?buckets=500', /^buckets: must be a whole number from 1 to 200/],
      ['/api/v1/activity?since=1h&until=2h', /^since: must be before until/],
    ];
    for (const [url, message] of cases) {
      const answer = await refusal(url);
      assert.equal(answer.status, 400, url);
      assert.match(answer.message, message, url);
    }
  });
});
