import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { activityOf, activityQuery } from '../../../src/read/activity.ts';
import type { ActivityCounts } from '../../../src/store/types.ts';

const SINCE = Date.parse('2026-06-12T00:00:00.000Z');
const HOUR = 3_600_000;
const REQUEST = { kind: 'activity' as const, sinceMs: SINCE, untilMs: SINCE + 4 * HOUR, by: 'namespace' as const, buckets: 4, top: 2 };
const NONE: ActivityCounts = { cells: [], topObjects: [], people: [], serviceAccounts: [], denials: [] };

describe('activityQuery', () => {
  it('cuts the window into equal buckets of whole milliseconds, and asks for the newest ten denials', () => {
    assert.deepEqual(activityQuery(REQUEST), { sinceMs: SINCE, untilMs: SINCE + 4 * HOUR, bucketMs: HOUR, buckets: 4, by: 'namespace', top: 2, denials: 10 });
    assert.equal(activityQuery({ ...REQUEST, untilMs: SINCE + 10, buckets: 4 }).bucketMs, 3);
  });
});

describe('activityOf', () => {
  const query = activityQuery(REQUEST);

  it('lays the counts out per bucket and key, largest series first, and counts them all', () => {
    const activity = activityOf({
      ...NONE,
      cells: [{ key: 'shop', bucket: 2, changes: 1 }, { key: 'demo', bucket: 0, changes: 2 }, { key: 'prod', bucket: 3, changes: 1 },
        { key: 'demo', bucket: 3, changes: 1 }, { key: 'shop', bucket: 3, changes: 1 }],
    }, query);
    assert.equal(activity.bucketMs, HOUR);
    assert.deepEqual(activity.buckets, ['2026-06-12T00:00:00.000Z', '2026-06-12T01:00:00.000Z', '2026-06-12T02:00:00.000Z', '2026-06-12T03:00:00.000Z']);
    assert.deepEqual(activity.series, [
      { key: 'demo', counts: [2, 0, 0, 1], total: 3 }, { key: 'shop', counts: [0, 0, 1, 1], total: 2 }, { key: 'prod', counts: [0, 0, 0, 1], total: 1 },
    ]);
    assert.equal(activity.counted, 6);
    assert.equal(activity.truncated, false);
  });

  it('lists people, then service accounts, marked as such', () => {
    const activity = activityOf({
      ...NONE, people: [{ username: 'alice', changes: 3 }, { username: 'bob', changes: 2 }],
      serviceAccounts: [{ username: 'system:serviceaccount:ci:deployer', changes: 1 }],
    }, { ...query, by: 'user' });
    assert.deepEqual(activity.topUsers, [
      { username: 'alice', changes: 3, serviceAccount: false }, { username: 'bob', changes: 2, serviceAccount: false },
      { username: 'system:serviceaccount:ci:deployer', changes: 1, serviceAccount: true },
    ]);
    assert.equal(activity.by, 'user');
  });

  it('folds series beyond the eighth into one', () => {
    const cells = Array.from({ length: 10 }, (_, i) => ({ key: `ns-${i}`, bucket: 0, changes: 10 - i }));
    const activity = activityOf({ ...NONE, cells }, query);
    assert.equal(activity.series.length, 9);
    assert.deepEqual(activity.series.at(-1), { key: '2 others', counts: [3, 0, 0, 0], total: 3 });
    assert.equal(activity.counted, 55);
  });
});
