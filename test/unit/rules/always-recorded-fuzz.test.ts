// Property-based: random label and annotation changes by random service accounts, under the default presets. A
// change touching an always-recorded key is recorded; every other change follows the presets as before (kube-system
// accounts are the control plane's, skipped by system-controllers; a change to labels and annotations only is an
// operator's reconcile; any other change is recorded). The oracle restates the list by hand, so a wrong glob in
// ALWAYS_RECORDED_METADATA shows. Bounded runs, so CI stays quick.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseAdmissionReview } from '../../../src/admission/review.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { compileRuleSet, EMPTY_RULES_DOCUMENT } from '../../../src/rules/rule-set.ts';
import { DEFAULT_PRESETS } from '../../../src/rules/presets.ts';

const RUNS = { numRuns: 2000, seed: 20261207 };
const FIXTURES = ['namespace-pod-security.json', 'clusterrole-aggregate-to-admin.json', 'ingress-server-snippet.json', 'serviceaccount-role-arn.json', 'validatingwebhook-inject-ca.json'];
const reviews = FIXTURES.map((name) => JSON.parse(readFileSync(new URL(`../../fixtures/always-recorded/${name}`, import.meta.url), 'utf8')) as { request: Record<string, unknown> });

type Field = 'labels' | 'annotations';

function domainOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** The list of docs/capture-rules.md, written out by hand. */
function alwaysRecorded(field: Field, key: string, kind: string): boolean {
  const name = key.slice(key.indexOf('/') + 1);
  const domain = domainOf(key);
  if (domain === 'pod-security.kubernetes.io') return true;
  if (field === 'labels' && domain === 'rbac.authorization.k8s.io' && name.startsWith('aggregate-to-')) return true;
  if (field === 'annotations' && domain === 'nginx.ingress.kubernetes.io' && name.includes('snippet')) return true;
  if (field === 'annotations' && domain === 'nginx.org' && name.endsWith('-snippets')) return true;
  if (field === 'annotations' && domain === 'kubernetes.io' && name.startsWith('service-account.')) return true;
  if (field === 'annotations' && (key === 'eks.amazonaws.com/role-arn' || key === 'iam.gke.io/gcp-service-account')) return true;
  if (domain === 'azure.workload.identity') return true;
  if (field === 'annotations' && domain === 'cert-manager.io' && (name.startsWith('inject-ca-from') || name === 'inject-apiserver-ca')) return true;
  if (kind === 'Namespace' && ['kubernetes.io', 'k8s.io'].some((suffix) => domain === suffix || domain.endsWith(`.${suffix}`))) return true;
  return false;
}

const domains = fc.constantFrom('pod-security.kubernetes.io', 'rbac.authorization.k8s.io', 'nginx.ingress.kubernetes.io', 'nginx.org', 'kubernetes.io',
  'app.kubernetes.io', 'k8s.io', 'networking.k8s.io', 'eks.amazonaws.com', 'iam.gke.io', 'azure.workload.identity', 'cert-manager.io', 'example.com', 'kubernetes.io.example.com');
const names = fc.oneof(
  fc.constantFrom('enforce', 'audit-version', 'aggregate-to-admin', 'aggregate-to-view', 'aggregate', 'server-snippet', 'configuration-snippet', 'proxy-body-size',
    'server-snippets', 'location-snippets', 'service-account.name', 'service-account.uid', 'role-arn', 'gcp-service-account', 'client-id', 'use',
    'inject-ca-from', 'inject-ca-from-secret', 'inject-apiserver-ca', 'issuer-name', 'metadata.name', 'managed-by'),
  fc.stringMatching(/^[a-z][a-z0-9.-]{0,12}$/),
);
const key = fc.oneof(fc.tuple(domains, names).map(([domain, name]) => `${domain}/${name}`), names);
const edit = fc.record({ field: fc.constantFrom<Field>('labels', 'annotations'), key, remove: fc.boolean(), value: fc.constantFrom('true', 'false', 'restricted', 'x') });
const serviceAccount = fc.tuple(fc.constantFrom('kube-system', 'operators', 'tenant-a', 'cert-manager', 'ingress-nginx'), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/))
  .map(([namespace, name]) => ({ namespace, username: `system:serviceaccount:${namespace}:${name}` }));

describe('always-recorded keys, property-based', () => {
  const rules = compileRuleSet(EMPTY_RULES_DOCUMENT, DEFAULT_PRESETS, DEFAULT_NORMALISE_OPTIONS);

  it('records every change to an always-recorded key; the presets decide the rest as before', () => {
    fc.assert(fc.property(fc.nat(reviews.length - 1), serviceAccount, fc.array(edit, { maxLength: 4 }), fc.boolean(), (which, account, edits, specChange) => {
      const review = structuredClone(reviews[which]!);
      const object = review.request['object'] as Record<string, unknown> & { metadata: Record<Field, Record<string, string> | undefined> };
      const oldObject = review.request['oldObject'] as typeof object;
      object.metadata.labels = { ...oldObject.metadata.labels };
      object.metadata.annotations = { ...oldObject.metadata.annotations };
      const touched: Array<[Field, string]> = [];
      for (const change of edits) {
        const map = object.metadata[change.field]!;
        if (change.remove) {
          // Removing needs the key before: put it in the old object.
          oldObject.metadata[change.field] = { ...oldObject.metadata[change.field], [change.key]: change.value };
          delete map[change.key];
        } else {
          if (map[change.key] === change.value) continue;
          map[change.key] = change.value;
        }
        touched.push([change.field, change.key]);
      }
      if (specChange) object['spec'] = { changedBy: 'fuzz' };
      (review.request['userInfo'] as { username: string }).username = account.username;
      const request = parseAdmissionReview(review).request;
      const kind = request.kind.kind;

      const verdict = rules.evaluate(request);
      const expected = account.namespace === 'kube-system'
        ? { record: false, rule: 'system-controllers' }
        : specChange || touched.some(([field, name]) => alwaysRecorded(field, name, kind))
          ? { record: true }
          : { record: false, rule: 'operator-reconcile' };
      assert.deepEqual(verdict, expected, `${kind} by ${account.username}: ${JSON.stringify(touched)}`);
    }), RUNS);
  });
});
