// The aggregated API (audit.logistis.io/v1alpha1), served to kubectl through the Kubernetes API server:
// discovery, `changes` (list, get, with server-side table columns) and the overview.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_GROUP, API_VERSION, CHANGES_RESOURCE, GROUP_VERSION, toChange, type Change, type ChangeList } from '../../api/change.ts';
import type { EventFilter, EventStore } from '../../store/types.ts';
import type { ReadAccess } from '../auth/read-access.ts';
import { HttpError } from '../errors.ts';
import { QueryReader } from '../query-params.ts';
import { describePatch } from '../../format/patch.ts';
import { readOverview } from './api.ts';

const BASE = `/apis/${API_GROUP}/${API_VERSION}`;

const API_GROUP_DISCOVERY = {
  name: API_GROUP,
  versions: [{ groupVersion: GROUP_VERSION, version: API_VERSION }],
  preferredVersion: { groupVersion: GROUP_VERSION, version: API_VERSION },
};

const RESOURCE_LIST = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: GROUP_VERSION,
  resources: [{
    name: CHANGES_RESOURCE, singularName: 'change', namespaced: true, kind: 'Change', verbs: ['get', 'list'],
    shortNames: ['chg'], categories: ['logistis'],
  }],
};

/** fieldSelector keys `kubectl get changes --field-selector` understands, mapped to store filters. */
const FIELD_SELECTORS: Record<string, keyof EventFilter> = {
  'target.group': 'group', 'target.kind': 'kind', 'target.name': 'name', 'user.username': 'user', operation: 'operation',
};

function applyFieldSelector(selector: string | undefined, filter: EventFilter): void {
  if (!selector) return;
  for (const term of selector.split(',')) {
    const match = /^([\w.]+)\s*==?\s*(.*)$/.exec(term.trim());
    const key = match ? FIELD_SELECTORS[match[1]!] : undefined;
    if (!match || !key) {
      throw new HttpError(400, `fieldSelector: "${term}" is not supported; use ${Object.keys(FIELD_SELECTORS).map((name) => `${name}=…`).join(', ')}`);
    }
    const value = key === 'operation' ? match[2]!.toUpperCase() : match[2]!;
    (filter as Record<string, string>)[key] = value;
  }
}

function wantsTable(request: FastifyRequest): boolean {
  return /as=Table/.test(request.headers.accept ?? '');
}

function age(time: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(time)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function toTable(changes: Change[], continueToken: string | undefined, includeObject: string) {
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: continueToken ? { continue: continueToken } : {},
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Change id', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'When the change was made', priority: 0 },
      { name: 'Operation', type: 'string', format: '', description: 'CREATE, UPDATE or DELETE', priority: 0 },
      { name: 'User', type: 'string', format: '', description: 'Who made the change', priority: 0 },
      { name: 'Object', type: 'string', format: '', description: 'Kind/name of the changed object', priority: 0 },
      { name: 'Patch', type: 'string', format: '', description: 'What changed', priority: 1 },
      { name: 'Manager', type: 'string', format: '', description: 'Field manager (the tool)', priority: 1 },
    ],
    rows: changes.map((change) => ({
      cells: [
        change.metadata.name,
        age(change.time, now),
        change.operation,
        change.user.username,
        `${change.target.kind}/${change.target.name}`,
        describePatch(change.patch, undefined, { operation: change.operation }).join('; '),
        change.fieldManager,
      ],
      object: includeObject === 'None'
        ? undefined
        : includeObject === 'Object'
          ? change
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: change.metadata },
    })),
  };
}

export function registerAggregatedRoutes(app: FastifyInstance, store: EventStore, access: ReadAccess): void {
  // Discovery is public, as in Kubernetes: the API server's availability check and `kubectl api-resources` use it.
  app.get('/apis', async () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [API_GROUP_DISCOVERY] }));
  app.get(`/apis/${API_GROUP}`, async () => ({ kind: 'APIGroup', apiVersion: 'v1', ...API_GROUP_DISCOVERY }));
  app.get(BASE, async () => RESOURCE_LIST);

  const list = async (request: FastifyRequest<{ Params: { namespace?: string } }>, reply: FastifyReply) => {
    const query = new QueryReader(request.query, Date.now());
    const filter = query.eventFilter();
    const namespace = request.params.namespace;
    const clusterScoped = query.choice('clusterScoped', ['false', 'true'], 'false') === 'true';
    if (namespace !== undefined) filter.namespace = namespace;
    else if (clusterScoped) filter.namespace = '';
    applyFieldSelector(query.string('fieldSelector'), filter);
    const labelSelector = query.string('labelSelector');
    if (labelSelector) throw new HttpError(400, 'labelSelector: changes have no labels; filter with fieldSelector or kind, name, user, operation');
    if (query.string('watch') === 'true') throw new HttpError(405, 'watch: changes cannot be watched yet; list them again');
    const limit = query.integer('limit', 500, 0, 1000) || 500;
    const continueToken = query.string('continue');
    const order = query.choice('order', ['desc', 'asc'], 'desc');
    const includeObject = query.choice('includeObject', ['None', 'Metadata', 'Object'], 'Metadata');
    for (const ignored of ['resourceVersion', 'resourceVersionMatch', 'timeoutSeconds', 'allowWatchBookmarks', 'sendInitialEvents', 'pretty']) query.string(ignored);
    query.rejectUnknown();
    await access.check(request, { verb: 'list', namespace: namespace ?? '' });
    const page = await store.listEvents(filter, limit, continueToken || undefined, order);
    const changes = page.items.map(toChange);
    if (wantsTable(request)) return reply.send(toTable(changes, page.nextCursor, includeObject));
    const body: ChangeList = { apiVersion: GROUP_VERSION, kind: 'ChangeList', metadata: page.nextCursor ? { continue: page.nextCursor } : {}, items: changes };
    return reply.send(body);
  };
  app.get(`${BASE}/${CHANGES_RESOURCE}`, list);
  app.get(`${BASE}/namespaces/:namespace/${CHANGES_RESOURCE}`, list);

  const get = async (request: FastifyRequest<{ Params: { namespace?: string; name: string } }>, reply: FastifyReply) => {
    const { namespace, name } = request.params;
    new QueryReader(request.query, Date.now()).rejectUnknown();
    await access.check(request, { verb: 'get', namespace: namespace ?? '', name });
    if (!/^\d+$/.test(name)) throw new HttpError(404, `changes.${API_GROUP} "${name}" not found`);
    const event = await store.getEvent(name);
    if (!event || (namespace !== undefined && event.namespace !== namespace)) throw new HttpError(404, `changes.${API_GROUP} "${name}" not found`);
    const change = toChange(event);
    return reply.send(wantsTable(request) ? toTable([change], undefined, 'Metadata') : change);
  };
  app.get(`${BASE}/${CHANGES_RESOURCE}/:name`, get);
  app.get(`${BASE}/namespaces/:namespace/${CHANGES_RESOURCE}/:name`, get);

  app.get(`${BASE}/overview`, async (request) => ({ apiVersion: GROUP_VERSION, kind: 'Overview', ...await readOverview(request, store, access) }));
}
