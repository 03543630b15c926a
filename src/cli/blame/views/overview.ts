// `kubectl blame`: the cluster overview, changes per namespace with the last change and the top users.
import { GROUP_VERSION } from '../../../api/change.ts';
import { relativeTime } from '../../../format/time.ts';
import { renderOverview, timestamp } from '../../../format/views.ts';
import { getOverview } from '../changes-api.ts';
import type { OverviewRequest } from '../options.ts';
import { call, paint, printDocument, type RunContext } from './context.ts';

export async function overviewView(request: OverviewRequest, ctx: RunContext): Promise<void> {
  // -o wide lists every active user; the server returns the top 3 unless asked for more (at most 20).
  const topUsers = request.output === 'wide' ? 20 : undefined;
  const overview = await call(ctx, { what: 'overview' }, () => getOverview(ctx.session.api, request.since, topUsers));
  if (request.output === 'json' || request.output === 'yaml') {
    printDocument(ctx, { apiVersion: GROUP_VERSION, kind: 'Overview', ...overview }, request.output);
    return;
  }
  if (overview.namespaces.length === 0) {
    ctx.output.note(`No changes recorded since ${timestamp(overview.since || request.since)} (${relativeTime(overview.since || request.since, ctx.now)} ago).`);
    return;
  }
  const lines = renderOverview(overview, { now: ctx.now, width: ctx.width, colours: paint(ctx), wide: request.output === 'wide' });
  for (const line of lines) ctx.output.out(line);
}
