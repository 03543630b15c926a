import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionInputError, buildAdmissionResponse, parseAdmissionReview } from '../../../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS, normaliseObject } from '../../../src/admission/normalise.ts';
import { isSecret, redactSecret } from '../../../src/admission/redact.ts';
import { applyPatch } from '../../../src/admission/patch.ts';
import { decideCapture, type CaptureSettings } from '../../../src/capture/record.ts';
import type { JsonObject } from '../../../src/event.ts';
import { fixtureNames, loadFixture } from '../../support/fixtures.ts';

const settings: CaptureSettings = {
  normalise: DEFAULT_NORMALISE_OPTIONS,
  redactionKey: Buffer.alloc(32, 7),
  recordUnchanged: false,
};
const NOW = new Date('2026-11-26T12:00:00.000Z');
const NOISE = /managedFields|resourceVersion|\/generation|^\/status/;

function prepared(object: JsonObject | null, secret: boolean): JsonObject {
  if (!object) return {};
  const normalised = normaliseObject(object);
  return secret ? redactSecret(normalised, settings.redactionKey) : normalised;
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
      const before = review.request.operation === 'CREATE' ? {} : prepared(review.request.oldObject, secret);
      const after = review.request.operation === 'DELETE' ? {} : prepared(review.request.object, secret);
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
    const redacted = redactSecret(secret, key) as { data: Record<string, string>; stringData: Record<string, string> };
    assert.equal(redacted.data['a'], redacted.stringData['a']);
    const other = redactSecret(secret, Buffer.alloc(32, 2)) as { data: Record<string, string> };
    assert.notEqual(other.data['a'], redacted.data['a']);
  });

  it('an unreadable last-applied annotation is replaced whole', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{not json "topsecret"' } } };
    const text = JSON.stringify(redactSecret(secret, settings.redactionKey));
    assert.ok(!text.includes('topsecret'));
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
