// The embedded store's read side: a read-only node:sqlite connection, which WAL lets run beside the writer.
// The store opens one on its own thread; the reader thread opens its own, so reads never wait on captures.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { ChangeEvent, ChangeOperation, ObjectKey } from '../../event.ts';
import {
  InvalidQueryError, MAX_PAGE_BYTES, SERVICE_ACCOUNT_PREFIX, StoreError, type ActivityCounts, type ActivityQuery, type EventFilter, type EventPage, type HistoryRow,
  type NamespaceActivity, type ObjectState,
} from '../types.ts';
import { decompressBody } from '../body-dictionary.ts';
import type { StoredEventRow } from '../event-columns.ts';
import { eventFromRow } from '../event-codec.ts';
import { filterConditions } from '../event-filter.ts';
import { OverviewCounts, decodeCursor, encodeCursor, historyRow, HOUR_MS, pageBytes, type LastChangeRow } from '../read-rows.ts';

type SqlRow = StoredEventRow & { id: number; time_ms: number };

function toEvent(row: SqlRow): ChangeEvent {
  return eventFromRow(row, decompressBody(row.body, row.body_dictionary));
}

/** One object's events, within the filter's times. */
function objectQuery(key: ObjectKey, filter: Pick<EventFilter, 'sinceMs' | 'untilMs'>): [string, (string | number)[]] {
  const params: unknown[] = [key.group, key.kind, key.namespace, key.name];
  const times = filterConditions({ sinceMs: filter.sinceMs, untilMs: filter.untilMs }, 'sqlite', params);
  return [
    ['SELECT * FROM events WHERE api_group = ? AND kind = ? AND namespace = ? AND name = ?', ...times].join(' AND '),
    params as (string | number)[],
  ];
}

type DeniedRow = Pick<SqlRow, 'id' | 'time_ms' | 'username' | 'operation' | 'api_group' | 'kind' | 'namespace' | 'name' | 'denied_by'>;

export class SqliteReader {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private closed = false;

  private constructor(db: DatabaseSync) {
    this.db = db;
  }


