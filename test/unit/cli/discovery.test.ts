// TYPE resolution against discovery documents recorded from a real kube-apiserver 1.37 with three CRDs:
// widgets.example.com (short name wd), widgets.other.example.org (wdg) and the cluster-scoped gadgets.example.com (gd).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  discoverResources, isAggregatedDiscovery, preferredGroupVersions, qualifiedName, resolveType, resourcesFromAggregated,
  resourcesFromLegacy, type ApiResource,
} from '../../../src/cli/blame/discovery.ts';
import { BlameError } from '../../../src/cli/blame/errors.ts';
import { cliFixture, TestCluster } from './cluster.ts';

function recorded(): ApiResource[] {
  const core = cliFixture('discovery-api.aggregated.json');
  const groups = cliFixture('discovery-apis.aggregated.json');
  assert.ok(isAggregatedDiscovery(core) && isAggregatedDiscovery(groups));
  return [...resourcesFromAggregated(core), ...resourcesFromAggregated(groups)];
}

const resources = recorded();
const resolve = (type: string): string => {
  const r = resolveType(type, resources);
  return `${qualifiedName(r)} ${r.version} ${r.kind} ${r.namespaced ? 'namespaced' : 'cluster'}`;
};

function fails(type: string, message: RegExp): void {
  assert.throws(() => resolveType(type, resources), (error: unknown) => {
    assert.ok(error instanceof BlameError);
    assert.equal(error.exitCode, 1);
    assert.match(error.message, message);
    return true;
  });
}

describe('resolveType, as kubectl resolves TYPE', () => {
  it('plural, singular, short name and kind, in any case', () => {
    for (const type of ['deployments', 'deployment', 'deploy', 'Deployment', 'DEPLOYMENTS', 'Deploy']) {
      assert.equal(resolve(type), 'deployments.apps v1 Deployment namespaced', type);
    }
  });
  it('group-qualified and fully qualified names', () => {
    for (const type of ['deployments.apps', 'deployment.apps', 'deploy.apps', 'Deployment.apps', 'deployments.v1.apps']) {
      assert.equal(resolve(type), 'deployments.apps v1 Deployment namespaced', type);
    }
  });
  it('core resources', () => {
    assert.equal(resolve('po'), 'pods v1 Pod namespaced');
    assert.equal(resolve('cm'), 'configmaps v1 ConfigMap namespaced');
    assert.equal(resolve('secret'), 'secrets v1 Secret namespaced');
    assert.equal(resolve('ns'), 'namespaces v1 Namespace cluster');
    assert.equal(resolve('svc'), 'services v1 Service namespaced');
  });
  it('cluster-scoped built-ins', () => {
    assert.equal(resolve('clusterroles'), 'clusterroles.rbac.authorization.k8s.io v1 ClusterRole cluster');
    assert.equal(resolve('crd'), 'customresourcedefinitions.apiextensions.k8s.io v1 CustomResourceDefinition cluster');
  });
  it('a name in a built-in group and core: core wins, as in kubectl (events)', () => {
    assert.equal(resolve('events'), 'events v1 Event namespaced');
    assert.equal(resolve('ev'), 'events v1 Event namespaced');
    assert.equal(resolve('events.events.k8s.io'), 'events.events.k8s.io v1 Event namespaced');
  });
  it('several versions of one group: the preferred one, unless a version is given', () => {
    assert.equal(resolve('hpa'), 'horizontalpodautoscalers.autoscaling v2 HorizontalPodAutoscaler namespaced');
    assert.equal(resolve('horizontalpodautoscalers.v1.autoscaling'), 'horizontalpodautoscalers.autoscaling v1 HorizontalPodAutoscaler namespaced');
  });
  it('custom resources: plural, singular, kind, short name, group-qualified', () => {
    for (const type of ['wd', 'widgets.example.com', 'widget.example.com', 'Widget.example.com', 'wd.example.com', 'widgets.v1.example.com']) {
      assert.equal(resolve(type), 'widgets.example.com v1 Widget namespaced', type);
    }
    assert.equal(resolve('wdg'), 'widgets.other.example.org v1 Widget namespaced');
    assert.equal(resolve('gadgets'), 'gadgets.example.com v1 Gadget cluster');
    assert.equal(resolve('gd'), 'gadgets.example.com v1 Gadget cluster');
  });
  it('a custom resource name two groups share is ambiguous: the error lists both', () => {
    fails('widgets', /"widgets" is ambiguous in this cluster: it could be widgets.example.com or widgets.other.example.org; give the full name/);
    fails('Widget', /could be widgets.example.com or widgets.other.example.org/);
  });
  it('an unknown type, with suggestions when one is close', () => {
    fails('deplyo', /the server doesn't have a resource type "deplyo"; did you mean deploy\?/);
    fails('gizmos', /the server doesn't have a resource type "gizmos"; kubectl api-resources lists the types/);
    fails('deployments.batch', /doesn't have a resource type "deployments.batch"/);
    fails('deployments.v2.apps', /doesn't have a resource type/);
  });
  it('subresources are not types', () => {
    assert.ok(!resources.some((r) => r.resource.includes('/')));
  });
});

describe('legacy discovery (/api/v1, /apis, /apis/{group}/{version})', () => {
  it('reads resource lists, without subresources', () => {
    const core = resourcesFromLegacy(cliFixture('discovery-api-v1.json'));
    const deploy = resourcesFromLegacy(cliFixture('discovery-apis-apps-v1.json')).find((r) => r.resource === 'deployments');
    assert.deepEqual({ ...deploy, verbs: [] }, {
      group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', singular: 'deployment', shortNames: ['deploy'], namespaced: true, verbs: [],
    });
    assert.ok(core.some((r) => r.resource === 'pods' && r.group === '' && r.shortNames.includes('po')));
    assert.ok(!core.some((r) => r.resource.includes('/')));
  });
  it('picks each group\'s preferred version', () => {
    const gvs = preferredGroupVersions(cliFixture('discovery-apis.json'));
    assert.ok(gvs.includes('apps/v1'));
    assert.ok(gvs.includes('autoscaling/v2'));
    assert.ok(!gvs.includes('autoscaling/v1'));
  });
  it('resolves the same from a server without aggregated discovery', async () => {
    const cluster = new TestCluster({ legacyDiscovery: true });
    const found = await discoverResources(cluster.api());
    assert.equal(qualifiedName(resolveType('deploy', found)), 'deployments.apps');
    assert.equal(qualifiedName(resolveType('wd', found)), 'widgets.example.com');
    assert.equal(resolveType('cm', found).kind, 'ConfigMap');
    // Groups the cluster has no document for (like an unavailable aggregated API) are left out, not fatal.
    assert.ok(cluster.requests.some((r) => r.path === '/apis/apps/v1'));
  });
  it('asks for aggregated discovery first: two requests in all', async () => {
    const cluster = new TestCluster();
    const found = await discoverResources(cluster.api());
    assert.equal(cluster.requests.length, 2);
    assert.match(cluster.requests[0]!.accept, /g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList/);
    assert.equal(found.length, resources.length);
  });
});
