import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relativeTime } from '../../../src/format/time.ts';
import { NOW } from './golden.ts';

describe('relativeTime', () => {
  const now = Date.parse(NOW);
  const ago = (ms: number): string => new Date(now - ms).toISOString();
  it('uses the largest whole unit', () => {
    assert.equal(relativeTime(ago(12_000), NOW), '12s');
    assert.equal(relativeTime(ago(59_999), NOW), '59s');
    assert.equal(relativeTime(ago(60_000), NOW), '1m');
    assert.equal(relativeTime(ago(35 * 60_000 + 10_000), NOW), '35m');
    assert.equal(relativeTime(ago(5 * 3_600_000 + 59 * 60_000), NOW), '5h');
    assert.equal(relativeTime(ago(3 * 86_400_000 + 3_600_000), NOW), '3d');
    assert.equal(relativeTime(ago(400 * 86_400_000), NOW), '1y');
  });
  it('takes now as a Date, a number or a string', () => {
    assert.equal(relativeTime('2025-06-12T11:25:00.000Z', new Date(NOW)), '35m');
    assert.equal(relativeTime('2025-06-12T11:25:00.000Z', now), '35m');
  });
  it('reads a time in the future (clock skew) as now, and a bad time as ?', () => {
    assert.equal(relativeTime(ago(-5_000), NOW), '0s');
    assert.equal(relativeTime('yesterday', NOW), '?');
  });
});
