// Read-API query strings. Each route declares its schema here (Fastify validates it before the handler runs:
// the parameter names, each given once, whole numbers and their range, choices; an unknown name is refused, so a
// typo never widens a query). What a schema cannot say is checked by the pure step from a validated query to the
// ReadRequest the handlers take: times as RFC 3339 or a duration, operations in any case, field selectors, since
// before until. Messages name the parameter first; errors.ts words the schema's own refusals the same way.
import { Type, type Static, type TSchema } from 'typebox';
import { HttpError } from '../api/errors.ts';
import { ACTIVITY_GROUPINGS } from '../api/activity.ts';
import { HISTORY_FORMATS, PAST_VIEWS, type PastView } from '../api/history.ts';
import { parseTimeOrAgo } from '../config/units.ts';
import type { ChangeOperation } from '../event.ts';
import type { IncludeObject } from '../format/change-table.ts';
import type { ObjectQuery, ReadRequest } from '../read/requests.ts';
import type { EventFilter } from '../store/types.ts';

/** The span of a JavaScript Date: ±100,000,000 days around 1970. */
const LATEST_TIME_MS = 8.64e15;
const DAY_MS = 86_400_000;

const text = () => Type.Optional(Type.String());
const choice = <T extends string>(values: readonly T[]) => Type.Optional(Type.Enum([...values]));
const wholeNumber = (minimum: number, maximum: number) => Type.Optional(Type.Integer({ minimum, maximum }));
const query = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });

const ORDERS = ['desc', 'asc'] as const;

const FILTER = {
  namespace: text(), group: text(), kind: text(), name: text(), user: text(), userGroup: text(), operation: text(), since: text(), until: text(),
};
const OBJECT = { namespace: text(), kind: Type.String({ minLength: 1 }), name: Type.String({ minLength: 1 }), group: text() };

/** Parameters kubectl sends with every list that a history of changes has no use for. */
const IGNORED_LIST_PARAMETERS = {
  resourceVersion: text(), resourceVersionMatch: text(), timeoutSeconds: text(), allowWatchBookmarks: text(), sendInitialEvents: text(), pretty: text(),
};

/** `GET /api/v1/events`. */
export const EventsQuery = query({ ...FILTER, limit: wholeNumber(1, 1000), cursor: text(), order: choice(ORDERS) });
/** `GET /api/v1/blame`. */
export const BlameQuery = query(OBJECT);
/** `GET /api/v1/history`. */
export const HistoryQuery = query({ ...OBJECT, since: text(), until: text(), format: choice(HISTORY_FORMATS), limit: wholeNumber(1, 1000), continue: text() });
/** `GET /api/v1/state`: the object as it was `at` a time (RFC 3339 or a duration ago; default now). */
export const StateQuery = query({ ...OBJECT, at: text() });
/** `GET /api/v1/revert`: the manifest that restores the object as it was before `change`. */
export const RevertQuery = query({ ...OBJECT, change: Type.String({ minLength: 1 }) });
/** `GET …/overview` (`since`, default 24h; `topUsers`). */
export const OverviewQuery = query({ since: text(), topUsers: wholeNumber(1, 20) });
/** The aggregated API's list of `changes`. */
export const ChangesQuery = query({
  ...FILTER,
  clusterScoped: choice(['false', 'true']),
  fieldSelector: text(),
  labelSelector: text(),
  watch: text(),
  limit: wholeNumber(0, 1000),
  continue: text(),
  order: choice(ORDERS),
  includeObject: choice<IncludeObject>(['None', 'Metadata', 'Object']),
  /** One object's past instead of the list (kind and name name it): blame, its state `at` a time, or the revert of `change`. */
  view: choice(PAST_VIEWS),
  at: text(),
  change: text(),
  ...IGNORED_LIST_PARAMETERS,
});
/** One change by name: no parameters but the ones kubectl always sends. */
export const ChangeQuery = query({});
/** `GET /api/v1/events/live`: the filters of `/api/v1/events` without a time range (it streams from now on). */
export const LiveQuery = query({ namespace: text(), group: text(), kind: text(), name: text(), user: text(), userGroup: text(), operation: text() });
/** `GET /api/v1/activity` (`since` default 24h, `until` default now). */
export const ActivityQuery = query({ since: text(), until: text(), by: choice(ACTIVITY_GROUPINGS), buckets: wholeNumber(1, 200), top: wholeNumber(1, 50) });

