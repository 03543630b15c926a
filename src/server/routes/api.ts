// The read API under /api/v1, for scripts and the dashboard: thin aliases over the read handlers (events with
// filters and cursor paging, one object's history, blame, state at a time and revert manifest, the overview),
// each route declared with its schema.
import type { FastifyPluginAsync } from 'fastify';
import {
  BlameQuery, blameRequest, EventsQuery, eventsRequest, HistoryQuery, historyRequest, OverviewQuery, overviewRequest,
  RevertQuery, revertRequest, StateQuery, stateRequest,
} from '../query-params.ts';
import { serveRead, type ReadRoutesOptions } from './read-plugin.ts';

export const apiRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, options) => {
  serveRead(app, options, {
    urls: ['/api/v1/events'],
    querystring: EventsQuery,
    read: (query) => eventsRequest(query, Date.now()),
    needs: (read) => ({ verb: 'list', namespace: read.list.filter.namespace ?? '' }),
  });
  serveRead(app, options, {
    urls: ['/api/v1/blame'],
    querystring: BlameQuery,
    read: (query) => blameRequest(query),
    needs: (read) => ({ verb: 'list', namespace: read.object.namespace }),
  });
  serveRead(app, options, {
    urls: ['/api/v1/history'],
    querystring: HistoryQuery,
    read: (query) => historyRequest(query, Date.now()),
    needs: (read) => ({ verb: 'list', namespace: read.object.namespace }),
  });
  serveRead(app, options, {
    urls: ['/api/v1/state'],
    querystring: StateQuery,
    read: (query) => stateRequest(query, Date.now()),
    needs: (read) => ({ verb: 'list', namespace: read.object.namespace }),
  });
  serveRead(app, options, {
    urls: ['/api/v1/revert'],
    querystring: RevertQuery,
    read: (query) => revertRequest(query),
    needs: (read) => ({ verb: 'list', namespace: read.object.namespace }),
  });
  // The cluster overview needs read access across all namespaces.
  serveRead(app, options, {
    urls: ['/api/v1/overview'],
    querystring: OverviewQuery,
    read: (query) => overviewRequest(query, Date.now(), false),
    needs: () => ({ verb: 'list', namespace: '' }),
  });
};
