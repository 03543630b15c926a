// Read-API query parameters: every one validated at the edge, every error names the parameter. Each read's
// parser turns a query string into the ReadRequest the handlers take, or throws a 400 that says what was wrong.
import { HttpError } from '../api/errors.ts';
import { HISTORY_FORMATS } from '../api/history.ts';
import { parseTimeOrAgo } from '../config/units.ts';
import type { ChangeOperation } from '../event.ts';
import type { IncludeObject } from '../format/change-table.ts';
import type { ObjectQuery, ReadRequest } from '../read/requests.ts';
import type { EventFilter } from '../store/types.ts';

export type Query = Record<string, string | string[] | undefined>;

/** The span of a JavaScript Date: ±100,000,000 days around 1970. */
const LATEST_TIME_MS = 8.64e15;
const DAY_MS = 86_400_000;

export class QueryReader {
  private readonly query: Query;
  private readonly known = new Set<string>();
  private readonly now: number;

  constructor(query: unknown, now: number) {
    this.query = (query ?? {}) as Query;
    this.now = now;
  }

  string(name: string): string | undefined {
    this.known.add(name);
    if (!Object.hasOwn(this.query, name)) return undefined;
    const value = this.query[name];
    if (Array.isArray(value)) throw new HttpError(400, `${name}: give it once, not ${value.length} times`);
    return value;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new HttpError(400, `${name}: required`);
    return value;
  }

  time(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const parsed = parseTimeOrAgo(value, this.now);
    if (parsed === null) throw new HttpError(400, `${name}: "${value}" is neither RFC 3339 (2026-01-02T15:04:05Z) nor a duration such as 2h or 7d`);
    if (!(Math.abs(parsed) <= LATEST_TIME_MS)) throw new HttpError(400, `${name}: "${value}" is out of range; give a time after 1970 or a shorter duration`);
    return parsed;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new HttpError(400, `${name}: must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return Number(value);
  }

  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if (!choices.includes(value as T)) throw new HttpError(400, `${name}: must be one of ${choices.join(', ')}, got "${value}"`);
    return value as T;
  }

  operation(): ChangeOperation | undefined {
    const value = this.string('operation');
    if (value === undefined) return undefined;
    const upper = value.toUpperCase();
    if (upper !== 'CREATE' && upper !== 'UPDATE' && upper !== 'DELETE' && upper !== 'CONNECT') {
      throw new HttpError(400, `operation: must be CREATE, UPDATE, DELETE or CONNECT, got "${value}"`);
    }
    return upper;
  }

  eventFilter(): EventFilter {
    const filter: EventFilter = {
      namespace: this.string('namespace'),
      group: this.string('group'),
      kind: this.string('kind'),
      name: this.string('name'),
      user: this.string('user'),
      userGroup: this.string('userGroup'),
      operation: this.operation(),
      sinceMs: this.time('since'),
      untilMs: this.time('until'),
    };
    if (filter.sinceMs !== undefined && filter.untilMs !== undefined && filter.sinceMs >= filter.untilMs) {
      throw new HttpError(400, 'since: must be before until');
    }
    return filter;
  }

  /** Call after reading every parameter: a typo must not silently widen a query. */
  rejectUnknown(): void {
    for (const name of Object.keys(this.query)) {
      if (!this.known.has(name)) throw new HttpError(400, `${name}: unknown parameter; known: ${[...this.known].join(', ')}`);
    }
  }
}

const ORDERS = ['desc', 'asc'] as const;

/** `GET /api/v1/events`. */
export function parseEventsQuery(query: unknown, now: number): ReadRequest & { kind: 'events' } {
  const reader = new QueryReader(query, now);
  const filter = reader.eventFilter();
  const limit = reader.integer('limit', 100, 1, 1000);
  const cursor = reader.string('cursor');
  const order = reader.choice('order', ORDERS, 'desc');
  reader.rejectUnknown();
  return { kind: 'events', list: { filter, limit, order, ...(cursor ? { continue: cursor } : {}) } };
}

function objectQuery(reader: QueryReader): ObjectQuery {
  const namespace = reader.string('namespace') ?? '';
  const kind = reader.required('kind');
  const name = reader.required('name');
  const group = reader.string('group');
  return { namespace, kind, name, ...(group !== undefined ? { group } : {}) };
}

/** `GET /api/v1/blame`. */
export function parseBlameQuery(query: unknown, now: number): ReadRequest & { kind: 'blame' } {
  const reader = new QueryReader(query, now);
  const object = objectQuery(reader);
  reader.rejectUnknown();
  return { kind: 'blame', object };
}

/** `GET /api/v1/history`. */
export function parseHistoryQuery(query: unknown, now: number): ReadRequest & { kind: 'history' } {
  const reader = new QueryReader(query, now);
  const object = objectQuery(reader);
  const sinceMs = reader.time('since');
  const untilMs = reader.time('until');
  const format = reader.choice('format', HISTORY_FORMATS, 'json');
  reader.rejectUnknown();
  return { kind: 'history', object, sinceMs, untilMs, format };
}

/** `GET …/overview` (`since`, default 24h; `topUsers`). */
export function parseOverviewQuery(query: unknown, now: number, resource: boolean): ReadRequest & { kind: 'overview' } {
  const reader = new QueryReader(query, now);
  const sinceMs = reader.time('since') ?? now - DAY_MS;
  const topUsers = reader.integer('topUsers', 3, 1, 20);
  reader.rejectUnknown();
  return { kind: 'overview', sinceMs, topUsers, resource };
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

/** Parameters kubectl sends with every list that a history of changes has no use for. */
const IGNORED_LIST_PARAMETERS = ['resourceVersion', 'resourceVersionMatch', 'timeoutSeconds', 'allowWatchBookmarks', 'sendInitialEvents', 'pretty'];

/** The aggregated API's list of `changes`, in a namespace (from the path) or across all. */
export function parseChangesQuery(query: unknown, now: number, namespace: string | undefined, table: boolean): ReadRequest & { kind: 'changes' } {
  const reader = new QueryReader(query, now);
  const filter = reader.eventFilter();
  const clusterScoped = reader.choice('clusterScoped', ['false', 'true'], 'false') === 'true';
  if (namespace !== undefined) filter.namespace = namespace;
  else if (clusterScoped) filter.namespace = '';
  applyFieldSelector(reader.string('fieldSelector'), filter);
  const labelSelector = reader.string('labelSelector');
  if (labelSelector) throw new HttpError(400, 'labelSelector: changes have no labels; filter with fieldSelector or kind, name, user, operation');
  if (reader.string('watch') === 'true') throw new HttpError(405, 'watch: changes cannot be watched yet; list them again');
  const limit = reader.integer('limit', 500, 0, 1000) || 500;
  const continueToken = reader.string('continue');
  const order = reader.choice('order', ORDERS, 'desc');
  const includeObject = reader.choice<IncludeObject>('includeObject', ['None', 'Metadata', 'Object'], 'Metadata');
  for (const ignored of IGNORED_LIST_PARAMETERS) reader.string(ignored);
  reader.rejectUnknown();
  return {
    kind: 'changes', list: { filter, limit, order, ...(continueToken ? { continue: continueToken } : {}) }, now,
    ...(table ? { table: includeObject } : {}),
  };
}

/** One change by name: no parameters but the ones kubectl always sends. */
export function parseChangeQuery(query: unknown, now: number, id: string, namespace: string | undefined, table: boolean): ReadRequest & { kind: 'change' } {
  const reader = new QueryReader(query, now);
  reader.rejectUnknown();
  return { kind: 'change', id, table, now, ...(namespace !== undefined ? { namespace } : {}) };
}
