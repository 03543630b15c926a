import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionInputError, buildAdmissionResponse, parseAdmissionReview } from '../../../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS, normaliseObject } from '../../../src/admission/normalise.ts';
import { isSecret, redactSecret } from '../../../src/admission/redact.ts';
import { REDACTED_CREDENTIAL, redactCredentialFields } from '../../../src/admission/credentials.ts';
import { applyPatch } from '../../../src/history/patch.ts';
import { decideCapture, type CaptureSettings } from '../../../src/capture/record.ts';
import type { JsonObject } from '../../../src/event.ts';
import { fixtureNames, loadFixture } from '../../../harness/fixtures.ts';

const settings: CaptureSettings = {
  normalise: DEFAULT_NORMALISE_OPTIONS,
  redactionKey: Buffer.alloc(32, 7),
  recordUnchanged: false,
};
const NOW = new Date('2026-11-26T12:00:00.000Z');
const NOISE = /managedFields|resourceVersion|\/generation|^\/status/;

function prepared(object: JsonObject | null, secret: boolean, identity = { namespace: '', name: '' }): JsonObject {
  if (!object) return {};
  const normalised = normaliseObject(object);
  return secret ? redactSecret(normalised, settings.redactionKey, identity) : normalised;
}

describe('AdmissionReview fixtures', () => {
  for (const name of fixtureNames()) {
    it(`${name}: parses, answers with the same apiVersion and uid, and records a patch that replays`, () => {
      const body = loadFixture(name);
      const review = parseAdmissionReview(body);
      assert.equal(review.apiVersion, body.apiVersion);
      const answer = buildAdmissionResponse(review.apiVersion, review.request.uid, { allowed: true });
      assert.deepEqual(answer, { apiVersion: body.apiVersion, kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true } });

      const decision = decideCapture(review.request, settings, NOW);
      if (!decision.record) {
        assert.ok(review.request.dryRun || review.request.operation === 'CONNECT' || decision.reason === 'unchanged', `${name} skipped: ${decision.reason}`);
        return;
      }
      const { event } = decision;
      const secret = isSecret(review.request.object ?? review.request.oldObject, review.request.kind);
      const objectName = (review.request.object?.['metadata'] as JsonObject | undefined)?.['name'];
      const identity = { namespace: review.request.namespace, name: review.request.name || (typeof objectName === 'string' ? objectName : '') };
      const before = review.request.operation === 'CREATE' ? {} : prepared(review.request.oldObject, secret, identity);
      const after = review.request.operation === 'DELETE' ? {} : prepared(review.request.object, secret, identity);
      assert.deepEqual(applyPatch(before, event.patch), after, 'applying the patch to the previous object gives the new one');
      for (const operation of event.patch) assert.doesNotMatch(operation.path, NOISE, `noise in patch: ${operation.path}`);
      assert.doesNotMatch(JSON.stringify(event.object), /managedFields|resourceVersion/);
      assert.equal(event.user.username, review.request.userInfo.username);
      assert.deepEqual(event.user.groups, review.request.userInfo.groups);
      assert.equal(event.time, NOW.toISOString());
      assert.equal(event.requestUid, review.request.uid);
      if (review.request.operation === 'DELETE') assert.deepEqual(event.object, before);
    });
  }
});

