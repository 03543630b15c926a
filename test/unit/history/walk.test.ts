import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { computePatch } from '../../../src/history/patch.ts';
import { materialiseHistory, previousObjects } from '../../../src/history/walk.ts';
import { blameObject } from '../../../src/field-blame/field-blame.ts';
import { objectAt } from '../../../src/history/past.ts';

function deployment(replicas: number): JsonObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' }, spec: { replicas } };
}

function event(id: number, user: string, before: JsonObject, after: JsonObject, extra: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    id: String(id), time: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString(), requestUid: `uid-${id}`,
    operation: Object.keys(before).length === 0 ? 'CREATE' : 'UPDATE',
    user: { username: user, uid: '', groups: [], extra: {} },
    group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', subresource: '', namespace: 'prod', name: 'web',
    objectUid: 'u', fieldManager: '', patch: computePatch(before, after), object: after, ...extra,
  };
}

// alice creates with 2 replicas, bob's change to 9 is denied by a Lock, alice then scales to 3.
const history = [
  event(1, 'alice', {}, deployment(2)),
  event(2, 'bob', deployment(2), deployment(9), { deniedBy: 'freeze-prod' }),
  event(3, 'alice', deployment(2), deployment(3)),
];

describe('an attempt a Lock denied is shown but never becomes the state', () => {
  it('the change after it starts from the last state that happened', () => {
    const paired = previousObjects(history);
    assert.deepEqual((paired[2]!.previous['spec'] as JsonObject)['replicas'], 2);
  });

  it('materialising keeps the denied event as recorded and does not carry it on', () => {
    const materialised = materialiseHistory(history);
    assert.equal(materialised.length, 3);
    assert.equal(materialised[1]!.deniedBy, 'freeze-prod');
  });

  it('per-field blame never names the denied author, and --at skips the attempt', () => {
    const blame = blameObject(history);
    const authors = new Set(blame.lines.map((line) => line.author?.username).filter(Boolean));
    assert.ok(!authors.has('bob'), `bob's denied attempt must not own a field: ${[...authors].join(', ')}`);
    const at = objectAt(history, Date.UTC(2026, 0, 1, 0, 2, 30));
    assert.equal(at.state, 'exists');
    assert.deepEqual(((at as { object: JsonObject }).object['spec'] as JsonObject)['replicas'], 2);
  });
});

describe('an oversized change recorded its metadata only', () => {
  const partial = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' } };
  const withOversized = [
    event(1, 'alice', {}, deployment(2)),
    event(2, 'bob', deployment(2), partial, { patch: [], oversized: { reviewBytes: 9_000_000, maxBodyBytes: 3_145_728 } }),
    event(3, 'alice', deployment(5), deployment(6)),
  ];
  it('leaves the object after it unknown: the next change is not diffed against its metadata', () => {
    const paired = previousObjects(withOversized);
    assert.deepEqual(paired[1]!.previous, deployment(2));
    assert.deepEqual([paired[2]!.previous, paired[2]!.known], [{}, false]);
  });
});
