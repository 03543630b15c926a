// The rules of one object's past (src/history/past.ts): states at a time, revert manifests and their refusals,
// over the format fixtures' histories.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { materialiseEach } from '../../../src/history/walk.ts';
import {
  absenceAt, cleanForApply, deleteCommand, HistoryRefusal, objectAt, previousStateIds, recordsPartialObject, revertTo,
} from '../../../src/history/past.ts';
import type { ChangeEvent, JsonObject } from '../../../src/event.ts';
import { deploymentHistory, deploymentLive, miscHistory, scaledDeploymentHistory, secretHistory } from '../format/golden.ts';

const at = (iso: string): number => Date.parse(iso);
const spec = (o: JsonObject): JsonObject => o['spec'] as JsonObject;
const meta = (o: JsonObject): JsonObject => o['metadata'] as JsonObject;

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HistoryRefusal, String(error));
    assert.match(error.message, message);
    return true;
  });
}

/** The object at a time, or the refusal that says why there is none (what the server answers). */
function objectAtOrRefuse(history: readonly ChangeEvent[], atMs: number): { event: ChangeEvent; object: JsonObject } {
  const state = objectAt(history, atMs);
  if (state.state === 'exists') return state;
  throw absenceAt(state, atMs);
}

describe('withWholeObjects: subresource events get the whole object', () => {
  it('a Scale is applied to the Deployment before it', () => {
    const history = scaledDeploymentHistory();
    assert.ok(recordsPartialObject(history[1]!));
    const whole = materialiseEach(history);
    assert.equal(whole[1]!.object['kind'], 'Deployment');
    assert.equal(spec(whole[1]!.object)['replicas'], 3);
    assert.deepEqual(meta(whole[1]!.object)['labels'], meta(history[0]!.object)['labels']);
    assert.equal(history[1]!.object['kind'], 'Scale', 'the input is not changed');
    for (const i of [0, 2, 3]) assert.equal(whole[i], history[i], 'whole events are kept as they are');
  });
  it('keeps the order of the input (newest first too)', () => {
    const whole = materialiseEach([...scaledDeploymentHistory()].reverse());
    assert.equal(whole[2]!.id, '1002');
    assert.equal(whole[2]!.object['kind'], 'Deployment');
  });
  it('without the object before it, the Scale stays as recorded', () => {
    const whole = materialiseEach(scaledDeploymentHistory().slice(1));
    assert.equal(whole[0]!.object['kind'], 'Scale');
  });
});

