// The dashboard's overview of a window: counts per time bucket and namespace or user, the most changed objects, the
// most active users, and recent denials. The store counts every event of the window exactly with SQL aggregates
// over an index of the events' columns (no body is read); this module only ranks and shapes the answer.
import type { Activity, ActivitySeries } from '../api/activity.ts';
import type { ActivityCounts, ActivityQuery } from '../store/types.ts';
import type { EventReader } from './answer.ts';
import { UNSTOPPABLE, type ReadControl, type ReadRequest } from './requests.ts';

const MAX_SERIES = 8;
const MAX_DENIALS = 10;

type ActivityRequest = ReadRequest & { kind: 'activity' };

/** The store's query for a request: the window cut into `buckets` equal buckets of whole milliseconds. */
export function activityQuery(request: ActivityRequest): ActivityQuery {
  const { sinceMs, untilMs, by, buckets, top } = request;
  return { sinceMs, untilMs, bucketMs: Math.max(1, Math.ceil((untilMs - sinceMs) / buckets)), buckets, by, top, denials: MAX_DENIALS };
}

/** Pure: the answer from the store's counts. */
export function activityOf(counts: ActivityCounts, query: ActivityQuery): Activity {
  const { sinceMs, untilMs, bucketMs, buckets, by } = query;
  const perKey = new Map<string, number[]>();
  let counted = 0;
  for (const cell of counts.cells) {
    const series = perKey.get(cell.key) ?? new Array<number>(buckets).fill(0);
    series[Math.min(buckets - 1, Math.max(0, cell.bucket))]! += cell.changes;
    perKey.set(cell.key, series);
    counted += cell.changes;
  }
  const ranked: ActivitySeries[] = [...perKey.entries()].map(([key, series]) => ({ key, counts: series, total: series.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  // Beyond the largest few, one "other" series keeps the stack readable.
  const series = ranked.slice(0, MAX_SERIES);
  const rest = ranked.slice(MAX_SERIES);
  if (rest.length > 0) {
    const other = new Array<number>(buckets).fill(0);
    for (const entry of rest) entry.counts.forEach((count, i) => { other[i]! += count; });
    series.push({ key: `${rest.length} others`, counts: other, total: other.reduce((a, b) => a + b, 0) });
  }
  return {
    since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString(), bucketMs,
    buckets: Array.from({ length: buckets }, (_, i) => new Date(sinceMs + i * bucketMs).toISOString()),
    by, series,
    topObjects: counts.topObjects,
    // People and service accounts are listed apart, each up to `top`.
    topUsers: [
      ...counts.people.map((user) => ({ ...user, serviceAccount: false })),
      ...counts.serviceAccounts.map((user) => ({ ...user, serviceAccount: true })),
    ],
    denials: counts.denials,
    counted, truncated: false,
  };
}

export async function summariseActivity(reader: EventReader, request: ActivityRequest, control: ReadControl = UNSTOPPABLE): Promise<Activity> {
  control.check();
  const query = activityQuery(request);
  return activityOf(await reader.activity(query), query);
}
