// A timer per Lock's expiry: fires once at (not before) the expiry, follows changed and removed Locks, and waits
// out expiries beyond setTimeout's longest delay in steps instead of firing at once.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ExpiryTimers } from '../../../src/locks/expiry-timers.ts';

describe('ExpiryTimers', () => {
  let fired: string[];
  let timers: ExpiryTimers;
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-06-12T10:00:00Z') });
    fired = [];
    timers = new ExpiryTimers((name) => fired.push(name));
  });
  afterEach(() => {
    timers.stop();
    mock.timers.reset();
  });

  it('fires each Lock once, just after its expiry', () => {
    const now = Date.now();
    timers.set(new Map([['a', now + 1000], ['b', now + 5000], ['past', now - 1]]));
    assert.deepEqual(timers.armed().sort(), ['a', 'b'], 'an expired Lock needs no timer');
    mock.timers.tick(1000);
    assert.deepEqual(fired, [], 'not before the expiry');
    mock.timers.tick(10);
    assert.deepEqual(fired, ['a']);
    mock.timers.tick(10_000);
    assert.deepEqual(fired, ['a', 'b']);
    assert.deepEqual(timers.armed(), []);
  });

  it('re-arms a changed expiry and drops a deleted Lock', () => {
    const now = Date.now();
    timers.set(new Map([['a', now + 1000], ['b', now + 2000]]));
    timers.set(new Map([['a', now + 3000]]));
    mock.timers.tick(2500);
    assert.deepEqual(fired, [], 'a moved to 3 s, b is gone');
    timers.set(new Map([['a', now + 3000]])); // the same again (a resync) keeps the timer
    mock.timers.tick(400);
    assert.deepEqual(fired, []);
    mock.timers.tick(200);
    assert.deepEqual(fired, ['a']);
  });

  it('waits out an expiry a month away', () => {
    const now = Date.now();
    const month = 30 * 24 * 3600 * 1000;
    timers.set(new Map([['long', now + month]]));
    mock.timers.tick(2 ** 31);
    assert.deepEqual(fired, [], 'not at setTimeout\'s limit');
    assert.deepEqual(timers.armed(), ['long']);
    mock.timers.tick(month - 2 ** 31 + 10);
    assert.deepEqual(fired, ['long']);
  });

  it('stop() cancels everything', () => {
    timers.set(new Map([['a', Date.now() + 1000]]));
    timers.stop();
    mock.timers.tick(5000);
    assert.deepEqual(fired, []);
  });
});
