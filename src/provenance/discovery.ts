// Which resources the provenance watch follows: every listable, watchable, writable main resource the API
// server serves in its preferred version (custom resources included), except what never becomes history (events)
// and what the capture rules exclude outright (a rule naming only groups, resources or kinds).
import { ApisApi, CoreV1Api, CustomObjectsApi, type KubeConfig, type V1APIResource } from '@kubernetes/client-node';
import type { RuleSet } from '../rules/rule-set.ts';
import { compileNames } from '../rules/glob.ts';

export interface WatchedResource {
  group: string;
  version: string;
  /** group/version, or v1 for the core group. */
  apiVersion: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  /** The watch path, e.g. /apis/apps/v1/deployments. */
  path: string;
}

/** Events record what happened; they are not objects anyone changes by hand, and they churn. */
const NEVER_WATCHED = new Set(['/events', 'events.k8s.io/events']);

const RESOURCE_FIELDS = new Set(['name', 'action', 'apiGroups', 'resources', 'kinds']);

/** Does a capture rule that names only groups, resources and kinds exclude this resource (first match wins)? */
export function excludedByRules(rules: RuleSet | undefined, group: string, resource: string, kind: string): boolean {
  for (const rule of rules?.rules ?? []) {
    const spec = rule.spec;
    const matches = (!spec.apiGroups || compileNames(spec.apiGroups)(group))
      && (!spec.resources || compileNames(spec.resources)(resource))
      && (!spec.kinds || compileNames(spec.kinds)(kind));
    if (!matches) continue;
    const onlyResourceFields = !rule.predicate && Object.keys(spec).every((key) => RESOURCE_FIELDS.has(key));
    // An include rule with other conditions may bring some of it back: watch it.
    if (onlyResourceFields || spec.action === 'include') return spec.action === 'exclude';
  }
  return false;
}

/** The main resources of one group version worth watching. Pure. */
export function watchableResources(group: string, version: string, resources: readonly V1APIResource[], rules?: RuleSet): WatchedResource[] {
  const apiVersion = group ? `${group}/${version}` : version;
  return resources
    .filter((resource) => !resource.name.includes('/'))
    .filter((resource) => ['list', 'watch'].every((verb) => resource.verbs.includes(verb)))
    .filter((resource) => ['create', 'update', 'patch', 'delete'].some((verb) => resource.verbs.includes(verb)))
    .filter((resource) => !NEVER_WATCHED.has(`${group}/${resource.name}`))
    .filter((resource) => !excludedByRules(rules, group, resource.name, resource.kind))
    .map((resource) => ({
      group, version, apiVersion, resource: resource.name, kind: resource.kind, namespaced: resource.namespaced,
      path: `${group ? `/apis/${apiVersion}` : '/api/v1'}/${resource.name}`,
    }));
}

export async function discoverWatchedResources(kubeConfig: KubeConfig, rules?: RuleSet): Promise<WatchedResource[]> {
  const core = await kubeConfig.makeApiClient(CoreV1Api).getAPIResources();
  const result = watchableResources('', 'v1', core.resources, rules);
  const groups = await kubeConfig.makeApiClient(ApisApi).getAPIVersions();
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  for (const group of groups.groups) {
    const version = group.preferredVersion?.version ?? group.versions[0]?.version;
    if (!version) continue;
    try {
      const list = await custom.getAPIResources({ group: group.name, version });
      result.push(...watchableResources(group.name, version, list.resources, rules));
    } catch {
      // An aggregated API that is down (ours included while it starts) is skipped until the next discovery.
    }
  }
  return result;
}
