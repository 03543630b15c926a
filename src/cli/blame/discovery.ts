// Resource types as kubectl resolves them: discovery (aggregated `apidiscovery.k8s.io/v2` when the server has
// it, else /api/v1, /apis and /apis/{group}/{version}) gives every resource with its kind, singular, plural and
// short names; `resolveType` picks the one a TYPE such as `deploy`, `deployments.apps` or `Widget` names.
// Everything but `discoverResources` is pure.
import { BlameError } from './errors.ts';
import type { KubeApi } from './kube-client.ts';

export interface ApiResource {
  /** '' for the core group. */
  group: string;
  version: string;
  /** The plural, as in the URL: `deployments`. */
  resource: string;
  kind: string;
  /** `deployment`; may be '' in old legacy discovery documents. */
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
}

/** `deployments.apps`, `pods`: how kubectl names a resource type unambiguously. */
export function qualifiedName(r: Pick<ApiResource, 'resource' | 'group'>): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

// ---------------------------------------------------------------------------------------------------
// Parsing discovery documents

interface AggregatedResource {
  resource?: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope?: string;
  singularResource?: string;
  shortNames?: string[];
  verbs?: string[];
}

interface AggregatedList {
  kind?: string;
  items?: { metadata?: { name?: string }; versions?: { version?: string; resources?: AggregatedResource[] }[] }[];
}

interface LegacyResourceList {
  groupVersion?: string;
  resources?: { name?: string; singularName?: string; namespaced?: boolean; kind?: string; verbs?: string[]; shortNames?: string[] }[];
}

interface LegacyGroupList {
  groups?: { name?: string; preferredVersion?: { groupVersion?: string }; versions?: { groupVersion?: string }[] }[];
}

/** Is this an aggregated discovery document (`APIGroupDiscoveryList`)? */
export function isAggregatedDiscovery(doc: unknown): doc is AggregatedList {
  return typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === 'APIGroupDiscoveryList';
}

/**
 * The resources of an aggregated discovery document (of /api or /apis), in its order: groups as the server
 * ranks them, each group's versions preferred first.
 */
export function resourcesFromAggregated(doc: AggregatedList): ApiResource[] {
  const out: ApiResource[] = [];
  for (const item of doc.items ?? []) {
    const group = item.metadata?.name ?? '';
    for (const v of item.versions ?? []) {
      const version = v.version ?? '';
      for (const r of v.resources ?? []) {
        if (!r.resource || !r.responseKind?.kind) continue;
        out.push({
          group,
          version,
          resource: r.resource,
          kind: r.responseKind.kind,
          singular: r.singularResource ?? '',
          shortNames: r.shortNames ?? [],
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs ?? [],
        });
      }
    }
  }
  return out;
}

/** The resources of one legacy `APIResourceList` (/api/v1, /apis/apps/v1), subresources left out. */
export function resourcesFromLegacy(doc: LegacyResourceList): ApiResource[] {
  const gv = doc.groupVersion ?? '';
  const slash = gv.lastIndexOf('/');
  const group = slash < 0 ? '' : gv.slice(0, slash);
  const version = slash < 0 ? gv : gv.slice(slash + 1);
  return (doc.resources ?? [])
    .filter((r) => r.name && !r.name.includes('/') && r.kind)
    .map((r) => ({
      group,
      version,
      resource: r.name!,
      kind: r.kind!,
      singular: r.singularName || '',
      shortNames: r.shortNames ?? [],
      namespaced: r.namespaced === true,
      verbs: r.verbs ?? [],
    }));
}