function time(name: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseTimeOrAgo(value, now);
  if (parsed === null) throw new HttpError(400, `${name}: "${value}" is neither RFC 3339 (2026-01-02T15:04:05Z) nor a duration such as 2h or 7d`);
  if (!(Math.abs(parsed) <= LATEST_TIME_MS)) throw new HttpError(400, `${name}: "${value}" is out of range; give a time after 1970 or a shorter duration`);
  return parsed;
}

function operation(value: string | undefined): ChangeOperation | undefined {
  if (value === undefined) return undefined;
  const upper = value.toUpperCase();
  if (upper !== 'CREATE' && upper !== 'UPDATE' && upper !== 'DELETE' && upper !== 'CONNECT') {
    throw new HttpError(400, `operation: must be CREATE, UPDATE, DELETE or CONNECT, got "${value}"`);
  }
  return upper;
}

function eventFilter(q: Static<typeof EventsQuery> | Static<typeof ChangesQuery>, now: number): EventFilter {
  const filter: EventFilter = {
    namespace: q.namespace, group: q.group, kind: q.kind, name: q.name, user: q.user, userGroup: q.userGroup,
    operation: operation(q.operation), sinceMs: time('since', q.since, now), untilMs: time('until', q.until, now),
  };
  if (filter.sinceMs !== undefined && filter.untilMs !== undefined && filter.sinceMs >= filter.untilMs) {
    throw new HttpError(400, 'since: must be before until');
  }
  return filter;
}

function objectQuery(q: Static<typeof BlameQuery>): ObjectQuery {
  return { namespace: q.namespace ?? '', kind: q.kind, name: q.name, ...(q.group !== undefined ? { group: q.group } : {}) };
}

export function eventsRequest(q: Static<typeof EventsQuery>, now: number): ReadRequest & { kind: 'events' } {
  const filter = eventFilter(q, now);
  return { kind: 'events', list: { filter, limit: q.limit ?? 100, order: q.order ?? 'desc', ...(q.cursor ? { continue: q.cursor } : {}) } };
}

export function blameRequest(q: Static<typeof BlameQuery>): ReadRequest & { kind: 'blame' } {
  return { kind: 'blame', object: objectQuery(q) };
}

export function stateRequest(q: Static<typeof StateQuery>, now: number): ReadRequest & { kind: 'state' } {
  return { kind: 'state', object: objectQuery(q), atMs: time('at', q.at, now) ?? now };
}

export function revertRequest(q: Static<typeof RevertQuery>): ReadRequest & { kind: 'revert' } {
  return { kind: 'revert', object: objectQuery(q), changeId: q.change };
}

export function historyRequest(q: Static<typeof HistoryQuery>, now: number): ReadRequest & { kind: 'history' } {
  return {
    kind: 'history', object: objectQuery(q), sinceMs: time('since', q.since, now), untilMs: time('until', q.until, now), format: q.format ?? 'json',
    limit: q.limit ?? 1000, ...(q.continue ? { continue: q.continue } : {}),
  };
}

/** The live stream's filter: empty values mean no filter, as in a form left blank. */
export function liveFilter(q: Static<typeof LiveQuery>): Omit<EventFilter, 'sinceMs' | 'untilMs'> {
  const filter = { ...q, operation: operation(q.operation) };
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined && value !== ''));
}

export function activityRequest(q: Static<typeof ActivityQuery>, now: number): ReadRequest & { kind: 'activity' } {
  const sinceMs = time('since', q.since, now) ?? now - DAY_MS;
  const untilMs = time('until', q.until, now) ?? now;
  if (sinceMs >= untilMs) throw new HttpError(400, 'since: must be before until');
  return { kind: 'activity', sinceMs, untilMs, by: q.by ?? 'namespace', buckets: q.buckets ?? 24, top: q.top ?? 10 };
}

/** `resource`: answered as the aggregated API's Overview object. */
export function overviewRequest(q: Static<typeof OverviewQuery>, now: number, resource: boolean): ReadRequest & { kind: 'overview' } {
  return { kind: 'overview', sinceMs: time('since', q.since, now) ?? now - DAY_MS, topUsers: q.topUsers ?? 3, resource };
}

/** fieldSelector keys `kubectl get changes --field-selector` understands, mapped to store filters. */
const FIELD_SELECTORS = new Map<string, 'group' | 'kind' | 'name' | 'user' | 'operation'>([
  ['target.group', 'group'], ['target.kind', 'kind'], ['target.name', 'name'], ['user.username', 'user'], ['operation', 'operation'],
]);

