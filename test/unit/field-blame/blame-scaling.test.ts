// Blame must grow with the size of the object, not its square. Times are compared with each other, never with a
// fixed budget: 16 times the keys may take at most 64 times as long (linear gives about 16, quadratic about 256).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blameObject } from '../../../src/field-blame/field-blame.ts';
import type { ChangeEvent } from '../../../src/event.ts';

function configMapWith(keys: number): ChangeEvent {
  const data: Record<string, string> = {};
  for (let i = 0; i < keys; i++) data[`key-${i}`] = `value-${i}`;
  return {
    id: '1', time: '2026-01-01T00:00:00.000Z', requestUid: 'u', operation: 'CREATE', user: { username: 'alice', uid: '', groups: [], extra: {} },
    group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', subresource: '', namespace: 'demo', name: 'big', objectUid: '',
    fieldManager: '', patch: [], object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data },
  };
}

function fastest(keys: number, runs: number): number {
  const history = [configMapWith(keys)];
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const { lines } = blameObject(history);
    best = Math.min(best, performance.now() - started);
    assert.equal(lines.length, keys + 5);
  }
  return best;
}

describe('blame of a large object', () => {
  it('is linear in the number of keys', () => {
    fastest(2500, 1);
    const small = fastest(2500, 3);
    const large = fastest(40_000, 1);
    assert.ok(large / small < 64, `2,500 keys: ${small.toFixed(0)} ms, 40,000 keys: ${large.toFixed(0)} ms (${(large / small).toFixed(1)}×)`);
  });
});
