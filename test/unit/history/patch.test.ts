import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { applyPatch, computePatch, walkPatch } from '../../../src/history/patch.ts';
import { materialiseHistory } from '../../../src/history/walk.ts';

/** A ConfigMap whose data has keys that name prototype slots: valid in Kubernetes, and kept exactly. */
function configMap(data: string): JsonObject {
  const object = JSON.parse(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"odd","labels":{"__proto__":"l"}},"data":${data}}`) as JsonObject;
  return object;
}

describe('applyPatch keeps every key Kubernetes allows', () => {
  it('adds, replaces and removes a __proto__ data key as an own property, polluting nothing', () => {
    const before = configMap('{"a":"1"}');
    const after = configMap('{"a":"1","__proto__":{"polluted":"yes"},"constructor":"c"}');
    const patch = computePatch(before, after);
    const result = applyPatch(before, patch);
    assert.deepEqual(result, after);
    const data = result['data'] as JsonObject;
    assert.ok(Object.hasOwn(data, '__proto__'));
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal((data as Record<string, unknown>)['polluted'], undefined);

    const replaced = applyPatch(result, [{ op: 'replace', path: '/data/__proto__', value: 'now a string' }]);
    assert.equal((replaced['data'] as JsonObject)['__proto__'], 'now a string');
    const removed = applyPatch(replaced, [{ op: 'remove', path: '/data/__proto__' }, { op: 'remove', path: '/metadata/labels/__proto__' }]);
    assert.ok(!Object.hasOwn(removed['data'] as object, '__proto__'));
    assert.deepEqual((removed['metadata'] as JsonObject)['labels'], {});
  });

  it('takes a constructor/prototype path like any other', () => {
    const before = configMap('{"constructor":{}}');
    const result = applyPatch(before, [{ op: 'add', path: '/data/constructor/prototype', value: { x: 1 } }]);
    assert.deepEqual((result['data'] as JsonObject)['constructor'], { prototype: { x: 1 } });
    assert.equal((Object.prototype as Record<string, unknown>)['x'], undefined);
  });

  it('leaves the document it was given unchanged, and throws when a patch does not fit', () => {
    const before = configMap('{"a":"1"}');
    const copy = structuredClone(before);
    applyPatch(before, [{ op: 'add', path: '/data/__proto__', value: 'v' }]);
    assert.deepEqual(before, copy);
    assert.throws(() => applyPatch(before, [{ op: 'replace', path: '/spec/replicas', value: 1 }]));
  });
});

describe('walkPatch', () => {
  it('shows each operation the document it applies to, and the rest nothing once one does not fit', () => {
    const seen: unknown[] = [];
    const fits = walkPatch({ items: [1, 2, 3] }, [
      { op: 'remove', path: '/items/0' },
      { op: 'replace', path: '/items/0', value: 9 },
      { op: 'remove', path: '/nothing' },
      { op: 'add', path: '/after', value: 1 },
    ], (_op, before) => seen.push(before === undefined ? undefined : JSON.parse(JSON.stringify(before))));
    assert.equal(fits, false);
    assert.deepEqual(seen, [{ items: [1, 2, 3] }, { items: [2, 3] }, { items: [9, 3] }, undefined]);
  });
});

describe('materialiseHistory', () => {
  it('gives a scale the parent object, __proto__ keys included', () => {
    const base = {
      id: '1', time: '2026-01-01T00:00:00.000Z', requestUid: 'u', user: { username: 'a', uid: '', groups: [], extra: {} },
      group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespace: 'd', name: 'w', objectUid: '', fieldManager: '',
    };
    const deployment = JSON.parse('{"kind":"Deployment","metadata":{"annotations":{"__proto__":"kept"}},"spec":{"replicas":1}}') as JsonObject;
    const history: ChangeEvent[] = [
      { ...base, operation: 'CREATE', subresource: '', patch: [], object: deployment },
      { ...base, id: '2', operation: 'UPDATE', subresource: 'scale', patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }], object: { kind: 'Scale', spec: { replicas: 3 } } },
    ];
    const [, scaled] = materialiseHistory(history);
    assert.equal((scaled!.object['spec'] as JsonObject)['replicas'], 3);
    assert.ok(Object.hasOwn((scaled!.object['metadata'] as { annotations: object }).annotations, '__proto__'));
  });
});
