import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRows, encodeRows, type EventRow } from '../../../src/store/sqlite/protocol.ts';
import { creationPatch, computePatch, applyPatch } from '../../../src/history/patch.ts';

describe('rows crossing to the writer thread', () => {
  it('survive the round trip, whatever characters the values hold', () => {
    const row = (name: string): EventRow => ({
      timeMs: 1_795_000_000_123, requestUid: 'u-1', operation: 'UPDATE', username: 'system:serviceaccount:ci:deployer\ttab',
      userUid: '', userGroups: '["a\\nb"]', userExtra: '{}', group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments',
      subresource: '', namespace: 'ns', name, objectUid: 'x', fieldManager: 'kubectl', deniedBy: name === 'a' ? '' : 'freeze "prod"', state: 'pending', stateChangedMs: 1_795_000_000_123, authorGuess: '',
      body: JSON.stringify({ object: { data: { text: 'line one\nline two\ttabbed', unicode: 'żółw 🐢' } } }),
    });
    const rows = [row('a'), row('b\nc')];
    assert.deepEqual(decodeRows(encodeRows(rows)), rows);
  });
});

describe('creation patch', () => {
  it('is what a general diff from nothing gives, and replays to the object', () => {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a/b~c' }, data: { 'x/y': '1' } };
    assert.deepEqual(creationPatch(object), [
      { op: 'add', path: '/apiVersion', value: 'v1' }, { op: 'add', path: '/kind', value: 'ConfigMap' },
      { op: 'add', path: '/metadata', value: object.metadata }, { op: 'add', path: '/data', value: object.data },
    ]);
    assert.deepEqual(applyPatch({}, computePatch({}, object)), object);
    assert.deepEqual(applyPatch(object, computePatch(object, {})), {});
  });
});
