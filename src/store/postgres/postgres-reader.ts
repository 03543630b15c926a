// The PostgreSQL store's read side, over a pool of its own: the store uses one on the request thread, and the
// reader thread opens another, so reads never queue behind captures for a connection.
import type pg from 'pg';
import type { ChangeEvent, ObjectKey } from '../../event.ts';
import {
  MAX_PAGE_BYTES, StoreError, type EventFilter, type EventPage, type HistoryRow, type NamespaceActivity, type ObjectState,
} from '../types.ts';
import { decompressBody } from '../body-dictionary.ts';
import { POSTGRES_EVENT_SELECT, type StoredEventRow } from '../event-columns.ts';
import { eventFromRow } from '../event-codec.ts';
import { filterConditions } from '../event-filter.ts';
import { ActivityCounts, decodeCursor, encodeCursor, historyRow, HOUR_MS, pageBytes, type LastChangeRow } from '../read-rows.ts';

type SqlRow = StoredEventRow & { id: string; time_ms: string };

function toEvent(row: SqlRow): ChangeEvent {
  return eventFromRow(row, decompressBody(row.body, row.body_dictionary));
}

/** One object's events, within the filter's times. */
function objectQuery(key: ObjectKey, filter: Pick<EventFilter, 'sinceMs' | 'untilMs'>): [string, unknown[]] {
  const params: unknown[] = [key.group, key.kind, key.namespace, key.name];
  const times = filterConditions({ sinceMs: filter.sinceMs, untilMs: filter.untilMs }, 'postgres', params);
  return [
    [`SELECT ${POSTGRES_EVENT_SELECT} FROM events WHERE api_group = $1 AND kind = $2 AND namespace = $3 AND name = $4`, ...times].join(' AND '),
    params,
  ];
}

/** Rows fetched per round trip while filling a page, so a page of large events holds little beyond its cap. */
const PAGE_FETCH = 200;
/** Rows of one object's history fetched per round trip: its events can each be as large as an object gets. */
const HISTORY_FETCH = 20;

export class PostgresReader {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  private async query<T>(sql: string, params: unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (error) {
      throw new StoreError(`read failed: ${(error as Error).message}`);
    }
  }

  async listEvents(filter: EventFilter, limit: number, cursor?: string, order: 'asc' | 'desc' = 'desc', maxBytes = MAX_PAGE_BYTES): Promise<EventPage> {
    const params: unknown[] = [];
    const where = filterConditions(filter, 'postgres', params);
    let after = cursor === undefined ? undefined : decodeCursor(cursor);
    const direction = order === 'asc' ? 'ASC' : 'DESC';
    const items: ChangeEvent[] = [];
    let bytes = 0;
    for (;;) {
      const pageParams = [...params];
      const clauses = [...where];
      if (after !== undefined) {
        pageParams.push(after);
        clauses.push(`id ${order === 'asc' ? '>' : '<'} $${pageParams.length}`);
      }
      const want = Math.min(PAGE_FETCH, limit + 1 - items.length);
      pageParams.push(want);
      const rows = await this.query<SqlRow>(
        `SELECT ${POSTGRES_EVENT_SELECT} FROM events ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY id ${direction} LIMIT $${pageParams.length}`,
        pageParams,
      );
      for (const row of rows) {
        if (items.length === limit) return { items, nextCursor: encodeCursor(items[items.length - 1]!.id) };
        const body = decompressBody(row.body, row.body_dictionary);
        const size = pageBytes(row.operation, body);
        if (items.length > 0 && bytes + size > maxBytes) return { items, nextCursor: encodeCursor(items[items.length - 1]!.id) };
        bytes += size;
        items.push(eventFromRow(row, body));
      }
      if (rows.length < want) return { items };
      after = rows[rows.length - 1]!.id;
    }
  }

  async getEvent(id: string): Promise<ChangeEvent | null> {
    if (!/^\d{1,19}$/.test(id)) return null;
    const [row] = await this.query<SqlRow>(`SELECT ${POSTGRES_EVENT_SELECT} FROM events WHERE id = $1`, [id]);
    return row ? toEvent(row) : null;
  }

  async objectGroups(kind: string, namespace: string, name: string): Promise<string[]> {
    const rows = await this.query<{ api_group: string }>(
      'SELECT DISTINCT api_group FROM events WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name],
    );
    return rows.map((row) => row.api_group);
  }

