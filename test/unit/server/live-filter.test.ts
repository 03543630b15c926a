import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLiveFilter } from '../../../src/server/routes/live.ts';
import { activityRequest, liveFilter } from '../../../src/server/query-params.ts';
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
