// The dashboard's overview, from the events of a window: counts per time bucket and namespace or user, the most
// changed objects, the most active users, and recent denials. Bounded: at most MAX_ACTIVITY_EVENTS events are
// read (newest first), and the answer says when the window held more.
import type { Activity, ActivityDenial, ActivityObject, ActivityUser } from '../api/activity.ts';
import type { ChangeEvent } from '../event.ts';
import type { EventReader } from './answer.ts';
import { UNSTOPPABLE, type ReadControl, type ReadRequest } from './requests.ts';

export const MAX_ACTIVITY_EVENTS = 20_000;
const PAGE = 1000;
const MAX_SERIES = 8;
const MAX_DENIALS = 10;
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

type ActivityRequest = ReadRequest & { kind: 'activity' };

/** Pure: the summary of `events` (any order) for the request's window. */
export function activityOf(events: readonly ChangeEvent[], request: ActivityRequest, truncated: boolean): Activity {
  const { sinceMs, untilMs, by, buckets, top } = request;
  const bucketMs = Math.max(1, Math.ceil((untilMs - sinceMs) / buckets));
  const perKey = new Map<string, number[]>();
  const objects = new Map<string, ActivityObject>();
  const users = new Map<string, number>();
  const denials: ActivityDenial[] = [];
  for (const event of events) {
    const timeMs = Date.parse(event.time);
    const bucket = Math.min(buckets - 1, Math.max(0, Math.floor((timeMs - sinceMs) / bucketMs)));
    const key = by === 'namespace' ? event.namespace : event.user.username;
    const counts = perKey.get(key) ?? new Array<number>(buckets).fill(0);
    counts[bucket]! += 1;
    perKey.set(key, counts);
    users.set(event.user.username, (users.get(event.user.username) ?? 0) + 1);
    const objectKey = JSON.stringify([event.group, event.kind, event.namespace, event.name]);
    const object = objects.get(objectKey);
    if (!object) {
      objects.set(objectKey, { group: event.group, kind: event.kind, namespace: event.namespace, name: event.name, changes: 1, lastTime: event.time, lastUser: event.user.username });
    } else {
      object.changes += 1;
      if (event.time > object.lastTime) Object.assign(object, { lastTime: event.time, lastUser: event.user.username });
    }
    if (event.deniedBy) {
      denials.push({
        id: event.id, time: event.time, user: event.user.username, operation: event.operation, group: event.group, kind: event.kind,
        namespace: event.namespace, name: event.name, deniedBy: event.deniedBy,
      });
    }
  }
  const ranked = [...perKey.entries()].map(([key, counts]) => ({ key, counts, total: counts.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  // Beyond the largest few, one "other" series keeps the stack readable.
  const series = ranked.slice(0, MAX_SERIES);
  const rest = ranked.slice(MAX_SERIES);
  if (rest.length > 0) {
    const counts = new Array<number>(buckets).fill(0);
    for (const entry of rest) entry.counts.forEach((count, i) => { counts[i]! += count; });
    series.push({ key: `${rest.length} others`, counts, total: counts.reduce((a, b) => a + b, 0) });
  }
  const topUsers: ActivityUser[] = [...users.entries()]
    .map(([username, changes]) => ({ username, changes, serviceAccount: username.startsWith(SERVICE_ACCOUNT_PREFIX) }))
    .sort((a, b) => b.changes - a.changes || a.username.localeCompare(b.username));
  return {
    since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString(), bucketMs,
    buckets: Array.from({ length: buckets }, (_, i) => new Date(sinceMs + i * bucketMs).toISOString()),
    by, series,
    topObjects: [...objects.values()].sort((a, b) => b.changes - a.changes || b.lastTime.localeCompare(a.lastTime)).slice(0, top),
    // People and service accounts are listed apart, each up to `top`.
    topUsers: [...topUsers.filter((user) => !user.serviceAccount).slice(0, top), ...topUsers.filter((user) => user.serviceAccount).slice(0, top)],
    denials: denials.sort((a, b) => b.time.localeCompare(a.time)).slice(0, MAX_DENIALS),
    counted: events.length, truncated,
  };
}

export async function summariseActivity(reader: EventReader, request: ActivityRequest, control: ReadControl = UNSTOPPABLE): Promise<Activity> {
  const events: ChangeEvent[] = [];
  let cursor: string | undefined;
  do {
    control.check();
    const page = await reader.listEvents({ sinceMs: request.sinceMs, untilMs: request.untilMs }, PAGE, cursor, 'desc');
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && events.length < MAX_ACTIVITY_EVENTS);
  return activityOf(events.slice(0, MAX_ACTIVITY_EVENTS), request, cursor !== undefined);
}
