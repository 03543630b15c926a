// The PostgreSQL store's commit of one group-commit batch: one statement claims the request uids (a retried review
// is stored once across replicas), inserts the events, counts them per hour, learns resource kinds and trims each
// touched object to its newest events. The event columns come from the one table (store/event-columns.ts).
import type pg from 'pg';
import { Encoder } from '@toondepauw/node-zstd';
import { CURRENT_BODY_DICTIONARY, bodyDictionary } from '../body-dictionary.ts';
import { EVENT_ROW_COLUMNS, INSERT_COLUMNS, type ColumnType, type EventRow } from '../event-columns.ts';
import { HOUR_MS } from '../read-rows.ts';
import type { Partitions } from './partitions.ts';
import type { LogCursor } from '../row-lines.ts';

const ARRAY_TYPES: Record<ColumnType, string> = { integer: 'bigint[]', text: 'text[]', jsonb: 'jsonb[]' };

// $1…$n: one array per row column, then the bodies, the dictionary and the per-object limit.
const ROW_ARRAYS = EVENT_ROW_COLUMNS.map((column, index) => `$${index + 1}::${ARRAY_TYPES[column.type]}`);
const BODIES = `$${EVENT_ROW_COLUMNS.length + 1}::bytea[]`;
const DICTIONARY = `$${EVENT_ROW_COLUMNS.length + 2}`;
const MAX_PER_OBJECT = `$${EVENT_ROW_COLUMNS.length + 3}`;
const LOG_ID = `$${EVENT_ROW_COLUMNS.length + 4}::text`;
const LOG_POSITION = `$${EVENT_ROW_COLUMNS.length + 5}::bigint`;
const ROW_COLUMN_NAMES = EVENT_ROW_COLUMNS.map((column) => column.column).join(', ');

/**
 * The batch as one statement, so one round trip and atomic without BEGIN/COMMIT: claim the uids, insert the
 * events whose uid this batch claimed, count them per hour, learn resource kinds, and trim each touched object
 * to its newest events (the statement sees the rows before it, so it keeps the limit less what it adds).
 */
const APPEND_SQL = `
  WITH incoming AS (
    SELECT * FROM unnest(${ROW_ARRAYS.join(', ')}, ${BODIES}) WITH ORDINALITY AS r(${ROW_COLUMN_NAMES}, body, arrival)
  ), claimed AS (
    -- In uid order, so two replicas' batches holding the same retried uids lock them in one order.
    INSERT INTO request_uids (request_uid, time_ms) SELECT request_uid, time_ms FROM incoming ORDER BY request_uid
    ON CONFLICT (request_uid) DO NOTHING RETURNING request_uid
  ), inserted AS (
    INSERT INTO events (${INSERT_COLUMNS.join(', ')})
    SELECT ${ROW_COLUMN_NAMES}, body, ${DICTIONARY}
    FROM incoming WHERE request_uid IN (SELECT request_uid FROM claimed)
    ORDER BY arrival
    RETURNING namespace, username, time_ms, api_group, kind, name, resource, subresource
  ), counted AS (
    -- Sorted, so concurrent replicas update shared counters in one order.
    INSERT INTO activity (namespace, username, hour, changes)
    SELECT namespace, username, time_ms / ${HOUR_MS}, count(*) FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (namespace, username, hour) DO UPDATE SET changes = activity.changes + excluded.changes
    RETURNING 1
  ), kinds AS (
    INSERT INTO resource_kinds (api_group, resource, kind)
    SELECT DISTINCT ON (api_group, resource) api_group, resource, kind FROM inserted WHERE subresource = ''
    ON CONFLICT DO NOTHING RETURNING 1
  ), touched AS (
    SELECT api_group, kind, namespace, name, count(*) AS added FROM inserted GROUP BY 1, 2, 3, 4
  ), trimmed AS (
    DELETE FROM events AS e USING (
      SELECT old.id, old.time_ms FROM touched AS o
      CROSS JOIN LATERAL (
        SELECT id, time_ms FROM events
        WHERE api_group = o.api_group AND kind = o.kind AND namespace = o.namespace AND name = o.name
        ORDER BY id DESC OFFSET GREATEST(0, ${MAX_PER_OBJECT} - o.added)) AS old
    ) AS doomed
    WHERE e.id = doomed.id AND e.time_ms = doomed.time_ms
    RETURNING 1
  ), cursor AS (
    -- The commit log's cursor moves in the statement that stores its records: a replay after a crash starts after them.
    INSERT INTO log_cursors (log_id, position) SELECT ${LOG_ID}, ${LOG_POSITION} WHERE ${LOG_ID} IS NOT NULL
    ON CONFLICT (log_id) DO UPDATE SET position = GREATEST(log_cursors.position, excluded.position)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM trimmed) AS trimmed, (SELECT count(*) FROM counted) + (SELECT count(*) FROM kinds) + (SELECT count(*) FROM cursor) AS side`;

export class AppendBatch {
  private readonly pool: pg.Pool;
  private readonly partitions: Partitions;
  private readonly maxEventsPerObject: number;
  // Compression runs on libuv's thread pool (encode, not encodeSync), off the request thread.
  private readonly encoder = new Encoder(3, bodyDictionary(CURRENT_BODY_DICTIONARY));

  constructor(pool: pg.Pool, partitions: Partitions, maxEventsPerObject: number) {
    this.pool = pool;
    this.partitions = partitions;
    this.maxEventsPerObject = maxEventsPerObject;
  }

  /**
   * Commits the batch; a statement PostgreSQL aborted for a deadlock or a serialisation conflict with another
   * replica (possible when both trim one object), or for a partition missing after all, is run again. Returns how
   * many events the per-object limit removed.
   */
  async commit(all: EventRow[], cursor?: LogCursor): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce(all, cursor);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // 23514: no partition for a row's time, as when another replica dropped a day this one thought it had.
        if (code === '23514') this.partitions.forget();
        if (attempt >= 3 || (code !== '40P01' && code !== '40001' && code !== '23514')) throw error;
      }
    }
  }

  private async commitOnce(all: EventRow[], cursor: LogCursor | undefined): Promise<number> {
    // A uid twice in one batch is one event. Events keep their arrival order (their ids follow it).
    const byUid = new Map<string, EventRow>();
    for (const row of all) if (!byUid.has(row.requestUid)) byUid.set(row.requestUid, row);
    const rows = [...byUid.values()];
    await this.partitions.forTimes(rows.map((row) => row.timeMs));
    const bodies = await Promise.all(rows.map((row) => this.encoder.encode(Buffer.from(row.body))));
    const { rows: [result] } = await this.pool.query<{ trimmed: string }>(APPEND_SQL, [
      ...EVENT_ROW_COLUMNS.map(({ field }) => rows.map((row) => row[field])), bodies, CURRENT_BODY_DICTIONARY, this.maxEventsPerObject,
      cursor?.logId ?? null, cursor?.position ?? 0,
    ]);
    return Number(result!.trimmed);
  }
}

/** How far the commit log `logId` is stored (0: nothing yet). */
export async function logCursor(pool: pg.Pool, logId: string): Promise<number> {
  const { rows } = await pool.query<{ position: string }>('SELECT position FROM log_cursors WHERE log_id = $1', [logId]);
  return rows[0] ? Number(rows[0].position) : 0;
}