  async history(key: ObjectKey, filter: { sinceMs?: number; untilMs?: number } = {}): Promise<ChangeEvent[]> {
    const [sql, params] = objectQuery(key, filter);
    return (await this.query<SqlRow>(`${sql} ORDER BY id ASC`, params)).map(toEvent);
  }

  /**
   * One object's events one at a time, oldest first (newest first with 'desc'), each decompressed and parsed only when asked,
   * fetched a few rows per round trip: a reader that stops early never holds more than those rows.
   */
  async *historyRows(key: ObjectKey, filter: { sinceMs?: number; untilMs?: number } = {}, order: 'asc' | 'desc' = 'asc'): AsyncGenerator<HistoryRow> {
    const [sql, params] = objectQuery(key, filter);
    let after: string | undefined;
    for (;;) {
      const pageParams = [...params];
      let pageSql = sql;
      if (after !== undefined) { pageParams.push(after); pageSql += ` AND id ${order === 'asc' ? '>' : '<'} $${pageParams.length}`; }
      pageParams.push(HISTORY_FETCH);
      const rows = await this.query<SqlRow>(`${pageSql} ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT $${pageParams.length}`, pageParams);
      for (const row of rows) yield historyRow(row);
      if (rows.length < HISTORY_FETCH) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  async overview(sinceMs: number, topUsers = 3): Promise<NamespaceActivity[]> {
    // Whole hours come from the per-hour activity table; the partial first hour is counted exactly.
    const firstFullHour = Math.ceil(sinceMs / HOUR_MS);
    const counts = new ActivityCounts();
    type Count = { namespace: string; username: string; changes: string };
    for (const row of await this.query<Count>(
      'SELECT namespace, username, SUM(changes) AS changes FROM activity WHERE hour >= $1 GROUP BY namespace, username', [firstFullHour],
    )) counts.add(row.namespace, row.username, Number(row.changes));
    for (const row of await this.query<Count>(
      'SELECT namespace, username, COUNT(*) AS changes FROM events WHERE time_ms >= $1 AND time_ms < $2 GROUP BY namespace, username',
      [sinceMs, firstFullHour * HOUR_MS],
    )) counts.add(row.namespace, row.username, Number(row.changes));
    const namespaces = counts.namespaces;
    const lastRows = namespaces.length === 0 ? [] : await this.query<LastChangeRow & { namespace: string }>(`
      SELECT n.namespace, e.time_ms, e.username, e.api_group, e.kind, e.name, e.operation
      FROM unnest($1::text[]) AS n(namespace)
      CROSS JOIN LATERAL (SELECT * FROM events WHERE events.namespace = n.namespace ORDER BY id DESC LIMIT 1) AS e`, [namespaces]);
    const last = new Map(lastRows.map((row) => [row.namespace, row]));
    return counts.entries((namespace) => last.get(namespace), topUsers);
  }

  async resourceKinds(): Promise<{ group: string; resource: string; kind: string }[]> {
    return this.query('SELECT api_group AS "group", resource, kind FROM resource_kinds', []);
  }

  async pendingEvents(beforeMs: number, limit: number): Promise<ChangeEvent[]> {
    return (await this.query<SqlRow>(
      `SELECT ${POSTGRES_EVENT_SELECT} FROM events WHERE state = 'pending' AND time_ms < $1 ORDER BY time_ms LIMIT $2`, [beforeMs, limit],
    )).map(toEvent);
  }

  async oldestPendingTime(): Promise<number | null> {
    const [row] = await this.query<{ oldest: string | null }>("SELECT MIN(time_ms) AS oldest FROM events WHERE state = 'pending'", []);
    return row?.oldest == null ? null : Number(row.oldest);
  }

  async objectStates(resource: string): Promise<ObjectState[]> {
    type StateRow = { resource: string; namespace: string; name: string; object_uid: string; content_hash: string; resource_version: string; seen_ms: string };
    return (await this.query<StateRow>(
      'SELECT resource, namespace, name, object_uid, content_hash, resource_version, seen_ms FROM object_states WHERE resource = $1', [resource],
    )).map((row) => ({
      resource: row.resource, namespace: row.namespace, name: row.name, uid: row.object_uid, hash: row.content_hash,
      resourceVersion: row.resource_version, seenMs: Number(row.seen_ms),
    }));
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1', []);
  }
}
