// Which requests a Lock denies: one table, each row a Lock spec, a request and the expected answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdmissionRequest } from '../../../src/admission/review.ts';
import { parseLock, type Lock } from '../../../src/locks/lock.ts';
import { checkLocks, selectorMatches } from '../../../src/locks/match.ts';

const NOW = Date.parse('2026-06-12T12:00:00Z');

function lock(name: string, spec: Record<string, unknown>): Lock {
  const parsed = parseLock({ apiVersion: 'logistis.io/v1alpha1', kind: 'Lock', metadata: { name, generation: 1 }, spec: { reason: 'release freeze', ...spec } });
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.lock;
}

interface RequestSpec {
  user?: string;
  groups?: string[];
  operation?: AdmissionRequest['operation'];
  group?: string;
  resource?: string;
  subResource?: string;
  namespace?: string;
  name?: string;
  labels?: Record<string, string>;
  oldLabels?: Record<string, string>;
}

function request(spec: RequestSpec = {}): AdmissionRequest {
  const operation = spec.operation ?? 'UPDATE';
  const object = (labels: Record<string, string> | undefined) => ({ metadata: { name: spec.name ?? 'web', ...(labels ? { labels } : {}) } });
  return {
    uid: 'u-1',
    kind: { group: spec.group ?? 'apps', version: 'v1', kind: 'Deployment' },
    resource: { group: spec.group ?? 'apps', version: 'v1', resource: spec.resource ?? 'deployments' },
    subResource: spec.subResource ?? '',
    name: spec.name ?? 'web',
    namespace: spec.namespace ?? 'prod',
    operation,
    userInfo: { username: spec.user ?? 'bob', uid: '', groups: spec.groups ?? ['ops', 'system:authenticated'], extra: {} },
    object: operation === 'DELETE' ? null : object(spec.labels),
    oldObject: operation === 'CREATE' ? null : object(spec.oldLabels ?? spec.labels),
    dryRun: false,
    options: null,
  };
}

const prodForOps = { target: { namespaces: ['prod'] }, subjects: { groups: ['ops'] } };

