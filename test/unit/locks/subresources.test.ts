// Subresource requests under selector Locks, from recorded AdmissionReviews: kubectl scale (a Scale), an eviction
// (an Eviction), kubectl exec (PodExecOptions) carry no labels of their own, so the Lock matches the parent's
// labels, given as input; kubectl debug (pods/ephemeralcontainers) carries the Pod itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAdmissionReview, type AdmissionRequest } from '../../../src/admission/review.ts';
import { parseLock, type Lock } from '../../../src/locks/lock.ts';
import { checkLocks, parentLabelsAtStake, parentOperation, type ParentLabels } from '../../../src/locks/match.ts';

const NOW = Date.parse('2026-06-12T12:00:00Z');

function fixture(path: string): AdmissionRequest {
  return parseAdmissionReview(JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'))).request;
}

const scale = fixture('../../fixtures/admission/deployment-scale.json');
const eviction = fixture('./fixtures/pod-eviction.json');
const exec = fixture('./fixtures/pod-exec.json');
const debug = fixture('./fixtures/pod-ephemeralcontainers.json');

function lock(name: string, target: Record<string, unknown>): Lock {
  const parsed = parseLock({ metadata: { name, generation: 1 }, spec: { target: { namespaces: ['demo'], ...target }, subjects: { groups: ['ops'] }, reason: 'database freeze' } });
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.lock;
}

const dbTier = { selector: { matchLabels: { tier: 'db' } } };
const known = (labels: Record<string, string>): ParentLabels => ({ known: true, labels });

const cases: { name: string; lock: Lock; request: AdmissionRequest; parent?: ParentLabels; denied: boolean }[] = [
  { name: 'kubectl scale of a labelled Deployment', lock: lock('db', dbTier), request: scale, parent: known({ tier: 'db' }), denied: true },
  { name: 'kubectl scale of another Deployment', lock: lock('db', dbTier), request: scale, parent: known({ tier: 'web' }), denied: false },
  { name: 'kubectl scale of an unlabelled Deployment', lock: lock('db', dbTier), request: scale, parent: known({}), denied: false },
  { name: 'a NotIn selector matches the parent, not the label-less Scale', lock: lock('not-db', { selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] } }), request: scale, parent: known({ tier: 'db' }), denied: false },
  { name: 'kubectl scale when the labels were not looked up', lock: lock('db', dbTier), request: scale, denied: true },
  { name: 'kubectl scale when the labels could not be read', lock: lock('db', dbTier), request: scale, parent: { known: false, problem: 'GET failed: no answer within 2000 ms' }, denied: true },
  { name: 'an eviction of a labelled Pod', lock: lock('db', dbTier), request: eviction, parent: known({ tier: 'db' }), denied: true },
  { name: 'an eviction of an unlabelled Pod', lock: lock('db', dbTier), request: eviction, parent: known({}), denied: false },
  { name: 'an eviction is a DELETE of the Pod', lock: lock('db', { ...dbTier, operations: ['DELETE'] }), request: eviction, parent: known({ tier: 'db' }), denied: true },
  { name: 'an eviction is no CREATE', lock: lock('db', { ...dbTier, operations: ['CREATE'] }), request: eviction, parent: known({ tier: 'db' }), denied: false },
  { name: 'exec under a Lock without CONNECT', lock: lock('db', dbTier), request: exec, parent: known({ tier: 'db' }), denied: false },
  { name: 'exec into a labelled Pod under a Lock naming CONNECT', lock: lock('db', { ...dbTier, operations: ['CONNECT'] }), request: exec, parent: known({ tier: 'db' }), denied: true },
  { name: 'exec into another Pod under a Lock naming CONNECT', lock: lock('db', { ...dbTier, operations: ['CONNECT'] }), request: exec, parent: known({ tier: 'web' }), denied: false },
  { name: 'kubectl debug: the Pod in the request carries its labels', lock: lock('db', dbTier), request: debug, denied: true },
  { name: 'kubectl scale under a Lock without a selector needs no labels', lock: lock('all', {}), request: scale, denied: true },
];

describe('selector Locks on subresources', () => {
  for (const c of cases) {
    it(`${c.denied ? 'denies' : 'allows'}: ${c.name}`, () => {
      const decision = checkLocks([c.lock], c.request, NOW, c.parent);
      assert.equal(decision.denied, c.denied);
    });
  }

  it('says why when the parent labels are unknown', () => {
    const decision = checkLocks([lock('db', dbTier)], scale, NOW, { known: false, problem: 'GET /apis/apps/v1/namespaces/demo/deployments/web answered 403: forbidden' });
    assert.deepEqual(decision, {
      denied: true, lock: 'db',
      message: 'locked by Lock "db": database freeze (the labels of deployments.apps "demo/web" are unknown to logistis: '
        + 'GET /apis/apps/v1/namespaces/demo/deployments/web answered 403: forbidden; this Lock covers the request unless its label selector spares the object, so it is denied)',
    });
  });

  it('reads the parent only when a selector Lock covers the request otherwise', () => {
    assert.equal(parentLabelsAtStake([lock('db', dbTier)], scale, NOW), true);
    assert.equal(parentLabelsAtStake([lock('db', dbTier)], eviction, NOW), true);
    assert.equal(parentLabelsAtStake([lock('all', {})], scale, NOW), false, 'no selector');
    assert.equal(parentLabelsAtStake([lock('db', { ...dbTier, namespaces: ['prod'] })], scale, NOW), false, 'another namespace');
    assert.equal(parentLabelsAtStake([lock('db', { ...dbTier, resources: [{ group: '', resource: 'pods' }] })], scale, NOW), false, 'another resource');
    assert.equal(parentLabelsAtStake([lock('db', dbTier)], { ...scale, userInfo: { ...scale.userInfo, groups: ['dev'] } }, NOW), false, 'not a subject');
    assert.equal(parentLabelsAtStake([lock('db', dbTier)], exec, NOW), false, 'CONNECT not named');
    assert.equal(parentLabelsAtStake([lock('db', dbTier)], debug, NOW), false, 'the Pod is in the request');
  });

  it('takes an eviction for a DELETE of its pod, everything else as it is', () => {
    assert.deepEqual([scale, eviction, exec, debug].map(parentOperation), ['UPDATE', 'DELETE', 'CONNECT', 'UPDATE']);
  });
});
