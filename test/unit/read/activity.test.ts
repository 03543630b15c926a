import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { activityOf } from '../../../src/read/activity.ts';
import type { ChangeEvent } from '../../../src/event.ts';

const SINCE = Date.parse('2026-06-12T00:00:00.000Z');
const HOUR = 3_600_000;

function event(id: number, hour: number, user: string, namespace: string, name: string, deniedBy?: string): ChangeEvent {
  return {
    id: String(id), time: new Date(SINCE + hour * HOUR + 60_000).toISOString(), requestUid: `uid-${id}`, operation: 'UPDATE',
    user: { username: user, uid: '', groups: [], extra: {} }, group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments',
    subresource: '', namespace, name, objectUid: `o-${name}`, fieldManager: 'kubectl', patch: [], object: {}, ...(deniedBy ? { deniedBy } : {}),
  };
}

const EVENTS = [
  event(1, 0, 'alice', 'demo', 'web'), event(2, 0, 'bob', 'demo', 'web'), event(3, 2, 'alice', 'shop', 'cart'),
  event(4, 3, 'system:serviceaccount:ci:deployer', 'shop', 'cart'), event(5, 3, 'bob', 'prod', 'api', 'freeze-prod'), event(6, 3, 'alice', 'demo', 'web'),
];
const REQUEST = { kind: 'activity' as const, sinceMs: SINCE, untilMs: SINCE + 4 * HOUR, by: 'namespace' as const, buckets: 4, top: 2 };

describe('activityOf', () => {
  it('counts changes per bucket and namespace, largest series first', () => {
    const activity = activityOf(EVENTS, REQUEST, false);
    assert.equal(activity.bucketMs, HOUR);
    assert.deepEqual(activity.buckets, ['2026-06-12T00:00:00.000Z', '2026-06-12T01:00:00.000Z', '2026-06-12T02:00:00.000Z', '2026-06-12T03:00:00.000Z']);
    assert.deepEqual(activity.series, [
      { key: 'demo', counts: [2, 0, 0, 1], total: 3 }, { key: 'shop', counts: [0, 0, 1, 1], total: 2 }, { key: 'prod', counts: [0, 0, 0, 1], total: 1 },
    ]);
    assert.equal(activity.counted, 6);
  });

  it('stacks by user, and lists people apart from service accounts', () => {
    const activity = activityOf(EVENTS, { ...REQUEST, by: 'user' }, true);
    assert.deepEqual(activity.series.map((series) => [series.key, series.total]), [['alice', 3], ['bob', 2], ['system:serviceaccount:ci:deployer', 1]]);
    assert.deepEqual(activity.topUsers, [
      { username: 'alice', changes: 3, serviceAccount: false }, { username: 'bob', changes: 2, serviceAccount: false },
      { username: 'system:serviceaccount:ci:deployer', changes: 1, serviceAccount: true },
    ]);
    assert.equal(activity.truncated, true);
  });

  it('ranks the most changed objects with their last author, and lists denials', () => {
    const activity = activityOf(EVENTS, REQUEST, false);
    assert.deepEqual(activity.topObjects.map((object) => [object.namespace, object.name, object.changes, object.lastUser]), [['demo', 'web', 3, 'alice'], ['shop', 'cart', 2, 'system:serviceaccount:ci:deployer']]);
    assert.deepEqual(activity.denials.map((denial) => [denial.id, denial.user, denial.deniedBy]), [['5', 'bob', 'freeze-prod']]);
  });

  it('folds series beyond the eighth into one', () => {
    const many = Array.from({ length: 10 }, (_, i) => event(i + 1, 0, `user-${i}`, `ns-${i}`, 'x'));
    const activity = activityOf(many, REQUEST, false);
    assert.equal(activity.series.length, 9);
    assert.deepEqual(activity.series.at(-1), { key: '2 others', counts: [2, 0, 0, 0], total: 2 });
  });
});
