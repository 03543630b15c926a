// The event filter, declared once: how each EventFilter field becomes a condition in SQLite's and PostgreSQL's
// SQL, and the same test in memory for the live stream (server/routes/live.ts), so all three decide alike.
import type { ChangeEvent } from '../event.ts';
import type { EventFilter } from './types.ts';

/** What a filter looks at: a whole event, or the fields of it the live stream keeps beside its text (no time). */
export type FilterableEvent = Pick<ChangeEvent, 'namespace' | 'group' | 'kind' | 'name' | 'operation'>
  & { user: Pick<ChangeEvent['user'], 'username' | 'groups'>; time?: string };

export type SqlDialect = 'sqlite' | 'postgres';

interface FilterField<V> {
  /** The condition, given the placeholder of the filter's value (`?` or `$n`). */
  sql: Record<SqlDialect, (placeholder: string) => string>;
  matches(event: FilterableEvent, value: V): boolean;
}

type FilterTable = { [K in keyof EventFilter]-?: FilterField<NonNullable<EventFilter[K]>> };

function sameIn(column: string): FilterField<never>['sql'] {
  const condition = (placeholder: string) => `${column} = ${placeholder}`;
  return { sqlite: condition, postgres: condition };
}

function bound(operator: '>=' | '<'): FilterField<never>['sql'] {
  const condition = (placeholder: string) => `time_ms ${operator} ${placeholder}`;
  return { sqlite: condition, postgres: condition };
}

export const EVENT_FILTERS: FilterTable = {
  namespace: { sql: sameIn('namespace'), matches: (event, value) => event.namespace === value },
  group: { sql: sameIn('api_group'), matches: (event, value) => event.group === value },
  kind: { sql: sameIn('kind'), matches: (event, value) => event.kind === value },
  name: { sql: sameIn('name'), matches: (event, value) => event.name === value },
  user: { sql: sameIn('username'), matches: (event, value) => event.user.username === value },
  userGroup: {
    sql: {
      sqlite: (placeholder) => `EXISTS (SELECT 1 FROM json_each(user_groups) WHERE value = ${placeholder})`,
      postgres: (placeholder) => `user_groups @> jsonb_build_array(${placeholder}::text)`,
    },
    matches: (event, value) => event.user.groups.includes(value),
  },
  operation: { sql: sameIn('operation'), matches: (event, value) => event.operation === value },
  sinceMs: { sql: bound('>='), matches: (event, value) => event.time !== undefined && Date.parse(event.time) >= value },
  untilMs: { sql: bound('<'), matches: (event, value) => event.time !== undefined && Date.parse(event.time) < value },
};

const FILTER_KEYS = Object.keys(EVENT_FILTERS) as (keyof EventFilter)[];

/**
 * The filter's conditions in `dialect`, its values appended to `params` (PostgreSQL's placeholders count from
 * what `params` already holds).
 */
export function filterConditions(filter: EventFilter, dialect: SqlDialect, params: unknown[]): string[] {
  const conditions: string[] = [];
  for (const key of FILTER_KEYS) {
    const value = filter[key];
    if (value === undefined) continue;
    params.push(value);
    conditions.push(EVENT_FILTERS[key].sql[dialect](dialect === 'sqlite' ? '?' : `$${params.length}`));
  }
  return conditions;
}

/** Does the event pass the filter, as the stores' lists decide. */
export function matchesFilter(event: FilterableEvent, filter: EventFilter): boolean {
  for (const key of FILTER_KEYS) {
    const value = filter[key];
    if (value !== undefined && !(EVENT_FILTERS[key].matches as (event: FilterableEvent, value: unknown) => boolean)(event, value)) return false;
  }
  return true;
}
