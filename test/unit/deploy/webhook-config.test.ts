// Rendering the webhook registration from deploy/webhook (pure: template and settings in, object and YAML out).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { renderTemplate } from '../../../src/deploy/template.ts';
import { renderWebhookConfiguration, webhookTemplateValues, type ValidatingWebhookConfiguration } from '../../../src/deploy/webhook-config.ts';
import { DEFAULT_PRESETS } from '../../../src/rules/presets.ts';

describe('webhook configuration rendering', () => {
  const caBundlePem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  test('renders the template by URL', () => {
    const { object, yaml } = renderWebhookConfiguration({ url: 'https://127.0.0.1:9443/capture', caBundlePem });
    const hook = object.webhooks[0];
    assert.ok(hook);
    assert.equal(object.metadata.name, 'logistis');
    assert.equal(hook.name, 'capture.logistis.io');
    assert.deepEqual(hook.clientConfig, { url: 'https://127.0.0.1:9443/capture', caBundle: Buffer.from(caBundlePem).toString('base64') });
    assert.equal(hook.failurePolicy, 'Ignore');
    assert.equal(hook.sideEffects, 'NoneOnDryRun');
    assert.equal(hook.timeoutSeconds, 5);
    assert.deepEqual(hook.admissionReviewVersions, ['v1', 'v1beta1']);
    assert.doesNotMatch(yaml.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n'), /\{\{/);
  });

  test('renders a service reference with defaults', () => {
    const { object } = renderWebhookConfiguration({ service: { name: 'logistis', namespace: 'logistis-system' }, caBundlePem, timeoutSeconds: 2, configurationName: 'x' });
    assert.deepEqual(object.webhooks[0]?.clientConfig.service, { name: 'logistis', namespace: 'logistis-system', port: 443, path: '/capture' });
    assert.equal(object.webhooks[0]?.timeoutSeconds, 2);
    assert.equal(object.metadata.name, 'x');
  });

  test('rejects bad input with a message that says what to fix', () => {
    assert.throws(() => renderWebhookConfiguration({ caBundlePem }), /exactly one of url or service/);
    assert.throws(() => renderWebhookConfiguration({ url: 'http://127.0.0.1/capture', caBundlePem }), /must use https/);
    assert.throws(() => renderWebhookConfiguration({ url: 'https://127.0.0.1/capture', caBundlePem, timeoutSeconds: 31 }), /1 to 30/);
    assert.throws(() => renderWebhookConfiguration({ url: 'https://127.0.0.1/capture', caBundlePem: 'x' }), /PEM/);
    assert.throws(() => renderWebhookConfiguration({ url: 'https://h/c', caBundlePem, template: 'a: {{ .Values.nope | toJson }}' }), /no value for \.Values\.nope/);
    assert.throws(() => renderWebhookConfiguration({ url: 'https://h/c', caBundlePem, template: 'a: 1\nb: {{ include "x" . }}' }), /line 2: only .* placeholders/);
    assert.throws(() => renderWebhookConfiguration({ url: 'https://h/c', caBundlePem, template: 'a: {{- .Values.webhook.timeoutSeconds | toJson -}}' }), /only .* placeholders/);
  });

  test('refuses a placeholder inside a string, which only a text template could fill', () => {
    const template = 'a: "x-{{ .Values.webhook.timeoutSeconds | toJson }}"';
    assert.throws(() => renderWebhookConfiguration({ url: 'https://h/c', caBundlePem, template }), /line 1: a placeholder must be a whole value/);
  });

  test('fills placeholders as YAML values, leaving comments and values that look like placeholders alone', () => {
    const template = '# {{ not a placeholder }}\nname: {{ .Values.webhook.configurationName | toJson }}\nconfig: {{ .Values.webhook.clientConfig | toJson }}\n';
    const { yaml } = renderWebhookConfiguration({ url: 'https://h/{{x}}', caBundlePem, configurationName: '{{ y }}', template });
    assert.equal(yaml, `# {{ not a placeholder }}\nname: "{{ y }}"\nconfig:\n  url: https://h/{{x}}\n  caBundle: ${Buffer.from(caBundlePem).toString('base64')}\n`);
  });

  describe('the subresources that carry a security decision are registered, statuses and credentials are not', () => {
    const wanted = ['certificatesigningrequests/approval', 'namespaces/finalize', 'pods/ephemeralcontainers', 'pods/eviction'];
    const unwanted = ['*/status', 'certificatesigningrequests/status', 'serviceaccounts/token', 'pods/binding'];
    const resources = (configuration: ValidatingWebhookConfiguration) => configuration.webhooks.map((hook) => hook.rules.flatMap((rule) => rule.resources));
    const check = (configuration: ValidatingWebhookConfiguration) => {
      assert.ok(configuration.webhooks.length > 0);
      for (const list of resources(configuration)) {
        for (const resource of wanted) assert.ok(list.includes(resource), `${resource} in ${list.join(', ')}`);
        for (const resource of unwanted) assert.ok(!list.includes(resource), `${resource} in ${list.join(', ')}`);
      }
    };
    const file = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

    test('logistis webhook-config, with and without presets and strict Locks', () => {
      check(renderWebhookConfiguration({ url: 'https://127.0.0.1:9443/capture', caBundlePem }).object);
      check(renderWebhookConfiguration({ url: 'https://127.0.0.1:9443/capture', caBundlePem, presets: [...DEFAULT_PRESETS, 'exec'], strictLocks: true }).object);
    });

    test("the Helm chart's copy of the template", () => {
      const rendered = renderTemplate(file('deploy/helm/logistis/files/validating-webhook-configuration.yaml'), webhookTemplateValues({ url: 'https://h/capture', caBundlePem }));
      check(rendered.toJS() as ValidatingWebhookConfiguration);
    });

    test('the plain manifests (deploy/manifests/logistis.yaml)', () => {
      const documents = parseAllDocuments(file('deploy/manifests/logistis.yaml')).map((document) => document.toJS() as { kind?: string } | null);
      const configurations = documents.filter((document) => document?.kind === 'ValidatingWebhookConfiguration') as ValidatingWebhookConfiguration[];
      assert.equal(configurations.length, 1);
      check(configurations[0]!);
    });
  });
});
