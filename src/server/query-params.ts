// Read-API query parameters: every one validated at the edge, every error names the parameter.
import { parseTimeOrAgo } from '../config/units.ts';
import type { ChangeOperation } from '../event.ts';
import type { EventFilter } from '../store/types.ts';
import { HttpError } from './errors.ts';

export type Query = Record<string, string | string[] | undefined>;

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
