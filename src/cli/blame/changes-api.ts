// The logistis aggregated API, reached through the Kubernetes API server: `changes` (list with filters and
// paging, get one), `overview`, and the live objects the views compare against. Paths and queries are built by
// pure functions; the fetching functions only page and check shapes.
import { API_GROUP, API_VERSION, CHANGES_RESOURCE, type Change, type ChangeList } from '../../api/change.ts';
import type { JsonObject } from '../../event.ts';
import type { Overview } from '../../api/overview.ts';
import type { BlameAnswer } from '../../api/field-blame.ts';
import type { PastView, RevertAnswer, StateAnswer } from '../../api/history.ts';
import type { ApiResource } from './discovery.ts';
import { BlameError } from './errors.ts';
import type { KubeApi } from './kube-client.ts';
import type { ChangeFilters } from './options.ts';

export const CHANGES_BASE = `/apis/${API_GROUP}/${API_VERSION}`;
/** The server's largest page. */
export const MAX_PAGE = 1000;

/** Where the changes live: one namespace, the cluster-scoped objects, or everywhere. */
export type ChangeScope = { namespace: string } | { clusterScoped: true } | { everywhere: true };

export interface ChangeSelector extends ChangeFilters {
  /** The target's API group ('' for core); sent only with `kind`. */
  group?: string;
  kind?: string;
  name?: string;
  /** `desc` (newest first, the server's default) or `asc`. */
  order?: 'asc' | 'desc';
}

export function changesPath(scope: ChangeScope): string {
  if ('namespace' in scope) return `${CHANGES_BASE}/namespaces/${encodeURIComponent(scope.namespace)}/${CHANGES_RESOURCE}`;
  return `${CHANGES_BASE}/${CHANGES_RESOURCE}`;
}

/** The query of a list request: only parameters that are set (the server rejects unknown ones). */
export function changesQuery(scope: ChangeScope, selector: ChangeSelector, limit: number, continueToken?: string): Record<string, string> {
  const query: Record<string, string> = { limit: String(limit) };
  if ('clusterScoped' in scope) query['clusterScoped'] = 'true';
  if (selector.kind !== undefined) {
    query['group'] = selector.group ?? '';
    query['kind'] = selector.kind;
  }
  const optional: [string, string | undefined][] = [
    ['name', selector.name],
    ['user', selector.user],
    ['userGroup', selector.userGroup],
    ['operation', selector.operation],
    ['since', selector.since],
    ['until', selector.until],
    ['order', selector.order],
    ['continue', continueToken],
  ];
  for (const [key, value] of optional) if (value !== undefined) query[key] = value;
  return query;
}

function isChange(value: unknown): value is Change {
  const c = value as Partial<Change> | null;
  return typeof c === 'object' && c !== null && c.kind === 'Change' && typeof c.metadata?.name === 'string' && typeof c.target === 'object' && c.target !== null;
}

function asChangeList(body: unknown, path: string): ChangeList {
  const list = body as Partial<ChangeList> | null;
  if (typeof list !== 'object' || list === null || !Array.isArray(list.items) || !list.items.every(isChange)) {
    throw new BlameError(`GET ${path}: the answer is not a ChangeList; is the server behind ${API_GROUP} logistis ${API_VERSION}?`);
  }
  return list as ChangeList;
}

export interface ChangePage {
  items: Change[];
  /** More changes matched than `max`. */
  more: boolean;
}

/** Up to `max` changes, following `continue` across pages. */
export async function listChanges(api: KubeApi, scope: ChangeScope, selector: ChangeSelector, max: number): Promise<ChangePage> {
  const path = changesPath(scope);
  const items: Change[] = [];
  let token: string | undefined;
  for (;;) {
    const limit = Math.min(MAX_PAGE, max - items.length);
    const list = asChangeList(await api.getJson(path, { query: changesQuery(scope, selector, limit, token) }), path);
    items.push(...list.items.slice(0, max - items.length));
    token = list.metadata?.continue || undefined;
    if (token === undefined) return { items, more: false };
    if (items.length >= max) return { items, more: true };
  }
}

/** One object, by its type and name, in its namespace or cluster-scoped. */
export interface PastTarget {
  group: string;
  kind: string;
  name: string;
  /** Undefined for a cluster-scoped object. */
  namespace: string | undefined;
}

/** `changes?view=…`: one object's past as the server computes it, one small answer instead of its whole history. */
export async function getPast(api: KubeApi, target: PastTarget, view: 'blame'): Promise<BlameAnswer>;
export async function getPast(api: KubeApi, target: PastTarget, view: 'state', at: string): Promise<StateAnswer>;
export async function getPast(api: KubeApi, target: PastTarget, view: 'revert', change: string): Promise<RevertAnswer>;
export async function getPast(api: KubeApi, target: PastTarget, view: PastView, parameter?: string): Promise<unknown> {
  const scope: ChangeScope = target.namespace === undefined ? { clusterScoped: true } : { namespace: target.namespace };
  const path = changesPath(scope);
  const query: Record<string, string> = { view, group: target.group, kind: target.kind, name: target.name };
  if (target.namespace === undefined) query['clusterScoped'] = 'true';
  if (view === 'state') query['at'] = parameter!;
  if (view === 'revert') query['change'] = parameter!;
  const body = (await api.getJson(path, { query })) as { kind?: unknown; lines?: unknown } | null;
  const expected = view === 'blame' ? Array.isArray(body?.lines) : body?.kind === (view === 'state' ? 'ObjectState' : 'Revert');
  if (typeof body !== 'object' || body === null || !expected) {
    throw new BlameError(`GET ${path}?view=${view}: the answer is not what logistis ${API_VERSION} sends; is the server behind ${API_GROUP} older than this kubectl-blame?`);
  }
  return body;
}

export function overviewPath(): string {
  return `${CHANGES_BASE}/overview`;
}

/** The overview since a time; `topUsers` asks for more than the server's default (3) most active users. */
export async function getOverview(api: KubeApi, since: string, topUsers?: number): Promise<Overview> {
  const query = { since, ...(topUsers !== undefined ? { topUsers: String(topUsers) } : {}) };
  const body = (await api.getJson(overviewPath(), { query })) as Partial<Overview> | null;
  if (typeof body !== 'object' || body === null || !Array.isArray(body.namespaces)) {
    throw new BlameError(`GET ${overviewPath()}: the answer is not an Overview; is the server behind ${API_GROUP} logistis ${API_VERSION}?`);
  }
  return body as Overview;
}

export async function getChange(api: KubeApi, namespace: string, id: string): Promise<Change> {
  const path = `${changesPath({ namespace })}/${encodeURIComponent(id)}`;
  const body = await api.getJson(path);
  if (!isChange(body)) throw new BlameError(`GET ${path}: the answer is not a Change`);
  return body;
}

/** The URL path of a live object: `/apis/apps/v1/namespaces/shop/deployments/web`, `/api/v1/nodes/n1`. */
export function objectPath(resource: ApiResource, namespace: string | undefined, name: string): string {
  const base = resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  const ns = resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${resource.resource}/${encodeURIComponent(name)}`;
}

export async function getObject(api: KubeApi, resource: ApiResource, namespace: string | undefined, name: string): Promise<JsonObject> {
  return (await api.getJson(objectPath(resource, namespace, name))) as JsonObject;
}