describe('objectAt (--at)', () => {
  const history = deploymentHistory();
  it('the object after the last change at or before the time', () => {
    const state = objectAt(history, at('2025-06-12T07:00:00Z'));
    assert.ok(state.state === 'exists');
    assert.equal(state.event.id, '1002');
    assert.equal(spec(state.object)['replicas'], 3);
    const exactly = objectAt(history, at('2025-06-12T06:30:11.404Z'));
    assert.ok(exactly.state === 'exists' && exactly.event.id === '1002');
    const before = objectAt(history, at('2025-06-12T06:30:11.403Z'));
    assert.ok(before.state === 'exists' && before.event.id === '1001' && spec(before.object)['replicas'] === 2);
  });
  it('before the creation: not created yet', () => {
    const state = objectAt(history, at('2025-06-01T00:00:00Z'));
    assert.ok(state.state === 'not-created-yet' && state.first.id === '1001');
    refused(() => objectAtOrRefuse(history, at('2025-06-01T00:00:00Z')),
      /^at 2025-06-01T00:00:00.000Z, shop\/Deployment\/web did not exist yet: created by alice \(CREATE, 2025-06-09T09:14:03.120Z, change 1001\)$/);
  });
  it('after a deletion: deleted, and by whom', () => {
    const cm = miscHistory().filter((e) => e.kind === 'ConfigMap');
    assert.ok(objectAt(cm, at('2025-06-12T11:55:00Z')).state === 'deleted');
    refused(() => objectAtOrRefuse(cm, at('2025-06-12T11:55:00Z')), /did not exist: deleted by alice \(DELETE, .*change 1008\)/);
    const existed = objectAtOrRefuse(cm, at('2025-06-12T11:00:00Z'));
    assert.equal(existed.event.id, '1007');
  });
  it('before a history that starts with an update: not known', () => {
    refused(() => objectAtOrRefuse(history.slice(1), at('2025-06-10T00:00:00Z')),
      /logistis has no record of shop\/Deployment\/web at .*: its recorded history starts with bob \(UPDATE/);
  });
  it('no history at all', () => refused(() => objectAtOrRefuse([], 0), /no change/));
});

describe('revertTo (--revert)', () => {
  it('an update: the object before it, cleaned for kubectl apply, and the later changes it also undoes', () => {
    const { manifest, change, later } = revertTo(deploymentHistory(), '1002');
    assert.equal(change.user.username, 'bob');
    assert.equal(spec(manifest)['replicas'], 2);
    assert.equal(manifest['apiVersion'], 'apps/v1');
    assert.equal(manifest['kind'], 'Deployment');
    assert.deepEqual(Object.keys(meta(manifest)).sort(), ['annotations', 'labels', 'name', 'namespace']);
    assert.deepEqual(later.map((e) => e.id), ['1003', '1004']);
  });
  it('after a scale through the subresource: the whole Deployment, never a Scale', () => {
    const { manifest } = revertTo(materialiseEach(scaledDeploymentHistory()), '1003');
    assert.equal(manifest['kind'], 'Deployment');
    assert.equal(spec(manifest)['replicas'], 3);
    assert.deepEqual(meta(manifest)['labels'], { app: 'web', 'app.kubernetes.io/version': '1.25.3', owner: 'team-a' });
  });
  it('a deletion: the deleted object', () => {
    const { manifest, later } = revertTo(miscHistory(), '1008');
    assert.equal(manifest['kind'], 'ConfigMap');
    assert.ok(!('uid' in meta(manifest)) && !('creationTimestamp' in meta(manifest)));
    assert.deepEqual(later, []);
  });
  it('a creation: refused, with the delete command', () => {
    refused(() => revertTo(deploymentHistory(), '1001'),
      /^change 1001 created shop\/Deployment\/web; before it the object did not exist, so reverting it means deleting it\.\nNothing to apply; if that is what you want, run:\n {2}kubectl delete deployments.apps web -n shop$/);
  });
  it('a Secret: refused, its values are only fingerprints', () => {
    refused(() => revertTo(secretHistory(), '1006'), /shop\/Secret\/db-credentials is a Secret: .*only as fingerprints.*\(keys: password, username\)/s);
  });
  it('any object holding a redaction fingerprint: refused', () => {
    const history = deploymentHistory();
    meta(history[0]!.object)['annotations'] = { note: 'redacted:hmac-sha256:0123456789abcdef01234567' };
    refused(() => revertTo(history, '1002'), /fingerprints/);
  });
  it('the first recorded change, an update: the state before is not known', () => {
    refused(() => revertTo(deploymentHistory().slice(1), '1002'), /the object before change 1002 is not in the recorded history/);
  });
  it('an unknown change ID', () => refused(() => revertTo(deploymentHistory(), '77'), /change "77" is not in the recorded history of shop\/Deployment\/web/));
});

describe('cleanForApply', () => {
  it('drops what the server sets, keeps the rest', () => {
    const live = deploymentLive();
    const clean = cleanForApply(live);
    assert.ok(!('status' in clean));
    for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation']) assert.ok(!(f in meta(clean)), f);
    assert.deepEqual(meta(clean)['labels'], meta(live)['labels']);
    assert.deepEqual(clean['spec'], live['spec']);
    assert.ok('managedFields' in meta(live), 'the input is not changed');
  });
  it('fills apiVersion and kind from the change when missing', () => {
    assert.deepEqual(cleanForApply({ metadata: { name: 'x' } }, { group: 'apps', version: 'v1', kind: 'Deployment' }), {
      metadata: { name: 'x' }, apiVersion: 'apps/v1', kind: 'Deployment',
    });
    assert.equal(cleanForApply({}, { group: '', version: 'v1', kind: 'ConfigMap' })['apiVersion'], 'v1');
  });
});

describe('deleteCommand', () => {
  it('names the resource as kubectl takes it, with -n only when namespaced', () => {
    assert.equal(deleteCommand(miscHistory().find((e) => e.id === '1009')!), 'kubectl delete clusterroles.rbac.authorization.k8s.io pod-reader');
    assert.equal(deleteCommand(miscHistory().find((e) => e.id === '1007')!), 'kubectl delete configmaps feature-flags -n shop');
  });
});


describe('previousStateIds: the state before each event, as the diffs pair them', () => {
  it('points past denied attempts, CONNECTs and changes not applied to the last real state', () => {
    const history = deploymentHistory();
    const denied = { ...history[2]!, id: '2001', deniedBy: 'freeze' };
    const notApplied = { ...history[2]!, id: '2002', state: 'not-applied' as const };
    const connect = { ...history[2]!, id: '2003', operation: 'CONNECT' as const };
    const events = [history[0]!, history[1]!, denied, notApplied, connect, history[2]!];
    assert.deepEqual(previousStateIds(events), [undefined, '1001', '1002', '1002', '1002', '1002']);
  });
  it('nothing before a creation, or after a deletion', () => {
    const cm = miscHistory().filter((e) => e.kind === 'ConfigMap');
    const ids = previousStateIds(cm);
    assert.equal(ids[0], undefined);
    assert.equal(ids.at(-1), cm.at(-2)!.id, 'the deletion shows the state it removed');
  });
});
