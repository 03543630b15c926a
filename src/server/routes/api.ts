// The read API under /api/v1: thin aliases over the read handlers (events with filters and cursor paging,
// one object's history and blame, the overview), for scripts and the dashboard.
import type { FastifyPluginAsync } from 'fastify';
import { parseBlameQuery, parseEventsQuery, parseHistoryQuery, parseOverviewQuery } from '../query-params.ts';
import { sendAnswer, type ReadRoutesOptions } from './read-plugin.ts';

export const apiRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, { reads, access }) => {
  app.get('/api/v1/events', async (request, reply) => {
    const read = parseEventsQuery(request.query, Date.now());
    await access.check(request, { verb: 'list', namespace: read.list.filter.namespace ?? '' });
    return sendAnswer(reply, await reads.answer(read));
  });

  app.get('/api/v1/blame', async (request, reply) => {
    const read = parseBlameQuery(request.query, Date.now());
    await access.check(request, { verb: 'list', namespace: read.object.namespace });
    return sendAnswer(reply, await reads.answer(read));
  });

  app.get('/api/v1/history', async (request, reply) => {
    const read = parseHistoryQuery(request.query, Date.now());
    await access.check(request, { verb: 'list', namespace: read.object.namespace });
    return sendAnswer(reply, await reads.answer(read));
  });

  // The cluster overview needs read access across all namespaces.
  app.get('/api/v1/overview', async (request, reply) => {
    const read = parseOverviewQuery(request.query, Date.now(), false);
    await access.check(request, { verb: 'list', namespace: '' });
    return sendAnswer(reply, await reads.answer(read));
  });
};
