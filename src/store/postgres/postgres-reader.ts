// The PostgreSQL store's read side, over a pool of its own: the store uses one on the request thread, and the
// reader thread opens another, so reads never queue behind captures for a connection.
import type pg from 'pg';
import type { ChangeEvent, ChangeOperation, ObjectKey } from '../../event.ts';
import {
  MAX_PAGE_BYTES, SERVICE_ACCOUNT_PREFIX, StoreError, type ActivityCounts, type ActivityQuery, type EventFilter, type EventPage, type HistoryRow,
  type NamespaceActivity, type ObjectState,
} from '../types.ts';
import { decompressBody } from '../body-dictionary.ts';
import { POSTGRES_EVENT_SELECT, type StoredEventRow } from '../event-columns.ts';
import { eventFromRow } from '../event-codec.ts';
import { filterConditions } from '../event-filter.ts';
import { OverviewCounts, decodeCursor, encodeCursor, historyRow, HOUR_MS, pageBytes, type LastChangeRow } from '../read-rows.ts';

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
    const counts = new OverviewCounts();
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

  async activity(query: ActivityQuery): Promise<ActivityCounts> {
    const { sinceMs, untilMs, bucketMs, buckets, by, top, denials } = query;
    // Index-only reads of events_activity and events_denied (migration 4): no body is fetched. Counts come back as text (bigint).
    const key = by === 'namespace' ? 'namespace' : 'username';
    const users = (serviceAccount: boolean) => this.query<{ username: string; changes: string }>(`
      SELECT username, COUNT(*) AS changes FROM events
      WHERE time_ms >= $1 AND time_ms < $2 AND substr(username, 1, ${SERVICE_ACCOUNT_PREFIX.length}) ${serviceAccount ? '=' : '<>'} $3
      GROUP BY username ORDER BY changes DESC, username COLLATE "C" LIMIT $4`, [sinceMs, untilMs, SERVICE_ACCOUNT_PREFIX, top]);
    const [cells, objects, people, serviceAccounts, denied] = await Promise.all([
      this.query<{ key: string; bucket: string; changes: string }>(`
        SELECT ${key} AS key, LEAST($3::bigint, (time_ms - $1::bigint) / $4::bigint) AS bucket, COUNT(*) AS changes
        FROM events WHERE time_ms >= $1 AND time_ms < $2 GROUP BY 1, 2`, [sinceMs, untilMs, buckets - 1, bucketMs]),
      // The last author is looked up only for the few objects ranked, by the newest time and, among equals, id.
      this.query<{ api_group: string; kind: string; namespace: string; name: string; changes: string; last_ms: string; last_user: string }>(`
        SELECT r.*, (SELECT username FROM events AS e
          WHERE e.api_group = r.api_group AND e.kind = r.kind AND e.namespace = r.namespace AND e.name = r.name AND e.time_ms = r.last_ms
          ORDER BY e.id DESC LIMIT 1) AS last_user
        FROM (SELECT api_group, kind, namespace, name, COUNT(*) AS changes, MAX(time_ms) AS last_ms FROM events
          WHERE time_ms >= $1 AND time_ms < $2 GROUP BY api_group, kind, namespace, name
          ORDER BY changes DESC, last_ms DESC, api_group COLLATE "C", kind COLLATE "C", namespace COLLATE "C", name COLLATE "C" LIMIT $3) AS r
        ORDER BY changes DESC, last_ms DESC, api_group COLLATE "C", kind COLLATE "C", namespace COLLATE "C", name COLLATE "C"`, [sinceMs, untilMs, top]),
      users(false), users(true),
      this.query<{ id: string; time_ms: string; username: string; operation: string; api_group: string; kind: string; namespace: string; name: string; denied_by: string }>(`
        SELECT id, time_ms, username, operation, api_group, kind, namespace, name, denied_by FROM events
        WHERE time_ms >= $1 AND time_ms < $2 AND denied_by <> '' ORDER BY time_ms DESC, id DESC LIMIT $3`, [sinceMs, untilMs, denials]),
    ]);
    const counted = (rows: { username: string; changes: string }[]) => rows.map((row) => ({ username: row.username, changes: Number(row.changes) }));
    return {
      cells: cells.map((cell) => ({ key: cell.key, bucket: Number(cell.bucket), changes: Number(cell.changes) })),
      topObjects: objects.map((row) => ({
        group: row.api_group, kind: row.kind, namespace: row.namespace, name: row.name, changes: Number(row.changes),
        lastTime: new Date(Number(row.last_ms)).toISOString(), lastUser: row.last_user,
      })),
      people: counted(people), serviceAccounts: counted(serviceAccounts),
      denials: denied.map((row) => ({
        id: String(row.id), time: new Date(Number(row.time_ms)).toISOString(), user: row.username, operation: row.operation as ChangeOperation,
        group: row.api_group, kind: row.kind, namespace: row.namespace, name: row.name, deniedBy: row.denied_by,
      })),
    };
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
