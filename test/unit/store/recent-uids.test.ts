import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { RecentRequestUids } from '../../../src/store/sqlite/recent-uids.ts';

const WINDOW = 60_000;

describe('RecentRequestUids', () => {
  it('knows the uids added, uuids and other strings alike, and no others', () => {
    const recent = new RecentRequestUids(WINDOW, 0);
    const uuid = randomUUID();
    recent.add(uuid, 0);
    recent.add('uid-1', 0);
    assert.equal(recent.has(uuid, 1), true);
    assert.equal(recent.has(uuid.toUpperCase(), 1), false, 'a uid is its exact string, as in the store');
    assert.equal(recent.has('uid-1', 1), true);
    assert.equal(recent.has('uid-2', 1), false);
    assert.equal(recent.has(randomUUID(), 1), false);
    assert.equal(recent.has('00000000-0000-0000-0000-000000000000', 1), false, 'the nil uuid is not an empty slot');
    recent.add('00000000-0000-0000-0000-000000000000', 1);
    assert.equal(recent.has('00000000-0000-0000-0000-000000000000', 2), true);
  });

  it('tells apart uuids that share all but one digit, through the table growing', () => {
    const recent = new RecentRequestUids(WINDOW, 0);
    const uid = (i: number) => `abcdef01-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    for (let i = 0; i < 50_000; i += 2) recent.add(uid(i), 0);
    for (let i = 0; i < 50_000; i++) assert.equal(recent.has(uid(i), 1), i % 2 === 0, uid(i));
    assert.equal(recent.stats.uids, 25_000);
    assert.ok(recent.stats.bytes <= 25_000 * 17 * 3, `${recent.stats.bytes} bytes for 25,000 uids`);
  });

  it('remembers a uid for at least one window and at most two', () => {
    const recent = new RecentRequestUids(WINDOW, 0);
    recent.add('early', 0);
    recent.add('late', WINDOW - 1);
    assert.equal(recent.has('early', WINDOW - 1), true);
    // The first generation is now the older one: both still known.
    assert.equal(recent.has('early', WINDOW), true);
    assert.equal(recent.has('late', 2 * WINDOW - 2), true, 'late was added one window before');
    // A third generation starts: the first one, with both, goes.
    assert.equal(recent.has('early', 2 * WINDOW), false);
    assert.equal(recent.has('late', 2 * WINDOW), false);
  });

  it('forgets everything after two idle windows, and a uid added again lives on', () => {
    const recent = new RecentRequestUids(WINDOW, 0);
    recent.add('a', 10);
    assert.equal(recent.has('a', 3 * WINDOW), false);
    recent.add('b', 3 * WINDOW);
    recent.add('b', 4 * WINDOW);
    assert.equal(recent.has('b', 5 * WINDOW - 1), true);
    assert.equal(recent.stats.uids, 2, 'b in both generations');
  });

  it('refuses a window that is not positive', () => {
    assert.throws(() => new RecentRequestUids(0, 0), /window 0 ms must be positive/);
  });
});
