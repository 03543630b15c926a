import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldOwner, managedFieldsOf, ownsPath, parseFieldsV1 } from '../../../src/field-blame/managed-fields.ts';
import { parsePointer } from '../../../src/history/pointer.ts';
import { deploymentLive } from '../format/golden.ts';

const live = deploymentLive();
const owner = (pointer: string, obj = live): string | undefined => fieldOwner(obj, parsePointer(pointer))?.manager;

describe('parseFieldsV1', () => {
  it('reads f:, k:, v:, i: keys and the . marker', () => {
    const set = parseFieldsV1({ 'f:spec': { 'f:replicas': {} }, 'f:finalizers': { '.': {}, 'v:"a"': {} } });
    assert.deepEqual([...set.children.keys()], ['f:spec', 'f:finalizers']);
    assert.equal(set.children.get('f:finalizers')!.self, true);
    assert.deepEqual([...set.children.get('f:finalizers')!.children.keys()], ['v:"a"']);
  });
});

describe('managedFieldsOf', () => {
  it('lists the FieldsV1 entries with manager, operation, time and subresource', () => {
    const entries = managedFieldsOf(live);
    assert.deepEqual(
      entries.map((e) => [e.manager, e.operation, e.time, e.subresource]),
      [
        ['kubectl-client-side-apply', 'Update', '2025-06-12T11:59:48Z', ''],
        ['kubectl-edit', 'Update', '2025-06-12T06:30:11Z', ''],
        ['kubectl-label', 'Update', '2025-06-12T11:25:00Z', ''],
        ['kube-controller-manager', 'Update', '2025-06-12T11:59:49Z', ''],
        ['kube-controller-manager', 'Update', '2025-06-12T11:59:58Z', 'status'],
      ],
    );
    assert.deepEqual(managedFieldsOf({ metadata: {} }), []);
    assert.deepEqual(managedFieldsOf(undefined), []);
  });
});

describe('fieldOwner', () => {
  it('finds the owner of plain fields', () => {
    assert.equal(owner('/spec/replicas'), 'kubectl-edit');
    assert.equal(owner('/metadata/labels/tier'), 'kubectl-label');
    assert.equal(owner('/metadata/labels/app'), 'kubectl-client-side-apply');
    assert.equal(owner('/metadata/annotations/deployment.kubernetes.io~1revision'), 'kube-controller-manager');
    assert.equal(owner('/status/replicas'), 'kube-controller-manager');
  });
  it('matches keyed list items by their key fields', () => {
    assert.equal(owner('/spec/template/spec/containers/0/image'), 'kubectl-client-side-apply');
    assert.equal(owner('/spec/template/spec/containers/0'), 'kubectl-client-side-apply');
    assert.equal(owner('/spec/template/spec/containers/0/ports/0/protocol'), 'kubectl-client-side-apply');
    assert.equal(owner('/spec/template/spec/containers/0/env/0/value'), 'kubectl-client-side-apply');
  });
  it('owns a whole subtree through a leaf (atomic fields)', () => {
    assert.equal(owner('/spec/selector/matchLabels/app'), 'kubectl-client-side-apply');
    assert.equal(owner('/spec/template/spec/containers/0/resources'), 'kubectl-client-side-apply');
  });
  it('owns a map only with its . marker', () => {
    assert.equal(owner('/metadata/labels'), 'kubectl-client-side-apply');
    assert.equal(owner('/spec'), undefined);
    assert.equal(owner('/spec/template/spec/containers'), undefined);
    assert.equal(owner('/metadata/name'), undefined);
  });
  it('matches v: set items and i: indexes', () => {
    const obj = {
      metadata: {
        finalizers: ['example.com/protect', 'example.com/other'],
        ownerReferences: [{ uid: 'u1' }],
        managedFields: [
          { manager: 'ctrl', operation: 'Update', time: '2025-06-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:finalizers': { '.': {}, 'v:"example.com/protect"': {} } } } },
          { manager: 'other', operation: 'Apply', time: '2025-06-02T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:finalizers': { 'v:"example.com/other"': {} }, 'f:ownerReferences': { 'i:0': {} } } } },
        ],
      },
    };
    assert.equal(owner('/metadata/finalizers/0', obj), 'ctrl');
    assert.equal(owner('/metadata/finalizers/1', obj), 'other');
    assert.equal(owner('/metadata/finalizers', obj), 'ctrl');
    assert.equal(owner('/metadata/ownerReferences/0/uid', obj), 'other');
  });
  it('of several owners, takes the one that wrote last', () => {
    const obj = {
      spec: { replicas: 3 },
      metadata: {
        managedFields: [
          { manager: 'old', operation: 'Apply', time: '2025-06-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
          { manager: 'new', operation: 'Apply', time: '2025-06-03T00:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
          { manager: 'timeless', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
        ],
      },
    };
    assert.equal(owner('/spec/replicas', obj), 'new');
  });
  it('ignores a keyed item whose keys do not match', () => {
    const set = parseFieldsV1({ 'f:c': { 'k:{"name":"web"}': { 'f:image': {} } } });
    assert.equal(ownsPath(set, { c: [{ name: 'web', image: 'x' }] }, ['c', '0', 'image']), true);
    assert.equal(ownsPath(set, { c: [{ name: 'api', image: 'x' }] }, ['c', '0', 'image']), false);
  });
});
