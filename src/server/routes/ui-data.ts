// What the dashboard asks beyond the read API: who the caller is (the sign-in) and the overview's activity.
import type { FastifyPluginAsync } from 'fastify';
import { ACTIVITY_GROUPINGS } from '../../api/activity.ts';
import { HttpError } from '../../api/errors.ts';
import { QueryReader } from '../query-params.ts';
import { sendAnswer, type ReadRoutesOptions } from './read-plugin.ts';

const DAY_MS = 86_400_000;

/** `GET /api/v1/activity` (`since` default 24h, `until` default now, `by`, `buckets`, `top`). */
export function parseActivityQuery(query: unknown, now: number) {
  const reader = new QueryReader(query, now);
  const sinceMs = reader.time('since') ?? now - DAY_MS;
  const untilMs = reader.time('until') ?? now;
  const by = reader.choice('by', ACTIVITY_GROUPINGS, 'namespace');
  const buckets = reader.integer('buckets', 24, 1, 200);
  const top = reader.integer('top', 10, 1, 50);
  reader.rejectUnknown();
  if (sinceMs >= untilMs) throw new HttpError(400, 'since: must be before until');
  return { kind: 'activity' as const, sinceMs, untilMs, by, buckets, top };
}

export const uiDataRoutes: FastifyPluginAsync<ReadRoutesOptions> = async (app, { reads, access }) => {
  app.get('/api/v1/session', async (request) => {
    const user = await access.authenticate(request);
    return { auth: access.mode, ...(user ? { user: { username: user.username, groups: user.groups } } : {}) };
  });

  // Counts across every namespace: the same access as the cluster overview.
  app.get('/api/v1/activity', async (request, reply) => {
    const read = parseActivityQuery(request.query, Date.now());
    await access.check(request, { verb: 'list', namespace: '' });
    return sendAnswer(reply, await reads.answer(read));
  });
};
