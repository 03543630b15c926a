import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { V1APIResource } from '@kubernetes/client-node';
import { excludedByRules, watchableResources } from '../../../src/provenance/discovery.ts';
import { compileRuleSet } from '../../../src/rules/rule-set.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';

const fixture = (name: string) => (JSON.parse(readFileSync(new URL(`../cli/fixtures/${name}`, import.meta.url), 'utf8')) as { resources: V1APIResource[] }).resources;

describe('which resources provenance watches', () => {
  it('takes listable, watchable, writable main resources and leaves out subresources, read-only kinds and events', () => {
    const core = watchableResources('', 'v1', fixture('discovery-api-v1.json')).map((resource) => resource.resource);
    assert.ok(core.includes('configmaps') && core.includes('secrets') && core.includes('pods'));
    for (const absent of ['bindings', 'componentstatuses', 'events', 'pods/status', 'pods/exec']) assert.ok(!core.includes(absent), absent);
    const [deployments] = watchableResources('apps', 'v1', fixture('discovery-apis-apps-v1.json')).filter((resource) => resource.resource === 'deployments');
    assert.deepEqual(deployments, {
      group: 'apps', version: 'v1', apiVersion: 'apps/v1', resource: 'deployments', kind: 'Deployment', namespaced: true, path: '/apis/apps/v1/deployments',
    });
  });

  it('does not watch what a capture rule excludes by group, resource or kind alone; a rule with other conditions leaves it watched', () => {
    const rules = compileRuleSet({
      rules: [
        { name: 'keep-prod-cm', action: 'include', resources: ['configmaps'], namespaces: ['prod'] },
        { name: 'no-configmaps', action: 'exclude', resources: ['configmaps'] },
        { name: 'no-leases', action: 'exclude', apiGroups: ['coordination.k8s.io'] },
        { name: 'no-ci-secrets', action: 'exclude', kinds: ['Secret'], users: ['ci'] },
      ],
      ignorePaths: [],
    }, [], DEFAULT_NORMALISE_OPTIONS);
    assert.equal(excludedByRules(rules, 'coordination.k8s.io', 'leases', 'Lease'), true);
    assert.equal(excludedByRules(rules, '', 'configmaps', 'ConfigMap'), false, 'an include rule for some of them comes first');
    assert.equal(excludedByRules(rules, '', 'secrets', 'Secret'), false, 'excluded only for one user');
    assert.equal(excludedByRules(rules, 'apps', 'deployments', 'Deployment'), false);
    const core = watchableResources('', 'v1', fixture('discovery-api-v1.json'), rules).map((resource) => resource.resource);
    assert.ok(core.includes('configmaps') && core.includes('secrets'));
  });
});