/** Narrows `filter` by a Kubernetes field selector (`key=value` or `key==value`, comma-separated). */
export function applyFieldSelector(selector: string | undefined, filter: EventFilter): void {
  if (!selector) return;
  for (const term of selector.split(',')) {
    const match = /^([\w.]+)\s*==?\s*(.*)$/.exec(term.trim());
    const key = match ? FIELD_SELECTORS.get(match[1]!) : undefined;
    if (!match || !key) {
      throw new HttpError(400, `fieldSelector: "${term}" is not supported; use ${[...FIELD_SELECTORS.keys()].map((name) => `${name}=…`).join(', ')}`);
    }
    const value = match[2]!;
    if (key === 'operation') {
      const upper = value.toUpperCase();
      if (upper !== 'CREATE' && upper !== 'UPDATE' && upper !== 'DELETE') {
        throw new HttpError(400, `fieldSelector: operation must be CREATE, UPDATE or DELETE, got "${value}"`);
      }
      filter.operation = upper;
    } else {
      filter[key] = value;
    }
  }
}

/**
 * `changes?view=…`: one object's past through the aggregated API, allowed to whoever may list changes there.
 * The object is named by `kind`, `name` and optionally `group`; cluster-scoped ones with `clusterScoped=true`.
 */
function pastRequest(view: PastView, q: Static<typeof ChangesQuery>, now: number, namespace: string | undefined): ReadRequest {
  if (!q.kind || !q.name) throw new HttpError(400, `view: ${view} is of one object; name it with kind and name (and group)`);
  if (namespace === undefined && q.clusterScoped !== 'true') {
    throw new HttpError(400, `view: ${view} is of one object; ask in its namespace, or with clusterScoped=true for a cluster-scoped one`);
  }
  const object = objectQuery({ namespace: namespace ?? '', kind: q.kind, name: q.name, ...(q.group !== undefined ? { group: q.group } : {}) });
  for (const [parameter, allowed] of [['at', view === 'state'], ['change', view === 'revert']] as const) {
    if (q[parameter] !== undefined && !allowed) throw new HttpError(400, `${parameter}: not a parameter of view=${view}`);
  }
  switch (view) {
    case 'blame':
      return { kind: 'blame', object, emptyWithoutHistory: true };
    case 'state':
      return { kind: 'state', object, atMs: time('at', q.at, now) ?? now };
    case 'revert':
      if (!q.change) throw new HttpError(400, 'change: view=revert needs the ID of the change to revert');
      return { kind: 'revert', object, changeId: q.change };
  }
}

/** The aggregated API's list of `changes`, or one object's past with `view`. */
export function changesOrPastRequest(q: Static<typeof ChangesQuery>, now: number, namespace: string | undefined, table: boolean): ReadRequest {
  if (q.view !== undefined) return pastRequest(q.view, q, now, namespace);
  if (q.at !== undefined || q.change !== undefined) throw new HttpError(400, `${q.at !== undefined ? 'at' : 'change'}: only with view=state or view=revert`);
  return changesRequest(q, now, namespace, table);
}

/** The aggregated API's list of `changes`, in a namespace (from the path) or across all. */
export function changesRequest(q: Static<typeof ChangesQuery>, now: number, namespace: string | undefined, table: boolean): ReadRequest & { kind: 'changes' } {
  const filter = eventFilter(q, now);
  if (namespace !== undefined) filter.namespace = namespace;
  else if (q.clusterScoped === 'true') filter.namespace = '';
  applyFieldSelector(q.fieldSelector, filter);
  if (q.labelSelector) throw new HttpError(400, 'labelSelector: changes have no labels; filter with fieldSelector or kind, name, user, operation');
  if (q.watch === 'true') throw new HttpError(405, 'watch: changes cannot be watched yet; list them again');
  const list = { filter, limit: q.limit || 500, order: q.order ?? 'desc', ...(q.continue ? { continue: q.continue } : {}) };
  return { kind: 'changes', list, now, ...(table ? { table: q.includeObject ?? 'Metadata' } : {}) };
}

export function changeRequest(id: string, namespace: string | undefined, table: boolean, now: number): ReadRequest & { kind: 'change' } {
  return { kind: 'change', id, table, now, ...(namespace !== undefined ? { namespace } : {}) };
}
