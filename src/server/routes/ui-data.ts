// What the dashboard asks beyond the read API: who the caller is (the sign-in) and the overview's activity.
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from 'typebox';
import { activityRequest, ActivityQuery } from '../query-params.ts';
import { sendAnswer, untilClientGoes, type ReadRoutesOptions } from './read-plugin.ts';

export const uiDataRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, { reads, access }) => {
  app.get('/api/v1/session', async (request) => {
    const user = await access.authenticate(request);
    return { auth: access.mode, ...(user ? { user: { username: user.username, groups: user.groups } } : {}) };
  });

  // Counts across every namespace: the same access as the cluster overview.
  app.get('/api/v1/activity', { schema: { querystring: ActivityQuery } }, async (request, reply) => {
    const read = activityRequest(request.query as Static<typeof ActivityQuery>, Date.now());
    await access.check(request, { verb: 'list', namespace: '' });
    return sendAnswer(reply, await reads.answer(read, untilClientGoes(reply)));
  });
};
