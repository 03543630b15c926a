// Ignore-paths and last-applied folding, and that Secret redaction still holds with folding on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdmissionReview } from '../../../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS, FOLDED_LAST_APPLIED_PREFIX, normaliseObject, parseIgnorePath } from '../../../src/admission/normalise.ts';
import { LAST_APPLIED_ANNOTATION } from '../../../src/admission/redact.ts';
import { decideCapture } from '../../../src/capture/record.ts';
import { compileIgnorePaths } from '../../../src/rules/rule-set.ts';
import { loadFixture } from '../../../harness/fixtures.ts';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const KEY = Buffer.alloc(32, 9);

describe('normalisation extras', () => {
  it('parses ignore-paths with quoted keys and indexes', () => {
    assert.deepEqual(parseIgnorePath('metadata.annotations["deployment.kubernetes.io/revision"]'), ['metadata', 'annotations', 'deployment.kubernetes.io/revision']);
    assert.deepEqual(parseIgnorePath("spec.template.spec.containers[0]['image']"), ['spec', 'template', 'spec', 'containers', 0, 'image']);
    assert.throws(() => parseIgnorePath('.spec'), /column 1/);
  });

  it('an apply shows the manifest change once: last-applied folds into one short line', () => {
    const { request } = parseAdmissionReview(loadFixture('deployment-apply-image.json'));
    const folded = decideCapture(request, { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: KEY, recordUnchanged: false }, NOW);
    const kept = decideCapture(request, { normalise: { ...DEFAULT_NORMALISE_OPTIONS, lastApplied: 'keep' }, redactionKey: KEY, recordUnchanged: false }, NOW);
    const dropped = decideCapture(request, { normalise: { ...DEFAULT_NORMALISE_OPTIONS, lastApplied: 'drop' }, redactionKey: KEY, recordUnchanged: false }, NOW);
    assert.ok(folded.record && kept.record && dropped.record);
    const lastAppliedOps = (patch: typeof folded.event.patch) => patch.filter((op) => op.path.includes('last-applied-configuration'));
    assert.equal(lastAppliedOps(kept.event.patch).length, 1);
    assert.ok(String((lastAppliedOps(kept.event.patch)[0] as { value: string }).value).length > 200);
    const [fold] = lastAppliedOps(folded.event.patch);
    assert.match(String((fold as { value: string }).value), new RegExp(`^${FOLDED_LAST_APPLIED_PREFIX}[0-9a-f]{16}$`));
    assert.deepEqual(lastAppliedOps(dropped.event.patch), []);
    assert.deepEqual(folded.event.patch.filter((op) => !op.path.includes('last-applied')), kept.event.patch.filter((op) => !op.path.includes('last-applied')));
  });

  it('a Secret keeps only a keyed fingerprint of its folded annotation, never the values', () => {
    const body = loadFixture('secret-update.json');
    const { request } = parseAdmissionReview(body);
    const decision = decideCapture(request, { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: KEY, recordUnchanged: false }, NOW);
    assert.ok(decision.record);
    const annotations = (decision.event.object['metadata'] as { annotations: Record<string, string> }).annotations;
    assert.match(annotations[LAST_APPLIED_ANNOTATION]!, /^redacted:hmac-sha256:/);
    const stored = JSON.stringify(decision.event);
    const stringData = JSON.parse((request.object!['metadata'] as { annotations: Record<string, string> }).annotations[LAST_APPLIED_ANNOTATION]!) as { stringData?: Record<string, string>; data?: Record<string, string> };
    for (const value of [...Object.values(stringData.stringData ?? {}), ...Object.values(stringData.data ?? {})]) assert.ok(!stored.includes(value));
    assert.ok(!stored.includes(FOLDED_LAST_APPLIED_PREFIX), 'the unkeyed digest is not stored');
  });

  it('drops user ignore-paths only on the kinds they name', () => {
    const [path] = compileIgnorePaths([{ kinds: ['Deployment'], apiGroups: ['apps'], paths: ['metadata.annotations["deployment.kubernetes.io/revision"]'] }]);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '3', team: 'a' } } };
    const options = { ...DEFAULT_NORMALISE_OPTIONS, ignorePaths: [path!] };
    assert.deepEqual(normaliseObject(deployment, options).metadata, { name: 'web', annotations: { team: 'a' } });
    assert.equal(deployment.metadata.annotations['deployment.kubernetes.io/revision'], '3', 'input untouched');
    const configMap = { ...deployment, apiVersion: 'v1', kind: 'ConfigMap' };
    assert.deepEqual(normaliseObject(configMap, options).metadata, configMap.metadata);
  });
  it('normalises an object once per options: a second call with the same options gets the same result', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', resourceVersion: '7' }, status: { replicas: 1 } };
    const first = normaliseObject(deployment, DEFAULT_NORMALISE_OPTIONS);
    assert.equal(normaliseObject(deployment, DEFAULT_NORMALISE_OPTIONS), first);
    const keepStatus = { ...DEFAULT_NORMALISE_OPTIONS, dropStatus: false };
    const other = normaliseObject(deployment, keepStatus);
    assert.notEqual(other, first);
    assert.deepEqual(other['status'], { replicas: 1 });
    assert.equal(first['status'], undefined);
    assert.deepEqual(normaliseObject({ ...deployment }, DEFAULT_NORMALISE_OPTIONS), first, 'an equal object, normalised apart, is equal');
  });
});