describe('credentials', () => {
  const review = (group: string, version: string, kind: string, resource: string, subResource: string, object: JsonObject) => {
    const body = loadFixture('configmap-create');
    body.request = {
      ...body.request, kind: { group, version, kind }, resource: { group: resource === 'serviceaccounts' ? '' : group, version, resource },
      requestKind: { group, version, kind }, subResource, object,
    };
    return parseAdmissionReview(body).request;
  };
  const reviewKinds: [string, string, string, string][] = [
    ['authentication.k8s.io', 'TokenReview', 'tokenreviews', ''],
    ['authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews', ''],
    ['authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews', ''],
    ['authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', ''],
    ['authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', ''],
    ['authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', ''],
    ['authentication.k8s.io', 'TokenRequest', 'serviceaccounts', 'token'],
  ];
  for (const [group, kind, resource, subResource] of reviewKinds) {
    it(`never records a ${kind}${subResource ? ` (${resource}/${subResource})` : ''}`, () => {
      const object = { apiVersion: `${group}/v1`, kind, metadata: { name: 'x', namespace: 'demo' }, spec: { token: 'eyJhbGciOiJSUzI1NiJ9.secret-token' } };
      assert.deepEqual(decideCapture(review(group, 'v1', kind, resource, subResource, object), settings, NOW), { record: false, reason: 'credential-review' });
    });
  }

  it('redacts the listed credential fields wherever such a kind is stored', () => {
    const object = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'sa' }, spec: { audiences: ['api'] }, status: { token: 'eyJ.secret-token' } };
    const redacted = redactCredentialFields(object, { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' });
    assert.deepEqual(redacted, { ...object, status: { token: REDACTED_CREDENTIAL } });
    assert.equal(object.status.token, 'eyJ.secret-token', 'the input is not changed');
    assert.deepEqual(redactCredentialFields(object, { group: '', version: 'v1', kind: 'ConfigMap' }), object, 'other kinds keep their fields');
  });

  it('a real Secret captured in two namespaces: equal values, different fingerprints; its own update still shows', () => {
    const created = parseAdmissionReview(loadFixture('secret-create-generic')).request;
    const elsewhere = parseAdmissionReview({ ...loadFixture('secret-create-generic'), request: { ...loadFixture('secret-create-generic').request, namespace: 'other' } }).request;
    const one = decideCapture(created, settings, NOW);
    const two = decideCapture(elsewhere, settings, NOW);
    assert.ok(one.record && two.record);
    const data = (decision: typeof one) => (decision.record ? decision.event.object['data'] : undefined) as Record<string, string>;
    const keys = Object.keys(data(one));
    assert.ok(keys.length > 0);
    for (const key of keys) assert.notEqual(data(one)[key], data(two)[key], key);
    const update = decideCapture(parseAdmissionReview(loadFixture('secret-update')).request, settings, NOW);
    assert.ok(update.record);
    assert.ok(update.event.patch.some((operation) => operation.path === '/data/password'));
  });
});

describe('capture decisions', () => {
  it('skips dry-run requests', () => {
    const decision = decideCapture(parseAdmissionReview(loadFixture('deployment-dry-run')).request, settings, NOW);
    assert.deepEqual(decision, { record: false, reason: 'dry-run' });
  });

  it('skips CONNECT', () => {
    const body = loadFixture('deployment-create');
    body.request['operation'] = 'CONNECT';
    assert.deepEqual(decideCapture(parseAdmissionReview(body).request, settings, NOW), { record: false, reason: 'connect' });
  });

  it('skips status-only churn, unless asked to record unchanged updates', () => {
    const request = parseAdmissionReview(loadFixture('deployment-status-only')).request;
    assert.deepEqual(decideCapture(request, settings, NOW), { record: false, reason: 'unchanged' });
    const recorded = decideCapture(request, { ...settings, recordUnchanged: true }, NOW);
    assert.ok(recorded.record);
    assert.deepEqual(recorded.event.patch, []);
  });

  it('records a scale as one replace of /spec/replicas, old to new', () => {
    const decision = decideCapture(parseAdmissionReview(loadFixture('deployment-scale')).request, settings, NOW);
    assert.ok(decision.record);
    assert.deepEqual(decision.event.patch, [{ op: 'replace', path: '/spec/replicas', value: 3 }]);
    assert.equal(decision.event.fieldManager, '', 'kubectl scale names no field manager');
    assert.equal(decision.event.subresource, 'scale');
  });

  it('keeps status and managedFields when normalising is switched off', () => {
    const request = parseAdmissionReview(loadFixture('deployment-status-only')).request;
    const decision = decideCapture(request, { ...settings, normalise: { ...DEFAULT_NORMALISE_OPTIONS, dropStatus: false } }, NOW);
    assert.ok(decision.record);
    assert.deepEqual(decision.event.patch.map((operation) => operation.path).sort(), ['/status/observedGeneration', '/status/readyReplicas', '/status/replicas']);
  });
});