const cases: { name: string; locks: Lock[]; request: AdmissionRequest; denied: string | false }[] = [
  { name: 'a group member in the locked namespace', locks: [lock('freeze-prod', prodForOps)], request: request(), denied: 'freeze-prod' },
  { name: 'someone outside the group', locks: [lock('freeze-prod', prodForOps)], request: request({ user: 'alice', groups: ['dev'] }), denied: false },
  { name: 'another namespace', locks: [lock('freeze-prod', prodForOps)], request: request({ namespace: 'staging' }), denied: false },
  { name: 'the Namespace object itself counts as in the namespace', locks: [lock('freeze-prod', prodForOps)], request: request({ group: '', resource: 'namespaces', namespace: '', name: 'prod', operation: 'DELETE' }), denied: 'freeze-prod' },
  { name: 'a cluster-scoped object under a namespace lock', locks: [lock('freeze-prod', prodForOps)], request: request({ group: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespace: '' }), denied: false },
  { name: 'no namespaces: cluster-scoped objects too', locks: [lock('all', { subjects: { groups: ['ops'] } })], request: request({ resource: 'clusterroles', namespace: '' }), denied: 'all' },
  { name: 'a user named directly', locks: [lock('bob', { subjects: { users: ['bob'] } })], request: request({ groups: [] }), denied: 'bob' },
  { name: 'one service account', locks: [lock('sa', { subjects: { serviceAccounts: [{ namespace: 'ci', name: 'deployer' }] } })], request: request({ user: 'system:serviceaccount:ci:deployer', groups: [] }), denied: 'sa' },
  { name: 'another service account of that namespace', locks: [lock('sa', { subjects: { serviceAccounts: [{ namespace: 'ci', name: 'deployer' }] } })], request: request({ user: 'system:serviceaccount:ci:other', groups: [] }), denied: false },
  { name: 'every service account of a namespace', locks: [lock('sa', { subjects: { serviceAccounts: [{ namespace: 'ci', name: '*' }] } })], request: request({ user: 'system:serviceaccount:ci:other', groups: [] }), denied: 'sa' },
  { name: 'a prefix of the namespace is not the namespace', locks: [lock('sa', { subjects: { serviceAccounts: [{ namespace: 'ci' }] } })], request: request({ user: 'system:serviceaccount:ci-2:x', groups: [] }), denied: false },
  { name: 'spared by the except group', locks: [lock('freeze-prod', { ...prodForOps, except: { groups: ['break-glass'] } })], request: request({ groups: ['ops', 'break-glass'] }), denied: false },
  { name: 'spared by the except user', locks: [lock('freeze-prod', { ...prodForOps, except: { users: ['bob'] } })], request: request(), denied: false },
  { name: 'the operation is not locked', locks: [lock('no-delete', { ...prodForOps, target: { namespaces: ['prod'], operations: ['DELETE'] } })], request: request(), denied: false },
  { name: 'the operation is locked', locks: [lock('no-delete', { ...prodForOps, target: { namespaces: ['prod'], operations: ['DELETE'] } })], request: request({ operation: 'DELETE' }), denied: 'no-delete' },
  { name: 'CONNECT is not locked unless the Lock names it', locks: [lock('freeze-prod', prodForOps)], request: request({ operation: 'CONNECT' }), denied: false },
  { name: 'CONNECT when the Lock names it', locks: [lock('no-exec', { ...prodForOps, target: { namespaces: ['prod'], operations: ['CONNECT'] } })], request: request({ operation: 'CONNECT' }), denied: 'no-exec' },
  { name: 'the resource in its group', locks: [lock('deploys', { ...prodForOps, target: { resources: [{ group: 'apps', resource: 'deployments' }] } })], request: request(), denied: 'deploys' },
  { name: 'the same resource name in another group', locks: [lock('deploys', { ...prodForOps, target: { resources: [{ group: 'apps', resource: 'deployments' }] } })], request: request({ group: 'example.com' }), denied: false },
  { name: 'a core resource (empty group)', locks: [lock('cm', { ...prodForOps, target: { resources: [{ resource: 'configmaps' }] } })], request: request({ group: '', resource: 'configmaps' }), denied: 'cm' },
  { name: 'any group with *', locks: [lock('any', { ...prodForOps, target: { resources: [{ group: '*', resource: 'deployments' }] } })], request: request({ group: 'example.com' }), denied: 'any' },
  { name: 'a subresource of a locked resource (kubectl scale)', locks: [lock('deploys', { ...prodForOps, target: { resources: [{ group: 'apps', resource: 'deployments' }] } })], request: request({ subResource: 'scale' }), denied: 'deploys' },
  { name: 'a named object', locks: [lock('web', { ...prodForOps, target: { names: ['web'] } })], request: request(), denied: 'web' },
  { name: 'another object', locks: [lock('web', { ...prodForOps, target: { names: ['web'] } })], request: request({ name: 'api' }), denied: false },
  { name: 'labels match the selector', locks: [lock('tier', { ...prodForOps, target: { selector: { matchLabels: { tier: 'db' } } } })], request: request({ labels: { tier: 'db' } }), denied: 'tier' },
  { name: 'labels do not match', locks: [lock('tier', { ...prodForOps, target: { selector: { matchLabels: { tier: 'db' } } } })], request: request({ labels: { tier: 'web' } }), denied: false },
  { name: 'removing the label does not escape the Lock', locks: [lock('tier', { ...prodForOps, target: { selector: { matchLabels: { tier: 'db' } } } })], request: request({ labels: {}, oldLabels: { tier: 'db' } }), denied: 'tier' },
  { name: 'a DELETE is matched on the old object', locks: [lock('tier', { ...prodForOps, target: { selector: { matchLabels: { tier: 'db' } } } })], request: request({ operation: 'DELETE', labels: { tier: 'db' } }), denied: 'tier' },
  { name: 'not yet expired', locks: [lock('soon', { ...prodForOps, expires: '2026-06-12T12:00:01Z' })], request: request(), denied: 'soon' },
  { name: 'expired', locks: [lock('past', { ...prodForOps, expires: '2026-06-12T12:00:00Z' })], request: request(), denied: false },
  { name: 'the first Lock by name when several deny', locks: [lock('b-lock', prodForOps), lock('a-lock', prodForOps)], request: request(), denied: 'a-lock' },
  { name: 'a Lock that spares you does not stop another from denying', locks: [lock('a', { ...prodForOps, except: { users: ['bob'] } }), lock('b', prodForOps)], request: request(), denied: 'b' },
  { name: 'system:masters may always change Locks, even under a Lock on everything', locks: [lock('everything', { subjects: { groups: ['system:authenticated'] } })], request: request({ user: 'admin', groups: ['system:masters', 'system:authenticated'], group: 'logistis.io', resource: 'locks', namespace: '', name: 'everything', operation: 'DELETE' }), denied: false },
  { name: 'system:masters is not spared other objects', locks: [lock('everything', { subjects: { groups: ['system:authenticated'] } })], request: request({ user: 'admin', groups: ['system:masters', 'system:authenticated'] }), denied: 'everything' },
  { name: 'the except list may delete its Lock even when another Lock covers Locks', locks: [lock('everything', { subjects: { groups: ['system:authenticated'] } }), lock('freeze', { ...prodForOps, except: { groups: ['break-glass'] } })], request: request({ user: 'carol', groups: ['break-glass', 'system:authenticated'], group: 'logistis.io', resource: 'locks', namespace: '', name: 'freeze', operation: 'DELETE' }), denied: false },
  { name: 'others may not delete a Lock that covers Locks', locks: [lock('everything', { subjects: { groups: ['system:authenticated'] } })], request: request({ group: 'logistis.io', resource: 'locks', namespace: '', name: 'everything', operation: 'DELETE' }), denied: 'everything' },
];

describe('checkLocks', () => {
  for (const c of cases) {
    it(`${c.denied ? 'denies' : 'allows'}: ${c.name}`, () => {
      const decision = checkLocks(c.locks, c.request, NOW);
      assert.equal(decision.denied ? decision.lock : false, c.denied);
    });
  }

  it('says which Lock and why', () => {
    const decision = checkLocks([lock('freeze-prod', { ...prodForOps, reason: 'release freeze until 18:00 UTC (ask #platform)' })], request(), NOW);
    assert.deepEqual(decision, { denied: true, lock: 'freeze-prod', message: 'locked by Lock "freeze-prod": release freeze until 18:00 UTC (ask #platform)' });
  });

  it('allows everything without Locks', () => {
    assert.deepEqual(checkLocks([], request(), NOW), { denied: false });
  });
});

describe('label selectors', () => {
  const labels = { tier: 'db', env: 'prod' };
  const table: [string, Record<string, unknown>, boolean][] = [
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'cache'] }] }, true],
    ['In, value absent', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, true],
    ['NotIn, key missing', { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, false],
    ['matchLabels and expressions together', { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, false],
    ['empty selector matches everything', {}, true],
  ];
  for (const [name, selector, expected] of table) {
    it(name, () => {
      const parsed = lock('s', { subjects: { users: ['x'] }, target: { selector } });
      assert.equal(selectorMatches(parsed.target.selector!, labels), expected);
    });
  }
});
