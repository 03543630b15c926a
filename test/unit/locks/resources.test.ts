// A Lock's resources that the API server does not serve, as its status reports them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLock, type Lock } from '../../../src/locks/lock.ts';
import { unknownResources, type DiscoveredResources } from '../../../src/locks/resources.ts';
import { statusUpdate } from '../../../src/locks/status.ts';

const NOW = Date.parse('2026-06-12T12:00:00Z');

const discovered: DiscoveredResources = new Map<string, Set<string> | null>([
  ['', new Set(['pods', 'configmaps'])],
  ['apps', new Set(['deployments', 'statefulsets'])],
  ['metrics.k8s.io', null],
]);

function lock(resources: { group?: string; resource: string }[]): Lock {
  const parsed = parseLock({ metadata: { name: 'l', generation: 3 }, spec: { target: { resources }, subjects: { groups: ['ops'] }, reason: 'freeze' } });
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.lock;
}

describe('unknownResources', () => {
  it('names a Kind, a subresource, a typo and a missing group; accepts what is served, "*" and groups it cannot see', () => {
    const problems = unknownResources(lock([
      { group: 'apps', resource: 'Deployments' },
      { group: 'apps', resource: 'deployments/scale' },
      { resource: 'configmap' },
      { group: 'example.com', resource: 'widgets' },
      { group: 'apps', resource: 'deployments' },
      { resource: 'pods' },
      { group: 'apps', resource: '*' },
      { group: '*', resource: 'statefulsets' },
      { group: 'metrics.k8s.io', resource: 'podmetrics' },
    ]), discovered);
    assert.deepEqual(problems, [
      'apps/Deployments: group apps has no resource "Deployments" (a resource is a lower-case plural, such as deployments; it covers its subresources)',
      'apps/deployments/scale: group apps has no resource "deployments/scale" (a resource is a lower-case plural, such as deployments; it covers its subresources)',
      'configmap: the core group has no resource "configmap"',
      'example.com/widgets: the API server has no API group "example.com"',
    ]);
  });

  it('a resource in any group is unknown when no group serves it', () => {
    const complete = new Map([...discovered].filter(([, served]) => served !== null));
    assert.deepEqual(unknownResources(lock([{ group: '*', resource: 'gadgets' }, { group: '*', resource: 'pods' }]), complete), ['*/gadgets: no group serves a resource "gadgets"']);
  });

  it('a resource in any group is not called unknown while a group cannot be discovered', () => {
    assert.deepEqual(unknownResources(lock([{ group: '*', resource: 'podmetrics' }]), discovered), []);
  });

  it('the status stays Active and says which resources match nothing', () => {
    const parsed = parseLock({ metadata: { name: 'l', generation: 3 }, spec: { target: { resources: [{ group: 'apps', resource: 'Deployment' }] }, subjects: { groups: ['ops'] }, reason: 'freeze' } });
    assert.ok(parsed.ok);
    const status = statusUpdate(parsed, { phase: 'Active', message: 'enforced by logistis', observedGeneration: 3, lastTransitionTime: '2026-06-12T10:00:00Z' }, NOW, unknownResources(parsed.lock, discovered));
    assert.deepEqual(status, {
      phase: 'Active',
      message: 'enforced by logistis, but these resources match nothing: apps/Deployment: group apps has no resource "Deployment" (a resource is a lower-case plural, such as deployments; it covers its subresources)',
      observedGeneration: 3,
      lastTransitionTime: '2026-06-12T10:00:00Z',
    });
  });
});