/** The group versions to read from a legacy `/apis` list: each group's preferred version, in the server's order. */
export function preferredGroupVersions(doc: LegacyGroupList): string[] {
  return (doc.groups ?? [])
    .map((g) => g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion)
    .filter((gv): gv is string => typeof gv === 'string' && gv !== '');
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

/**
 * Every resource the API server serves, core first, then the groups in the server's order. One request each
 * for /api and /apis when the server has aggregated discovery (Kubernetes 1.30+), else the legacy walk over
 * each group's preferred version; a group that does not answer (an unavailable aggregated API) is left out.
 */
export async function discoverResources(api: KubeApi): Promise<ApiResource[]> {
  const [core, groups] = await Promise.all([
    api.getJson('/api', { accept: AGGREGATED_ACCEPT }),
    api.getJson('/apis', { accept: AGGREGATED_ACCEPT }),
  ]);
  const coreResources = isAggregatedDiscovery(core) ? resourcesFromAggregated(core) : resourcesFromLegacy((await api.getJson('/api/v1')) as LegacyResourceList);
  if (isAggregatedDiscovery(groups)) return [...coreResources, ...resourcesFromAggregated(groups)];
  const lists = await Promise.all(
    preferredGroupVersions(groups as LegacyGroupList).map((gv) =>
      api.getJson(`/apis/${gv}`).then((doc) => resourcesFromLegacy(doc as LegacyResourceList), () => [] as ApiResource[]),
    ),
  );
  return [...coreResources, ...lists.flat()];
}

// ---------------------------------------------------------------------------------------------------
// Resolving a TYPE

/** A version such as v1, v2beta1, v1alpha3. */
const VERSION = /^v\d+((alpha|beta)\d+)?$/;

/** Groups that ship with Kubernetes: kubectl ranks them above custom resources of the same name. */
export function isBuiltInGroup(group: string): boolean {
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

interface Interpretation {
  name: string;
  group?: string;
  version?: string;
}

/** `deployments.v1.apps` → name, version, group; `deployments.apps` → name, group; `deploy` → name. */
function interpretations(type: string): Interpretation[] {
  const parts = type.split('.');
  const out: Interpretation[] = [];
  if (parts.length >= 3 && VERSION.test(parts[1]!)) out.push({ name: parts[0]!, version: parts[1]!, group: parts.slice(2).join('.') });
  if (parts.length >= 2) out.push({ name: parts[0]!, group: parts.slice(1).join('.') });
  out.push({ name: type });
  return out;
}

function matches(r: ApiResource, want: Interpretation, byShortName: boolean): boolean {
  if (want.group !== undefined && r.group !== want.group) return false;
  if (want.version !== undefined && r.version !== want.version) return false;
  if (byShortName) return r.shortNames.some((s) => s.toLowerCase() === want.name);
  return r.resource === want.name || r.singular === want.name || r.kind.toLowerCase() === want.name;
}

/** Edit distance, to suggest `deploy` for `deplyo`. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

function suggestions(type: string, resources: readonly ApiResource[]): string[] {
  const names = new Set<string>();
  for (const r of resources) for (const n of [r.resource, r.singular, ...r.shortNames]) if (n) names.add(n);
  return [...names]
    .map((n) => ({ n, d: distance(type, n) }))
    .filter(({ n, d }) => d <= (n.length <= 4 ? 1 : 2))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, 3)
    .map(({ n }) => n);
}

/**
 * The resource a TYPE names, as kubectl picks it: plural, singular or kind (any case), optionally qualified
 * as `TYPE.group` or `TYPE.version.group`; short names (`deploy`, a CRD's `shortNames`) when no name matches.
 * Several versions of a group: the preferred one (the first in discovery), unless a version was given.
 * Several groups: a built-in group wins, core first (`events` is the core Event, as in kubectl); between
 * custom resources of different groups the TYPE is ambiguous, and the error lists the qualified names.
 */
export function resolveType(type: string, resources: readonly ApiResource[]): ApiResource {
  const wanted = type.trim().toLowerCase();
  if (wanted === '') throw new BlameError('TYPE is empty: give a resource type such as deploy');
  let found: ApiResource[] = [];
  for (const byShortName of [false, true]) {
    for (const want of interpretations(wanted)) {
      found = resources.filter((r) => matches(r, want, byShortName));
      if (found.length > 0) break;
    }
    if (found.length > 0) break;
  }
  if (found.length === 0) {
    const close = suggestions(wanted, resources);
    const hint = close.length > 0 ? `; did you mean ${close.join(', ')}?` : '; kubectl api-resources lists the types this cluster has';
    throw new BlameError(`the server doesn't have a resource type "${type}"${hint}`);
  }
  // One entry per group: its preferred (first listed) version.
  const byGroup = new Map<string, ApiResource>();
  for (const r of found) if (!byGroup.has(`${r.group}\u0000${r.resource}`)) byGroup.set(`${r.group}\u0000${r.resource}`, r);
  const distinct = [...byGroup.values()];
  if (distinct.length === 1) return distinct[0]!;
  const builtIn = distinct.filter((r) => isBuiltInGroup(r.group));
  if (builtIn.length > 0) return builtIn[0]!;
  const names = distinct.map(qualifiedName).sort();
  throw new BlameError(`"${type}" is ambiguous in this cluster: it could be ${names.join(' or ')}; give the full name, such as ${names[0]}`);
}