describe('Secret redaction', () => {
  const values = ['hunter2-old-value', 's3cr3t-new-value', 'db-user-q7z'];
  const encodings = (value: string) => [value, Buffer.from(value).toString('base64')];

  it('no value, plain or base64, survives in the event', () => {
    const decision = decideCapture(parseAdmissionReview(loadFixture('secret-update')).request, settings, NOW);
    assert.ok(decision.record);
    const text = JSON.stringify(decision.event);
    for (const value of values) for (const encoded of encodings(value)) assert.ok(!text.includes(encoded), `found ${encoded}`);
  });

  it('a changed value shows as a changed fingerprint, an unchanged one does not change', () => {
    const decision = decideCapture(parseAdmissionReview(loadFixture('secret-update')).request, settings, NOW);
    assert.ok(decision.record);
    const paths = decision.event.patch.map((operation) => operation.path);
    assert.ok(paths.includes('/data/password'));
    assert.ok(!paths.includes('/data/user'));
    const data = decision.event.object['data'] as Record<string, string>;
    assert.match(data['password']!, /^redacted:hmac-sha256:[0-9a-f]{24}$/);
  });

  it('data and stringData of the same bytes get the same fingerprint; another key gives another', () => {
    const key = Buffer.alloc(32, 1);
    const secret = { apiVersion: 'v1', kind: 'Secret', data: { a: Buffer.from('x').toString('base64') }, stringData: { a: 'x' } };
    const identity = { namespace: 'ns', name: 'db' };
    const redacted = redactSecret(secret, key, identity) as { data: Record<string, string>; stringData: Record<string, string> };
    assert.equal(redacted.data['a'], redacted.stringData['a']);
    const other = redactSecret(secret, Buffer.alloc(32, 2), identity) as { data: Record<string, string> };
    assert.notEqual(other.data['a'], redacted.data['a']);
  });

  it('equal values in different Secrets get different fingerprints; one Secret keeps its own', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', data: { password: Buffer.from('same-value').toString('base64') } };
    const of = (namespace: string, name: string) => (redactSecret(secret, settings.redactionKey, { namespace, name }) as { data: Record<string, string> }).data['password'];
    assert.equal(of('team-a', 'db'), of('team-a', 'db'));
    assert.notEqual(of('team-a', 'db'), of('team-b', 'db'), 'same name, other namespace');
    assert.notEqual(of('team-a', 'db'), of('team-a', 'api'), 'same namespace, other name');
    // No confusion between a namespace/name split at another place.
    assert.notEqual(of('a', 'bc'), of('ab', 'c'));
  });

  it('an unreadable last-applied annotation is replaced whole', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{not json "topsecret"' } } };
    const text = JSON.stringify(redactSecret(secret, settings.redactionKey, { namespace: 'ns', name: 's' }));
    assert.ok(!text.includes('topsecret'));
  });

  it('a last-applied annotation that is not a JSON object (folded, plain text) becomes one fingerprint; a JSON one keeps its keys', () => {
    const annotation = 'kubectl.kubernetes.io/last-applied-configuration';
    const redact = (text: string) => (redactSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { annotations: { [annotation]: text } } },
      settings.redactionKey, { namespace: 'ns', name: 's' }) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[annotation]!;
    assert.match(redact('folded:sha256:0123456789abcdef'), /^redacted:hmac-sha256:[0-9a-f]{24}$/);
    assert.match(redact('topsecret plain'), /^redacted:hmac-sha256:[0-9a-f]{24}$/);
    assert.notEqual(redact('topsecret plain'), redact('other plain'));
    const json = JSON.parse(redact('  {"apiVersion":"v1","kind":"Secret","data":{"password":"dG9wc2VjcmV0"}}')) as { data: Record<string, string> };
    assert.match(json.data['password']!, /^redacted:hmac-sha256:/);
  });
});

describe('bad AdmissionReviews', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /JSON object/],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod' }, /kind must be/],
    ['unknown apiVersion', { apiVersion: 'admission.k8s.io/v2', kind: 'AdmissionReview', request: {} }, /apiVersion must be/],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request is missing/],
    ['no uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }, /uid is missing/],
    ['bad operation', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'PATCH' } }, /operation must be/],
    ['no kind', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE' } }, /request.kind is missing/],
    ['groups not a list', {
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: { uid: 'u', operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, userInfo: { groups: 'x' } },
    }, /groups must be a list/],
  ];
  for (const [label, body, message] of cases) {
    it(`rejects ${label}`, () => {
      assert.throws(() => parseAdmissionReview(body), (error: Error) => error instanceof AdmissionInputError && message.test(error.message));
    });
  }
});