  /** Opens a read-only connection to an existing database file. */
  static open(path: string): SqliteReader {
    const db = new DatabaseSync(path, { readOnly: true });
    db.exec('PRAGMA busy_timeout = 5000');
    return new SqliteReader(db);
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private read<T>(work: () => T): T {
    if (this.closed) throw new StoreError('the store is closed');
    try {
      return work();
    } catch (error) {
      if (error instanceof InvalidQueryError || error instanceof StoreError) throw error;
      throw new StoreError(`read failed: ${(error as Error).message}`);
    }
  }

  /**
   * A page of events, newest first unless `order` is 'asc'. A page ends at `limit` events or once the events in it
   * hold `maxBytes` of JSON (their bodies, a CREATE's twice), whichever comes first (never before its first event), with the cursor to go on.
   */
  async listEvents(filter: EventFilter, limit: number, cursor?: string, order: 'asc' | 'desc' = 'desc', maxBytes = MAX_PAGE_BYTES): Promise<EventPage> {
    const params: unknown[] = [];
    const where = filterConditions(filter, 'sqlite', params);
    if (cursor !== undefined) {
      where.push(order === 'asc' ? 'id > ?' : 'id < ?');
      params.push(Number(decodeCursor(cursor)));
    }
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;
    return this.read(() => {
      // Rows are read one at a time, so a page of large events never holds more than the cap and one row.
      const items: ChangeEvent[] = [];
      let bytes = 0;
      let more = false;
      for (const row of this.statement(sql).iterate(...(params as (string | number)[]), limit + 1) as Iterable<SqlRow>) {
        if (items.length === limit) {
          more = true;
          break;
        }
        const body = decompressBody(row.body, row.body_dictionary);
        const size = pageBytes(row.operation, body);
        if (items.length > 0 && bytes + size > maxBytes) {
          more = true;
          break;
        }
        bytes += size;
        items.push(eventFromRow(row, body));
      }
      const page: EventPage = { items };
      if (more) page.nextCursor = encodeCursor(items[items.length - 1]!.id);
      return page;
    });
  }

  async getEvent(id: string): Promise<ChangeEvent | null> {
    return this.read(() => {
      const row = this.statement('SELECT * FROM events WHERE id = ?').get(Number(id)) as unknown as SqlRow | undefined;
      return row ? toEvent(row) : null;
    });
  }

  async objectGroups(kind: string, namespace: string, name: string): Promise<string[]> {
    return this.read(() => (this.statement(
      'SELECT DISTINCT api_group FROM events WHERE kind = ? AND namespace = ? AND name = ?',
    ).all(kind, namespace, name) as { api_group: string }[]).map((row) => row.api_group));
  }

  async history(key: ObjectKey, filter: Pick<EventFilter, 'sinceMs' | 'untilMs'> = {}): Promise<ChangeEvent[]> {
    const [sql, params] = objectQuery(key, filter);
    return this.read(() => (this.statement(`${sql} ORDER BY id ASC`).all(...params) as unknown as SqlRow[]).map(toEvent));
  }

  /**
   * One object's events one at a time, oldest first (newest first with 'desc'), each decompressed and parsed only
   * when asked: a reader that stops early, or skips what it does not keep, never holds more than the row it is at.
   */
  async *historyRows(key: ObjectKey, filter: Pick<EventFilter, 'sinceMs' | 'untilMs'> = {}, order: 'asc' | 'desc' = 'asc'): AsyncGenerator<HistoryRow> {
    const [objectSql, params] = objectQuery(key, filter);
    const sql = `${objectSql} ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'}`;
    // A statement of its own: the cached ones may be stepped by another read while this one waits between rows.
    const rows = this.read(() => this.db.prepare(sql).iterate(...params) as Iterator<SqlRow>);
    try {
      for (;;) {
        const next = this.read(() => rows.next());
        if (next.done) return;
        yield historyRow(next.value, (work) => this.read(work));
      }
    } finally {
      // A walk that stops early ends its statement now: an open one keeps its read snapshot, which holds back checkpoints.
      rows.return?.();
    }
  }

  async overview(sinceMs: number, topUsers = 3): Promise<NamespaceActivity[]> {
    return this.read(() => {
      // Whole hours come from the per-hour activity table; the partial first hour is counted exactly.
      const firstFullHour = Math.ceil(sinceMs / HOUR_MS);
      const counts = new OverviewCounts();
      const hourly = this.statement(
        'SELECT namespace, username, SUM(changes) AS changes FROM activity WHERE hour >= ? GROUP BY namespace, username',
      ).all(firstFullHour) as { namespace: string; username: string; changes: number }[];
      for (const row of hourly) counts.add(row.namespace, row.username, row.changes);
      const partial = this.statement(
        'SELECT namespace, username, COUNT(*) AS changes FROM events WHERE time_ms >= ? AND time_ms < ? GROUP BY namespace, username',
      ).all(sinceMs, firstFullHour * HOUR_MS) as { namespace: string; username: string; changes: number }[];
      for (const row of partial) counts.add(row.namespace, row.username, row.changes);
      const last = this.statement(
        'SELECT time_ms, username, api_group, kind, name, operation FROM events WHERE namespace = ? ORDER BY id DESC LIMIT 1',
      );
      return counts.entries((namespace) => last.get(namespace) as LastChangeRow | undefined, topUsers);
    });
  }

  async activity(query: ActivityQuery): Promise<ActivityCounts> {
    return this.read(() => {
      const { sinceMs, untilMs, bucketMs, buckets, by, top, denials } = query;
      const window = [sinceMs, untilMs] as const;
      // Every statement reads the index events_activity (or events_denied) alone: no row, so no body (migration 7).
      const key = by === 'namespace' ? 'namespace' : 'username';
      const cells = this.statement(`
        SELECT ${key} AS key, MIN(CAST(? AS INTEGER), (time_ms - CAST(? AS INTEGER)) / CAST(? AS INTEGER)) AS bucket, COUNT(*) AS changes
        FROM events WHERE time_ms >= ? AND time_ms < ? GROUP BY key, bucket`,
      ).all(buckets - 1, sinceMs, bucketMs, ...window) as { key: string; bucket: number; changes: number }[];
      // The last author is looked up only for the few objects ranked, by the newest time and, among equals, id:
      // in events_activity too (by time, then the object), which events_by_object would not spare the rows.
      const objects = this.statement(`
        SELECT r.*, (SELECT username FROM events AS e INDEXED BY events_activity
          WHERE e.api_group = r.api_group AND e.kind = r.kind AND e.namespace = r.namespace AND e.name = r.name AND e.time_ms = r.last_ms
          ORDER BY e.id DESC LIMIT 1) AS last_user
        FROM (SELECT api_group, kind, namespace, name, COUNT(*) AS changes, MAX(time_ms) AS last_ms FROM events
          WHERE time_ms >= ? AND time_ms < ? GROUP BY api_group, kind, namespace, name
          ORDER BY changes DESC, last_ms DESC, api_group, kind, namespace, name LIMIT ?) AS r
        ORDER BY changes DESC, last_ms DESC, api_group, kind, namespace, name`,
      ).all(...window, top) as { api_group: string; kind: string; namespace: string; name: string; changes: number; last_ms: number; last_user: string }[];
      const users = (serviceAccounts: boolean) => this.statement(`
        SELECT username, COUNT(*) AS changes FROM events
        WHERE time_ms >= ? AND time_ms < ? AND substr(username, 1, ${SERVICE_ACCOUNT_PREFIX.length}) ${serviceAccounts ? '=' : '<>'} ?
        GROUP BY username ORDER BY changes DESC, username LIMIT ?`,
      ).all(...window, SERVICE_ACCOUNT_PREFIX, top) as { username: string; changes: number }[];
      const denied = this.statement(`
        SELECT id, time_ms, username, operation, api_group, kind, namespace, name, denied_by FROM events
        WHERE time_ms >= ? AND time_ms < ? AND denied_by <> '' ORDER BY time_ms DESC, id DESC LIMIT ?`,
      ).all(...window, denials) as unknown as DeniedRow[];
      return {
        cells: cells.map((cell) => ({ ...cell })),
        topObjects: objects.map((row) => ({
          group: row.api_group, kind: row.kind, namespace: row.namespace, name: row.name, changes: row.changes,
          lastTime: new Date(row.last_ms).toISOString(), lastUser: row.last_user,
        })),
        people: users(false).map((row) => ({ ...row })),
        serviceAccounts: users(true).map((row) => ({ ...row })),
        denials: denied.map((row) => ({
          id: String(row.id), time: new Date(row.time_ms).toISOString(), user: row.username, operation: row.operation as ChangeOperation,
          group: row.api_group, kind: row.kind, namespace: row.namespace, name: row.name, deniedBy: row.denied_by,
        })),
      };
    });
  }

  async resourceKinds(): Promise<{ group: string; resource: string; kind: string }[]> {
    return this.read(() => this.statement(
      "SELECT api_group AS \"group\", resource, kind FROM events WHERE subresource = '' GROUP BY api_group, resource",
    ).all() as { group: string; resource: string; kind: string }[]);
  }

  async pendingEvents(beforeMs: number, limit: number): Promise<ChangeEvent[]> {
    return this.read(() => (this.statement(
      "SELECT * FROM events WHERE state = 'pending' AND time_ms < ? ORDER BY time_ms LIMIT ?",
    ).all(beforeMs, limit) as unknown as SqlRow[]).map(toEvent));
  }

  async oldestPendingTime(): Promise<number | null> {
    return this.read(() => {
      const row = this.statement("SELECT MIN(time_ms) AS oldest FROM events WHERE state = 'pending'").get() as { oldest: number | null };
      return row.oldest;
    });
  }

  async objectStates(resource: string): Promise<ObjectState[]> {
    return this.read(() => (this.statement(
      'SELECT resource, namespace, name, object_uid, content_hash, resource_version, seen_ms FROM object_states WHERE resource = ?',
    ).all(resource) as { resource: string; namespace: string; name: string; object_uid: string; content_hash: string; resource_version: string; seen_ms: number }[])
      .map((row) => ({
        resource: row.resource, namespace: row.namespace, name: row.name, uid: row.object_uid, hash: row.content_hash,
        resourceVersion: row.resource_version, seenMs: row.seen_ms,
      })));
  }

  async ping(): Promise<void> {
    this.read(() => this.statement('SELECT 1').get());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
