// The aggregated API (audit.logistis.io/v1alpha1), served to kubectl through the Kubernetes API server:
// discovery, `changes` (list, get, with server-side table columns) and the overview, over the read handlers.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { API_GROUP, API_VERSION, CHANGES_RESOURCE, GROUP_VERSION } from '../../api/change.ts';
import { parseChangeQuery, parseChangesQuery, parseOverviewQuery } from '../query-params.ts';
import { sendAnswer, type ReadRoutesOptions } from './read-plugin.ts';

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

function wantsTable(request: FastifyRequest): boolean {
  return /as=Table/.test(request.headers.accept ?? '');
}

type ListRequest = FastifyRequest<{ Params: { namespace?: string } }>;
type GetRequest = FastifyRequest<{ Params: { namespace?: string; name: string } }>;

export const aggregatedRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, { reads, access }) => {
  // Discovery is public, as in Kubernetes: the API server's availability check and `kubectl api-resources` use it.
  app.get('/apis', async () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [API_GROUP_DISCOVERY] }));
  app.get(`/apis/${API_GROUP}`, async () => ({ kind: 'APIGroup', apiVersion: 'v1', ...API_GROUP_DISCOVERY }));
  app.get(BASE, async () => RESOURCE_LIST);

  const list = async (request: ListRequest, reply: Parameters<typeof sendAnswer>[0]) => {
    const { namespace } = request.params;
    const read = parseChangesQuery(request.query, Date.now(), namespace, wantsTable(request));
    await access.check(request, { verb: 'list', namespace: namespace ?? '' });
    return sendAnswer(reply, await reads.answer(read));
  };
  app.get(`${BASE}/${CHANGES_RESOURCE}`, list);
  app.get(`${BASE}/namespaces/:namespace/${CHANGES_RESOURCE}`, list);

  const get = async (request: GetRequest, reply: Parameters<typeof sendAnswer>[0]) => {
    const { namespace, name } = request.params;
    const read = parseChangeQuery(request.query, Date.now(), name, namespace, wantsTable(request));
    await access.check(request, { verb: 'get', namespace: namespace ?? '', name });
    return sendAnswer(reply, await reads.answer(read));
  };
  app.get(`${BASE}/${CHANGES_RESOURCE}/:name`, get);
  app.get(`${BASE}/namespaces/:namespace/${CHANGES_RESOURCE}/:name`, get);

  app.get(`${BASE}/overview`, async (request, reply) => {
    const read = parseOverviewQuery(request.query, Date.now(), true);
    await access.check(request, { verb: 'list', namespace: '' });
    return sendAnswer(reply, await reads.answer(read));
  });
};
