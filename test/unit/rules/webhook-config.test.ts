// `logistis webhook-config`: presets that need no object become matchConditions; exec adds CONNECT.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { compileCel } from '../../../src/rules/cel.ts';
import { parseAdmissionReview } from '../../../src/admission/review.ts';
import { presetMatchConditions } from '../../../src/rules/match-conditions.ts';
import { DEFAULT_PRESETS } from '../../../src/rules/presets.ts';
import type { ValidatingWebhookConfiguration } from '../../../src/deploy/webhook-config.ts';
import { loadFixture } from '../../../harness/fixtures.ts';
import { testCertificate } from '../../../harness/tls.ts';

const ENTRY = fileURLToPath(new URL('../../../src/cli/logistis.ts', import.meta.url));

describe('logistis webhook-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-webhook-'));
  let caFile = '';
  before(async () => {
    caFile = (await testCertificate(dir)).caFile;
  });
  const render = (args: string[]) => spawnSync(process.execPath, [ENTRY, 'webhook-config', '--ca-file', caFile, '--url', 'https://127.0.0.1:8443/capture', ...args], { encoding: 'utf8', timeout: 20_000 });

  it('adds the request-only presets as matchConditions, and CONNECT on pod exec/attach/portforward for exec', () => {
    const result = render(['--capture-presets', `${DEFAULT_PRESETS.join(',')},exec`]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /# Which requests:/, 'the template comments are kept');
    const webhook = (parse(result.stdout) as ValidatingWebhookConfiguration).webhooks[0]!;
    const names = webhook.matchConditions.map((condition) => condition.name);
    assert.deepEqual(names.filter((name) => name.startsWith('not-preset-')), ['not-preset-system-controllers', 'not-preset-nodes', 'not-preset-hpa-scale']);
    assert.deepEqual(webhook.rules[1], { apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], operations: ['CONNECT'], scope: 'Namespaced' });
  });

  it('keeps the presets in the server when the rules file includes something', () => {
    const rules = join(dir, 'rules.yaml');
    writeFileSync(rules, 'rules:\n  - {name: keep-kube-system, action: include, namespaces: [kube-system]}\n');
    const webhook = (parse(render(['--rules', rules]).stdout) as ValidatingWebhookConfiguration).webhooks[0]!;
    assert.ok(!webhook.matchConditions.some((condition) => condition.name.startsWith('not-preset-')));
    assert.equal(webhook.rules.length, 1);
  });

  it('the matchConditions mean what the presets mean, on recorded reviews', () => {
    const conditions = presetMatchConditions(DEFAULT_PRESETS, false).map((condition) => compileCel(condition.expression, condition.name));
    const called = (change: (request: Record<string, unknown>) => void) => {
      const review = structuredClone(loadFixture('deployment-scale.json'));
      change(review.request);
      const { request } = parseAdmissionReview(review);
      return conditions.every((condition) => condition({ request, object: request.object, oldObject: request.oldObject }) === true);
    };
    assert.equal(called(() => {}), true, "a person's scale reaches the webhook");
    assert.equal(called((r) => { r['userInfo'] = { username: 'system:serviceaccount:kube-system:horizontal-pod-autoscaler' }; }), false);
    assert.equal(called((r) => { r['userInfo'] = { username: 'system:node:n1' }; }), false);
    assert.equal(called((r) => { r['userInfo'] = { username: 'system:serviceaccount:default:app' }; }), true);
  });
});
