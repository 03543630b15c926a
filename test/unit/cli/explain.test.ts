import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlameError } from '../../../src/cli/blame/errors.ts';
import { explain, forbiddenUser, rbacAdvice, type Doing } from '../../../src/cli/blame/explain.ts';
import { ApiError, UnreachableError, type KubeStatus } from '../../../src/cli/blame/kube-client.ts';

function apiError(code: number, message: string, reason = '', details?: KubeStatus['details']): ApiError {
  const status: KubeStatus = { kind: 'Status', code, message, reason, ...(details ? { details } : {}) };
  return new ApiError(code, '/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes', status, JSON.stringify(status));
}

function message(error: unknown, doing: Doing, context?: string): string {
  const explained = explain(error, doing, context);
  assert.ok(explained instanceof BlameError, String(explained));
  assert.equal(explained.exitCode, 1);
  return explained.message;
}

const LOGISTIS_403 = 'user "bob" cannot list changes.audit.logistis.io in namespace "demo"; ask for the logistis-viewer ClusterRole';

describe('explain: messages a person can act on', () => {
  it('403 on a namespace: who, where, and the RoleBinding to ask for', () => {
    assert.equal(
      message(apiError(403, LOGISTIS_403, 'Forbidden'), { what: 'changes', namespace: 'demo' }),
      'user "bob" is not allowed to read the changes logistis recorded in namespace "demo" (list changes.audit.logistis.io).\n' +
        'Ask a cluster admin for the logistis-viewer ClusterRole in namespace demo:\n' +
        '  kubectl create rolebinding blame-viewer --clusterrole=logistis-viewer --user=bob -n demo\n' +
        `(403 Forbidden: ${LOGISTIS_403})`,
    );
  });
  it('403 everywhere (-A) and on the overview: a ClusterRoleBinding, or one namespace', () => {
    const all = message(apiError(403, 'User "bob" cannot list resource "changes"', 'Forbidden'), { what: 'changes' });
    assert.match(all, /^user "bob" is not allowed to read the changes logistis recorded cluster-wide/);
    assert.match(all, /kubectl create clusterrolebinding blame-viewer-bob --clusterrole=logistis-viewer --user=bob\n/);
    assert.match(all, /-n NAMESPACE instead of -A/);
    const overview = message(apiError(403, 'forbidden'), { what: 'overview' });
    assert.match(overview, /^you are not allowed to read the changes logistis recorded cluster-wide/);
    assert.match(overview, /--user=YOUR-USER/);
    assert.match(overview, /kubectl blame -n NAMESPACE/);
  });
  it('404 from the API server: logistis is not installed, and how to check', () => {
    const text = message(apiError(404, 'the server could not find the requested resource', 'NotFound'), { what: 'changes', namespace: 'demo' });
    assert.equal(
      text,
      'logistis is not installed in this cluster: the API server has no audit.logistis.io/v1alpha1 ' +
        '(404 NotFound: the server could not find the requested resource).\nCheck with: kubectl get apiservice v1alpha1.audit.logistis.io',
    );
    assert.match(message(apiError(404, 'the server could not find the requested resource'), { what: 'overview' }), /not installed/);
  });
  it('a plain-text answer that names its status is not repeated', () => {
    const plain = new ApiError(404, '/apis/audit.logistis.io/v1alpha1/namespaces/demo/changes', undefined, '404 page not found');
    assert.match(message(plain, { what: 'changes', namespace: 'demo' }), /has no audit.logistis.io\/v1alpha1 \(404 page not found\)\.\n/);
  });
  it('503: registered but not reachable, and how to check', () => {
    const text = message(apiError(503, 'service unavailable', 'ServiceUnavailable'), { what: 'overview' });
    assert.match(text, /^logistis is registered but the API server cannot reach it \(503 ServiceUnavailable: service unavailable\)/);
    assert.match(text, /kubectl get apiservice v1alpha1.audit.logistis.io {2}\(AVAILABLE should be True/);
  });
  it('404 naming the change: no such change, and where IDs are', () => {
    const text = message(apiError(404, 'changes.audit.logistis.io "77" not found', 'NotFound'), { what: 'change', namespace: 'demo', id: '77' });
    assert.equal(text, 'no change "77" in namespace "demo": find its ID with -f diff or: kubectl get changes -n demo');
    assert.match(message(apiError(404, 'the server could not find the requested resource'), { what: 'change', namespace: 'demo', id: '77' }), /not installed/);
  });
  it('401: credentials, for which context', () => {
    assert.match(message(apiError(401, 'Unauthorized'), { what: 'overview' }, 'prod'), /did not accept your credentials \(401 Unauthorized\) for context "prod": log in again/);
  });
  it('400 from logistis: its own words', () => {
    assert.match(message(apiError(400, 'since: must be before until', 'BadRequest'), { what: 'changes' }), /logistis did not accept the query \(400 BadRequest: since: must be before until\)/);
  });
  it('objects: not found, forbidden', () => {
    assert.equal(message(apiError(404, 'deployments.apps "web" not found'), { what: 'object', type: 'deployments.apps', name: 'web', namespace: 'demo' }),
      'deployments.apps "web" not found in namespace "demo"');
    assert.match(message(apiError(403, 'forbidden'), { what: 'object', type: 'secrets', name: 's', namespace: 'demo' }), /^you may not read secrets\/s in namespace "demo"/);
  });
  it('an API server that does not answer', () => {
    assert.equal(
      message(new UnreachableError('https://10.0.0.1:6443', 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:6443'), { what: 'discovery' }, 'prod'),
      'cannot reach the Kubernetes API server at https://10.0.0.1:6443: ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:6443.\n' +
        'Check the context "prod" with: kubectl cluster-info',
    );
  });
  it('leaves other errors alone', () => {
    const bug = new TypeError('x is undefined');
    assert.equal(explain(bug, { what: 'overview' }), bug);
    const already = new BlameError('already clear');
    assert.equal(explain(already, { what: 'overview' }), already);
  });
});

describe('forbiddenUser and rbacAdvice', () => {
  it('reads the user from Kubernetes and logistis messages', () => {
    assert.equal(forbiddenUser('User "system:serviceaccount:ci:bot" cannot list resource "changes"'), 'system:serviceaccount:ci:bot');
    assert.equal(forbiddenUser(LOGISTIS_403), 'bob');
    assert.equal(forbiddenUser('forbidden'), undefined);
  });
  it('makes a valid binding name from any user name', () => {
    assert.match(rbacAdvice('system:serviceaccount:ci:bot', undefined), /clusterrolebinding blame-viewer-system-serviceaccount-ci-bot /);
  });
});
