// The aggregated API (audit.logistis.io/v1alpha1), served to kubectl through the Kubernetes API server:
// discovery, `changes` (list, get, with server-side table columns; `view=blame|state|revert` for one object's
// past) and the overview, over the read handlers.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { API_GROUP, API_VERSION, CHANGES_RESOURCE, GROUP_VERSION } from '../../api/change.ts';
import { ChangeQuery, changeRequest, ChangesQuery, changesOrPastRequest, OverviewQuery, overviewRequest } from '../query-params.ts';
import { serveRead, type ReadRoutesOptions } from './read-plugin.ts';

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
  return (request.headers.accept ?? '').includes('as=Table');
}

export const aggregatedRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, options) => {
  // Discovery is public, as in Kubernetes: the API server's availability check and `kubectl api-resources` use it.
  app.get('/apis', async () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [API_GROUP_DISCOVERY] }));
  app.get(`/apis/${API_GROUP}`, async () => ({ kind: 'APIGroup', apiVersion: 'v1', ...API_GROUP_DISCOVERY }));
  app.get(BASE, async () => RESOURCE_LIST);

  serveRead(app, options, {
    urls: [`${BASE}/${CHANGES_RESOURCE}`, `${BASE}/namespaces/:namespace/${CHANGES_RESOURCE}`],
    querystring: ChangesQuery,
    // With `view`, one object's past (blame, state at a time, revert): as readable as the list it comes from.
    read: (query, { namespace }, request) => changesOrPastRequest(query, Date.now(), namespace, wantsTable(request)),
    needs: (_read, { namespace }) => ({ verb: 'list', namespace: namespace ?? '' }),
  });
  serveRead(app, options, {
    urls: [`${BASE}/${CHANGES_RESOURCE}/:name`, `${BASE}/namespaces/:namespace/${CHANGES_RESOURCE}/:name`],
    querystring: ChangeQuery,
    read: (_query, { namespace, name }, request) => changeRequest(name!, namespace, wantsTable(request), Date.now()),
    needs: (read, { namespace }) => ({ verb: 'get', namespace: namespace ?? '', name: read.id }),
  });
  serveRead(app, options, {
    urls: [`${BASE}/overview`],
    querystring: OverviewQuery,
    read: (query) => overviewRequest(query, Date.now(), true),
    needs: () => ({ verb: 'list', namespace: '' }),
  });
};
