// The operator-reconcile preset never hides a change to an always-recorded label or annotation (pod security, RBAC
// aggregation, ingress snippets, cloud identities, CA injection, Kubernetes' keys on namespaces): one row per entry
// of ALWAYS_RECORDED_METADATA, over AdmissionReviews shaped like the API server's (test/fixtures/always-recorded).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAdmissionReview, type AdmissionRequest } from '../../../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { RuleCompileError } from '../../../src/rules/cel.ts';
import { compileRuleSet, EMPTY_RULES_DOCUMENT, parseRulesDocument } from '../../../src/rules/rule-set.ts';
import { ALWAYS_RECORDED_METADATA, DEFAULT_PRESETS } from '../../../src/rules/presets.ts';

type Metadata = { labels?: Record<string, string>; annotations?: Record<string, string> };
type Change = (before: Metadata, after: Metadata) => void;

function loadReview(fixture: string): { request: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../../fixtures/always-recorded/${fixture}`, import.meta.url), 'utf8')) as { request: Record<string, unknown> };
}

/** The fixture as recorded (`change` absent), or with its metadata change replaced by `change`. */
function request(fixture: string, change?: Change): AdmissionRequest {
  const review = loadReview(fixture);
  if (change) {
    const before = (review.request['oldObject'] as { metadata: Metadata }).metadata;
    const after = (review.request['object'] as { metadata: Metadata }).metadata;
    after.labels = structuredClone(before.labels);
    after.annotations = structuredClone(before.annotations);
    change(before, after);
  }
  return parseAdmissionReview(review).request;
}

const setLabel = (key: string, value = 'true'): Change => (_before, after) => { after.labels = { ...after.labels, [key]: value }; };
const setAnnotation = (key: string, value = 'x'): Change => (_before, after) => { after.annotations = { ...after.annotations, [key]: value }; };
const removeLabel = (key: string): Change => (before, after) => {
  before.labels = { ...before.labels, [key]: 'v1' };
  after.labels = { ...after.labels };
  delete after.labels[key];
};

interface Row {
  /** The ALWAYS_RECORDED_METADATA pattern the row proves (every one needs a row). */
  pattern: string;
  title: string;
  request: AdmissionRequest;
}

const rows: Row[] = [
  { pattern: 'pod-security.kubernetes.io/*', title: 'a Namespace enforce level lowered to privileged', request: request('namespace-pod-security.json') },
  { pattern: 'pod-security.kubernetes.io/*', title: 'a pod-security label removed', request: request('namespace-pod-security.json', removeLabel('pod-security.kubernetes.io/audit')) },
  { pattern: 'pod-security.kubernetes.io/*', title: 'a pod-security annotation (exemption note) on a Namespace', request: request('namespace-pod-security.json', setAnnotation('pod-security.kubernetes.io/exempt', 'true')) },
  { pattern: 'rbac.authorization.k8s.io/aggregate-to-*', title: 'a ClusterRole joins admin through its aggregation label', request: request('clusterrole-aggregate-to-admin.json') },
  { pattern: 'rbac.authorization.k8s.io/aggregate-to-*', title: 'a ClusterRole joins a custom aggregated role', request: request('clusterrole-aggregate-to-admin.json', setLabel('rbac.authorization.k8s.io/aggregate-to-monitoring')) },
  { pattern: 'nginx.ingress.kubernetes.io/*snippet*', title: 'an Ingress gains a server-snippet', request: request('ingress-server-snippet.json') },
  { pattern: 'nginx.ingress.kubernetes.io/*snippet*', title: 'an Ingress gains a configuration-snippet', request: request('ingress-server-snippet.json', setAnnotation('nginx.ingress.kubernetes.io/configuration-snippet', 'more_set_headers "X-A: b";')) },
  { pattern: 'nginx.ingress.kubernetes.io/*snippet*', title: 'an Ingress gains an auth-snippet', request: request('ingress-server-snippet.json', setAnnotation('nginx.ingress.kubernetes.io/auth-snippet', 'proxy_set_header X: y;')) },
  { pattern: 'nginx.org/*-snippets', title: "an Ingress gains NGINX Inc.'s server-snippets", request: request('ingress-server-snippet.json', setAnnotation('nginx.org/server-snippets', 'location /x {}')) },
  { pattern: 'eks.amazonaws.com/role-arn', title: "a ServiceAccount's IAM role changed", request: request('serviceaccount-role-arn.json') },
  { pattern: 'iam.gke.io/gcp-service-account', title: 'a ServiceAccount bound to a GCP service account', request: request('serviceaccount-role-arn.json', setAnnotation('iam.gke.io/gcp-service-account', 'admin@project.iam.gserviceaccount.com')) },
  { pattern: 'azure.workload.identity/*', title: 'a ServiceAccount bound to an Azure identity', request: request('serviceaccount-role-arn.json', setAnnotation('azure.workload.identity/client-id', '6c6a1f4e-0000-4d2b-9c1a-2f0e6c3b1a77')) },
  { pattern: 'azure.workload.identity/*', title: 'the Azure workload identity label', request: request('serviceaccount-role-arn.json', setLabel('azure.workload.identity/use')) },
  { pattern: 'kubernetes.io/service-account.*', title: 'a token Secret moved to another service account', request: request('serviceaccount-role-arn.json', setAnnotation('kubernetes.io/service-account.name', 'cluster-admin-sa')) },
  { pattern: 'cert-manager.io/inject-ca-from*', title: "a webhook's injected CA pointed at another Certificate", request: request('validatingwebhook-inject-ca.json') },
  { pattern: 'cert-manager.io/inject-ca-from*', title: "a webhook's injected CA taken from a Secret", request: request('validatingwebhook-inject-ca.json', setAnnotation('cert-manager.io/inject-ca-from-secret', 'attacker/ca')) },
  { pattern: 'cert-manager.io/inject-apiserver-ca', title: "the API server's CA injected", request: request('validatingwebhook-inject-ca.json', setAnnotation('cert-manager.io/inject-apiserver-ca', 'true')) },
  { pattern: 'kubernetes.io/*', title: 'a kubernetes.io label on a Namespace', request: request('namespace-pod-security.json', setLabel('kubernetes.io/cluster-service')) },
  { pattern: '*.kubernetes.io/*', title: "a Namespace's default node selector", request: request('namespace-pod-security.json', setAnnotation('scheduler.alpha.kubernetes.io/node-selector', 'node-role.kubernetes.io/control-plane=')) },
  { pattern: '*.kubernetes.io/*', title: 'a *.kubernetes.io label removed from a Namespace', request: request('namespace-pod-security.json', removeLabel('node-restriction.kubernetes.io/zone')) },
  { pattern: 'k8s.io/*', title: 'a k8s.io annotation on a Namespace', request: request('namespace-pod-security.json', setAnnotation('k8s.io/owner', 'x')) },
  { pattern: '*.k8s.io/*', title: 'a *.k8s.io label on a Namespace', request: request('namespace-pod-security.json', setLabel('networking.k8s.io/isolated')) },
];

/** A service account's label or annotation changes that operator-reconcile still skips. */
const skipped: Array<{ title: string; request: AdmissionRequest }> = [
  { title: 'an ordinary label on a Namespace, its pod-security labels unchanged', request: request('namespace-pod-security.json', setLabel('team.example.com/cost-centre', '42')) },
  { title: 'a kubernetes.io label on a ClusterRole (only Namespaces list them)', request: request('clusterrole-aggregate-to-admin.json', setLabel('kubernetes.io/bootstrapping', 'rbac-defaults')) },
  { title: 'another nginx annotation (not a snippet)', request: request('ingress-server-snippet.json', setAnnotation('nginx.ingress.kubernetes.io/proxy-body-size', '8m')) },
  { title: 'a cert-manager annotation that injects nothing', request: request('validatingwebhook-inject-ca.json', setAnnotation('cert-manager.io/issuer-name', 'x')) },
  { title: 'an app.kubernetes.io label on an Ingress (Kubernetes keys count on Namespaces only)', request: request('ingress-server-snippet.json', setLabel('app.kubernetes.io/version', '2')) },
];

describe('always-recorded labels and annotations under the default presets', () => {
  const rules = compileRuleSet(EMPTY_RULES_DOCUMENT, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS);

  for (const row of rows) {
    it(`records ${row.title} (${row.pattern})`, () => {
      assert.match(row.request.userInfo.username, /^system:serviceaccount:/);
      assert.deepEqual(rules.evaluate(row.request), { record: true });
    });
  }

  for (const row of skipped) {
    it(`still skips ${row.title}`, () => {
      assert.deepEqual(rules.evaluate(row.request), { record: false, rule: 'operator-reconcile' });
    });
  }

  it('has a row for every pattern of the list', () => {
    const patterns = ALWAYS_RECORDED_METADATA.flatMap((entry) => [...entry.labels ?? [], ...entry.annotations ?? []]);
    const proved = new Set(rows.map((row) => row.pattern));
    assert.deepEqual([...new Set(patterns)].filter((pattern) => !proved.has(pattern)), []);
  });
});

describe('alwaysRecord in the rules file', () => {
  const text = `
alwaysRecord:
  - labels: ["tenancy.example.com/*"]
    kinds: [Namespace]
    apiGroups: [""]
  - annotations: [policy.example.com/exempt]
`;
  const rules = compileRuleSet(parseRulesDocument(text, 'rules.yaml'), DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS);

  it('adds its keys for the kinds it names', () => {
    assert.deepEqual(rules.evaluate(request('namespace-pod-security.json', setLabel('tenancy.example.com/tier', 'shared'))), { record: true });
    assert.deepEqual(rules.evaluate(request('ingress-server-snippet.json', setAnnotation('policy.example.com/exempt'))), { record: true });
    assert.deepEqual(rules.evaluate(request('clusterrole-aggregate-to-admin.json', setLabel('tenancy.example.com/tier', 'shared'))), { record: false, rule: 'operator-reconcile' });
  });

  it('keeps the built-in list', () => {
    assert.deepEqual(rules.evaluate(request('namespace-pod-security.json')), { record: true });
  });

  const bad: Array<[string, string, RegExp]> = [
    ['no keys', 'alwaysRecord: [{kinds: [Namespace]}]', /alwaysRecord entry 1: give labels or annotations/],
    ['unknown key', 'alwaysRecord: [{label: [a]}]', /alwaysRecord entry 1: unknown key "label"/],
    ['not a list of names', 'alwaysRecord: [{labels: [{a: 1}]}]', /alwaysRecord entry 1: labels must be a name or a list of names/],
  ];
  for (const [title, source, message] of bad) {
    it(`rejects: ${title}`, () => {
      assert.throws(() => compileRuleSet(parseRulesDocument(source, 'rules.yaml'), DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS), (error: Error) => error instanceof RuleCompileError && message.test(error.message));
    });
  }
});
