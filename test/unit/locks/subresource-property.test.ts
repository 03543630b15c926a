// Property: a subresource request (scale, eviction, exec...) under random Locks with label selectors is decided as
// its parent's own request with the parent's labels: the same decision, the same Lock, the same message. And when
// the parent's labels are unknown, the request is denied whenever some labels would have it denied (fail closed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AdmissionRequest } from '../../../src/admission/review.ts';
import { parseLock, type Lock } from '../../../src/locks/lock.ts';
import { checkLocks, parentOperation } from '../../../src/locks/match.ts';

const NOW = Date.parse('2026-06-12T12:00:00Z');
const KEYS = ['tier', 'env', 'app'];
const VALUES = ['db', 'web', 'prod'];

const labels = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 });

const expression = fc.oneof(
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom('In', 'NotIn'), values: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }) }),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
);

const selector = fc.record({ matchLabels: labels, matchExpressions: fc.array(expression, { maxLength: 3 }) });

const SUBRESOURCES = [
  { group: 'apps', resource: 'deployments', subResource: 'scale', operation: 'UPDATE' },
  { group: 'apps', resource: 'statefulsets', subResource: 'scale', operation: 'UPDATE' },
  { group: 'apps', resource: 'replicasets', subResource: 'scale', operation: 'UPDATE' },
  { group: '', resource: 'replicationcontrollers', subResource: 'scale', operation: 'UPDATE' },
  { group: '', resource: 'pods', subResource: 'eviction', operation: 'CREATE' },
  { group: '', resource: 'pods', subResource: 'exec', operation: 'CONNECT' },
  { group: '', resource: 'pods', subResource: 'attach', operation: 'CONNECT' },
  { group: '', resource: 'pods', subResource: 'portforward', operation: 'CONNECT' },
] as const;

const lockSpec = fc.record({
  name: fc.constantFrom('a', 'b', 'c'),
  namespaces: fc.subarray(['demo', 'prod']),
  resources: fc.subarray([{ group: 'apps', resource: 'deployments' }, { group: '', resource: 'pods' }, { group: '*', resource: 'statefulsets' }, { group: 'apps', resource: '*' }]),
  names: fc.subarray(['web', 'api']),
  selector,
  operations: fc.subarray(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  subjects: fc.constantFrom({ groups: ['ops'] }, { users: ['bob'] }, { groups: ['system:authenticated'] }),
  except: fc.constantFrom({}, { groups: ['break-glass'] }),
  expires: fc.constantFrom(undefined, '2026-06-12T11:00:00Z', '2026-06-12T13:00:00Z'),
});
type LockSpec = typeof lockSpec extends fc.Arbitrary<infer T> ? T : never;

function toLock(spec: LockSpec): Lock {
  const { name, subjects, except, expires, ...target } = spec;
  const parsed = parseLock({ metadata: { name, generation: 1 }, spec: { target, subjects, except, ...(expires ? { expires } : {}), reason: `reason of ${name}` } });
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.lock;
}

const requestSpec = fc.record({
  sub: fc.constantFrom(...SUBRESOURCES),
  namespace: fc.constantFrom('demo', 'prod'),
  name: fc.constantFrom('web', 'api'),
  groups: fc.subarray(['ops', 'break-glass', 'dev']),
});
type RequestSpec = typeof requestSpec extends fc.Arbitrary<infer T> ? T : never;

function subresourceRequest({ sub, namespace, name, groups }: RequestSpec): AdmissionRequest {
  return {
    uid: 'u', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
    resource: { group: sub.group, version: 'v1', resource: sub.resource }, subResource: sub.subResource,
    name, namespace, operation: sub.operation,
    userInfo: { username: 'bob', uid: '', groups: [...groups, 'system:authenticated'], extra: {} },
    // What these subresources carry: no labels of the parent.
    object: { metadata: { name, namespace } }, oldObject: sub.operation === 'UPDATE' ? { metadata: { name, namespace } } : null,
    dryRun: false, options: null,
  };
}

/** The parent's own request with its labels: the same change as the subresource makes to it. */
function parentRequest(sub: AdmissionRequest, parentLabels: Record<string, string>): AdmissionRequest {
  const operation = parentOperation(sub);
  const object = { metadata: { name: sub.name, namespace: sub.namespace, labels: parentLabels } };
  return { ...sub, subResource: '', operation, object: operation === 'DELETE' ? null : object, oldObject: object };
}

describe('subresource Locks (property)', () => {
  it('decide a subresource with its parent labels as the parent itself', () => {
    fc.assert(fc.property(fc.array(lockSpec, { minLength: 1, maxLength: 3 }), requestSpec, labels, (specs, spec, parentLabels) => {
      const locks = specs.map(toLock);
      const sub = subresourceRequest(spec);
      assert.deepEqual(checkLocks(locks, sub, NOW, { known: true, labels: parentLabels }), checkLocks(locks, parentRequest(sub, parentLabels), NOW));
    }), { numRuns: 2000 });
  });

  it('deny with unknown parent labels whatever known labels would deny', () => {
    fc.assert(fc.property(fc.array(lockSpec, { minLength: 1, maxLength: 3 }), requestSpec, labels, (specs, spec, parentLabels) => {
      const locks = specs.map(toLock);
      const sub = subresourceRequest(spec);
      if (checkLocks(locks, sub, NOW, { known: true, labels: parentLabels }).denied) {
        assert.equal(checkLocks(locks, sub, NOW, { known: false, problem: 'no answer' }).denied, true);
      }
    }), { numRuns: 2000 });
  });
});
