// The strict Locks webhook entry: a copy of the capture entry that fails closed, asks /locks/check, and is limited
// to labelled namespaces and to what a Lock may deny (never system:masters, never Locks, never cluster-scoped).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseAdmissionReview } from '../../../src/admission/review.ts';
import { parseStrictLocksOverlay, renderWebhookConfiguration, STRICT_LOCKS_WEBHOOK_NAME } from '../../../src/deploy/webhook-config.ts';
import { compileCel } from '../../../src/rules/cel.ts';
import type { ValidatingWebhookConfiguration } from '../../../src/deploy/webhook-config.ts';
import { loadFixture } from '../../../harness/fixtures.ts';
import { testCertificate } from '../../../harness/tls.ts';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('the strict Locks webhook entry', () => {
  it('is off unless asked for', () => {
    const { object } = renderWebhookConfiguration({ url: 'https://127.0.0.1:8443/capture', caBundlePem: CA_PEM });
    assert.deepEqual(object.webhooks.map((webhook) => webhook.name), ['capture.logistis.io']);
  });

  it('copies the capture entry, fails closed, asks /locks/check and only in labelled namespaces', () => {
    const { object, yaml } = renderWebhookConfiguration({ url: 'https://127.0.0.1:8443/capture', caBundlePem: CA_PEM, strictLocks: true, presets: ['nodes'] });
    assert.match(yaml, /# Which requests:/, 'the template comments are kept');
    const [capture, strict] = object.webhooks;
    assert.ok(capture && strict);
    assert.equal(strict.name, STRICT_LOCKS_WEBHOOK_NAME);
    assert.equal(capture.failurePolicy, 'Ignore', 'capture stays fail-open');
    assert.equal(strict.failurePolicy, 'Fail');
    assert.equal(strict.sideEffects, 'None');
    assert.equal(capture.clientConfig.url, 'https://127.0.0.1:8443/capture');
    assert.deepEqual(strict.clientConfig, { url: 'https://127.0.0.1:8443/locks/check', caBundle: capture.clientConfig.caBundle });
    assert.deepEqual(strict.namespaceSelector, { matchLabels: { 'logistis.io/strict-locks': 'true' } });
    assert.equal(capture.namespaceSelector, undefined);
    assert.deepEqual(strict.rules, capture.rules);
    assert.deepEqual(strict.matchConditions.slice(0, capture.matchConditions.length), capture.matchConditions, 'the capture noise and presets stay out');
    assert.ok(capture.matchConditions.some((condition) => condition.name === 'not-preset-nodes'));
  });

  it('swaps the path of a service reference', () => {
    const { object } = renderWebhookConfiguration({ service: { name: 'logistis', namespace: 'logistis-system' }, caBundlePem: CA_PEM, strictLocks: true });
    assert.deepEqual(object.webhooks[1]?.clientConfig.service, { name: 'logistis', namespace: 'logistis-system', port: 443, path: '/locks/check' });
  });

  it('its own matchConditions spare system:masters, Locks and cluster-scoped objects', () => {
    const { object } = renderWebhookConfiguration({ url: 'https://127.0.0.1:8443/capture', caBundlePem: CA_PEM, strictLocks: true });
    const conditions = object.webhooks[1]!.matchConditions.map((condition) => compileCel(condition.expression, condition.name));
    const called = (change: (request: Record<string, unknown>) => void) => {
      const review = structuredClone(loadFixture('deployment-scale.json'));
      change(review.request);
      const { request } = parseAdmissionReview(review);
      return conditions.every((condition) => condition({ request, object: request.object, oldObject: request.oldObject }) === true);
    };
    assert.equal(called((r) => { r['userInfo'] = { username: 'bob', groups: ['ops', 'system:authenticated'] }; }), true, "bob's change is checked");
    assert.equal(called((r) => { r['userInfo'] = { username: 'admin', groups: ['system:masters', 'system:authenticated'] }; }), false);
    assert.equal(called((r) => { r['userInfo'] = { username: 'anonymous' }; }), true, 'no groups is no error');
    assert.equal(called((r) => {
      r['userInfo'] = { username: 'bob', groups: ['ops'] };
      r['resource'] = { group: 'logistis.io', version: 'v1alpha1', resource: 'locks' };
      r['namespace'] = 'prod';
    }), false, 'a Lock never waits on logistis');
    assert.equal(called((r) => {
      r['userInfo'] = { username: 'bob', groups: ['ops'] };
      delete r['namespace'];
    }), false, 'cluster-scoped objects are left to the capture entry');
  });

  it('logistis webhook-config --strict-locks prints both entries', async () => {
    const { caFile } = await testCertificate(mkdtempSync(join(tmpdir(), 'logistis-strict-')));
    const entry = fileURLToPath(new URL('../../../src/cli/logistis.ts', import.meta.url));
    const run = (extra: string[]) => spawnSync(process.execPath, [entry, 'webhook-config', '--ca-file', caFile, '--service', 'logistis-system/logistis', ...extra], { encoding: 'utf8', timeout: 20_000 });
    const strict = run(['--strict-locks']);
    assert.equal(strict.status, 0, strict.stderr);
    const webhooks = (parse(strict.stdout) as ValidatingWebhookConfiguration).webhooks;
    assert.deepEqual(webhooks.map((webhook) => [webhook.name, webhook.failurePolicy, webhook.clientConfig.service?.path]),
      [['capture.logistis.io', 'Ignore', '/capture'], ['strict-locks.logistis.io', 'Fail', '/locks/check']]);
    assert.equal((parse(run([]).stdout) as ValidatingWebhookConfiguration).webhooks.length, 1);
  });

  it('refuses a broken overlay with a message', () => {
    assert.throws(() => parseStrictLocksOverlay('name: x\n'), /path must be a string/);
    assert.throws(() => parseStrictLocksOverlay('name: x\npath: /p\nfailurePolicy: Fail\nsideEffects: None\n'), /namespaceSelector/);
  });
});
