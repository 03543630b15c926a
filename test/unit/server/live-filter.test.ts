import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchesLiveFilter, parseLiveQuery } from '../../../src/server/routes/live.ts';
import { parseActivityQuery } from '../../../src/server/routes/ui-data.ts';
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

  it('parses the filters of /api/v1/events, drops empty ones, rejects unknown ones', () => {
    assert.deepEqual(parseLiveQuery({ namespace: 'demo', user: '', operation: 'update' }, 0), { namespace: 'demo', operation: 'UPDATE' });
    assert.throws(() => parseLiveQuery({ nmespace: 'demo' }, 0), /nmespace: unknown parameter/);
    assert.throws(() => parseLiveQuery({ operation: 'PATCH' }, 0), /operation: must be/);
  });

  it('parses the activity query with its defaults and limits', () => {
    const now = Date.parse('2026-06-12T10:00:00.000Z');
    assert.deepEqual(parseActivityQuery({}, now), { kind: 'activity', sinceMs: now - 86_400_000, untilMs: now, by: 'namespace', buckets: 24, top: 10 });
    assert.equal(parseActivityQuery({ since: '7d', by: 'user', buckets: '28' }, now).buckets, 28);
    assert.throws(() => parseActivityQuery({ by: 'kind' }, now), /by: must be one of namespace, user/);
    assert.throws(() => parseActivityQuery({ buckets: '500' }, now), /buckets: must be a whole number from 1 to 200/);
    assert.throws(() => parseActivityQuery({ since: '1h', until: '2h' }, now), /since: must be before until/);
  });
});
