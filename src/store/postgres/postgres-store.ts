// The EventStore on PostgreSQL, for several replicas sharing one database. Writes use group commit: whatever
// arrives while a transaction commits goes into the next one, and each append resolves after its commit. A
// retried review (same request uid) is stored once across replicas (request_uids). Events are partitioned by
// day (created ahead, and on demand for an odd timestamp), so retention by age drops whole partitions.
import pg from 'pg';
import { Encoder } from '@toondepauw/node-zstd';
import type { ChangeEvent, NewChangeEvent, ObjectKey } from '../../event.ts';
import {
  StoreError,
  type ActivityCounts, type ActivityQuery, type EventFilter, type EventPage, type EventStateChange, type EventStore, type NamespaceActivity, type ObjectState,
  type ObjectStateKey, type ProvenanceStore, type PruneResult, type RetentionPolicy,
} from '../types.ts';
import { CURRENT_BODY_DICTIONARY, bodyDictionary } from '../body-dictionary.ts';
import { describeUrl, openPool, type PostgresOptions } from './connection.ts';
import { POSTGRES_MIGRATIONS, SCHEMA_LOCK_KEY } from './schema.ts';
import { PostgresReader } from './postgres-reader.ts';
import { encodeEventBody } from '../event-body.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MAX_BATCH = 2000;
const PRUNE_CHUNK = 5000;
/** Partitions kept ready ahead of today, so a capture never waits for one to be created. */
const DAYS_AHEAD = 3;

export interface PostgresStoreHooks {
  /** Called after each committed batch, for metrics. */
  onCommit?(batchSize: number, seconds: number, prunedPerObject: number): void;
}

interface Row {
  timeMs: number;
  requestUid: string;
  operation: string;
  username: string;
  userUid: string;
  userGroups: string;
  userExtra: string;
  group: string;
  version: string;
  kind: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  objectUid: string;
  fieldManager: string;
  deniedBy: string;
  state: string;
  authorGuess: string;
  body: string;
}

interface PendingAppend {
  rows: Row[];
  resolve(): void;
  reject(error: Error): void;
}

function toRow(event: NewChangeEvent): Row {
  return {
    timeMs: Date.parse(event.time),
    requestUid: event.requestUid,
    operation: event.operation,
    username: event.user.username,
    userUid: event.user.uid,
    userGroups: JSON.stringify(event.user.groups),
    userExtra: JSON.stringify(event.user.extra),
    group: event.group,
    version: event.version,
    kind: event.kind,
    resource: event.resource,
    subresource: event.subresource,
    namespace: event.namespace,
    name: event.name,
    objectUid: event.objectUid,
    fieldManager: event.fieldManager,
    deniedBy: event.deniedBy ?? '',
    state: event.state ?? '',
    authorGuess: event.authorGuess ? JSON.stringify(event.authorGuess) : '',
    body: encodeEventBody(event),
  };
}

/**
 * The database could not be reached (refused, unresolvable, timed out, starting up or shutting down), as
 * opposed to refusing us (authentication, a missing database, a newer schema), which no retry fixes.
 */
function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03'].includes(code)) return true;
  return /timeout|Connection terminated/i.test((error as Error).message);
}

export function partitionName(day: number): string {
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
  return `events_d${date}`;
}

interface Partition {
  name: string;
  fromMs: number;
  toMs: number;
}

export class PostgresEventStore implements EventStore, ProvenanceStore {
  readonly options: PostgresOptions;
  private readonly pool: pg.Pool;
  private readonly reader: PostgresReader;
  private readonly retention: RetentionPolicy;
  private readonly hooks: PostgresStoreHooks;
  // Compression runs on libuv's thread pool (encode, not encodeSync), off the request thread.
  private readonly encoder = new Encoder(3, bodyDictionary(CURRENT_BODY_DICTIONARY));
  private readonly partitionDays = new Set<number>();
  private pending: PendingAppend[] = [];
  private committing = false;
  private flushScheduled = false;
  private closed = false;
  /** Set while the schema is not known to be current (the database was unreachable at start): why. */
  private notReady: string | null = null;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(options: PostgresOptions, retention: RetentionPolicy, hooks: PostgresStoreHooks) {
    this.options = options;
    this.retention = retention;
    this.hooks = hooks;
    this.pool = openPool(options);
    this.reader = new PostgresReader(this.pool);
  }

  /** Connects, applies pending migrations and creates the partitions ahead. */
  static async open(options: PostgresOptions, retention: RetentionPolicy, hooks: PostgresStoreHooks = {}): Promise<PostgresEventStore> {
    let store: PostgresEventStore;
    try {
      store = new PostgresEventStore(options, retention, hooks);
    } catch (error) {
      throw new StoreError((error as Error).message);
    }
    try {
      await store.prepare();
    } catch (error) {
      if (!isUnreachable(error)) {
        await store.pool.end().catch(() => undefined);
        throw new StoreError(`cannot open ${describeUrl(options.url)}: ${(error as Error).message}`);
      }
      // Unreachable, not misconfigured: serve (fail-open, not ready) and keep trying in the background.
      store.notReady = `cannot reach ${describeUrl(options.url)}: ${(error as Error).message}`;
      store.retryPrepare();
    }
    return store;
  }

  private async prepare(): Promise<void> {
    await this.migrate();
    await this.ensurePartitionsAhead(Date.now());
  }

  private retryPrepare(): void {
    this.retryTimer = setTimeout(() => {
      this.prepare().then(() => { this.notReady = null; }, (error: unknown) => {
        this.notReady = `cannot reach ${describeUrl(this.options.url)}: ${(error as Error).message}`;
        if (!this.closed) this.retryPrepare();
      });
    }, 2000);
    this.retryTimer.unref();
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Session lock: replicas starting together wait here, then find the migrations applied.
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK_KEY]);
      try {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
        const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
        for (const migration of POSTGRES_MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw new Error(`migration ${migration.version} (${migration.description}) failed: ${(error as Error).message}`);
          }
        }
        const newest = Math.max(...POSTGRES_MIGRATIONS.map((migration) => migration.version));
        const ahead = [...applied].filter((version) => version > newest);
        if (ahead.length > 0) throw new Error(`the database has schema version ${Math.max(...ahead)}, newer than this logistis knows (${newest}); upgrade logistis`);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  /** The day partitions of events, oldest first. */
  async partitions(): Promise<Partition[]> {
    const rows = (await this.pool.query<{ name: string; bound: string }>(`
      SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass`)).rows;
    const partitions: Partition[] = [];
    for (const row of rows) {
      const match = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(row.bound);
      if (match) partitions.push({ name: row.name, fromMs: Number(match[1]), toMs: Number(match[2]) });
    }
    return partitions.sort((a, b) => a.fromMs - b.fromMs);
  }

  private async ensurePartitions(days: number[]): Promise<void> {
    const missing = days.filter((day) => !this.partitionDays.has(day));
    if (missing.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // One replica at a time changes the partitions; the others then find them there.
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      for (const day of missing) {
        await client.query(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF events FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`);
      }
      await client.query('COMMIT');
      for (const day of missing) this.partitionDays.add(day);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private ensurePartitionsAhead(nowMs: number): Promise<void> {
    const today = Math.floor(nowMs / DAY_MS);
    return this.ensurePartitions(Array.from({ length: DAYS_AHEAD + 2 }, (_, i) => today - 1 + i));
  }

  append(events: NewChangeEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    if (events.length === 0) return Promise.resolve();
    return new Promise((resolveAppend, rejectAppend) => {
      this.pending.push({ rows: events.map(toRow), resolve: resolveAppend, reject: rejectAppend });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.committing || this.flushScheduled || this.pending.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.committing || this.pending.length === 0) return;
    this.committing = true;
    const batch: PendingAppend[] = [];
    let size = 0;
    while (this.pending.length > 0 && (size === 0 || size + this.pending[0]!.rows.length <= MAX_BATCH)) {
      const next = this.pending.shift()!;
      batch.push(next);
      size += next.rows.length;
    }
    const started = process.hrtime.bigint();
    try {
      const trimmed = await this.commit(batch.flatMap((entry) => entry.rows));
      this.hooks.onCommit?.(size, Number(process.hrtime.bigint() - started) / 1e9, trimmed);
      for (const entry of batch) entry.resolve();
    } catch (error) {
      const failure = error instanceof StoreError ? error : new StoreError(`commit failed: ${(error as Error).message}`);
      for (const entry of batch) entry.reject(failure);
    } finally {
      this.committing = false;
      this.scheduleFlush();
    }
  }

  /**
   * Commits the batch; a statement PostgreSQL aborted for a deadlock or a serialisation conflict with another
   * replica (possible when both trim one object), or for a partition missing after all, is run again.
   */
  private async commit(all: Row[]): Promise<number> {
    if (this.notReady) throw new StoreError(`not ready: ${this.notReady}`);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.commitOnce(all);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // 23514: no partition for a row's time, as when another replica dropped a day this one thought it had.
        if (code === '23514') this.partitionDays.clear();
        if (attempt >= 3 || (code !== '40P01' && code !== '40001' && code !== '23514')) throw error;
      }
    }
  }

  /**
   * The batch as one statement, so one round trip and atomic without BEGIN/COMMIT: claim the uids, insert the
   * events whose uid this batch claimed, count them per hour, learn resource kinds, and trim each touched object
   * to its newest events (the statement sees the rows before it, so it keeps the limit less what it adds).
   * Returns how many events the per-object limit removed.
   */
  private async commitOnce(all: Row[]): Promise<number> {
    // A uid twice in one batch is one event. Events keep their arrival order (their ids follow it).
    const byUid = new Map<string, Row>();
    for (const row of all) if (!byUid.has(row.requestUid)) byUid.set(row.requestUid, row);
    const rows = [...byUid.values()];
    await this.ensurePartitions([...new Set(rows.map((row) => Math.floor(row.timeMs / DAY_MS)))]);
    const bodies = await Promise.all(rows.map((row) => this.encoder.encode(Buffer.from(row.body))));
    const column = <K extends keyof Row>(key: K) => rows.map((row) => row[key]);
    const { rows: [result] } = await this.pool.query<{ trimmed: string }>(`
      WITH incoming AS (
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[],
          $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
          $16::text[], $17::bytea[], $18::text[], $21::text[], $22::text[]) WITH ORDINALITY
          AS r(request_uid, time_ms, operation, username, user_uid, user_groups, user_extra, api_group, api_version,
            kind, resource, subresource, namespace, name, object_uid, field_manager, body, denied_by, state, author_guess,
            arrival)
      ), claimed AS (
        -- In uid order, so two replicas' batches holding the same retried uids lock them in one order.
        INSERT INTO request_uids (request_uid, time_ms) SELECT request_uid, time_ms FROM incoming ORDER BY request_uid
        ON CONFLICT (request_uid) DO NOTHING RETURNING request_uid
      ), inserted AS (
        INSERT INTO events (time_ms, request_uid, operation, username, user_uid, user_groups, user_extra, api_group,
          api_version, kind, resource, subresource, namespace, name, object_uid, field_manager, body, body_dictionary, denied_by,
          state, state_changed_ms, author_guess)
        SELECT time_ms, request_uid, operation, username, user_uid, user_groups, user_extra, api_group, api_version,
          kind, resource, subresource, namespace, name, object_uid, field_manager, body, $19, denied_by,
          state, CASE WHEN state = '' THEN 0 ELSE time_ms END, author_guess
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
            ORDER BY id DESC OFFSET GREATEST(0, $20 - o.added)) AS old
        ) AS doomed
        WHERE e.id = doomed.id AND e.time_ms = doomed.time_ms
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM trimmed) AS trimmed, (SELECT count(*) FROM counted) + (SELECT count(*) FROM kinds) AS side`, [
      column('requestUid'), column('timeMs'), column('operation'), column('username'), column('userUid'),
      column('userGroups'), column('userExtra'), column('group'), column('version'), column('kind'), column('resource'),
      column('subresource'), column('namespace'), column('name'), column('objectUid'), column('fieldManager'), bodies,
      column('deniedBy'), CURRENT_BODY_DICTIONARY, this.retention.maxEventsPerObject, column('state'), column('authorGuess'),
    ]);
    return Number(result!.trimmed);
  }

  listEvents(filter: EventFilter, limit: number, cursor?: string, order: 'asc' | 'desc' = 'desc', maxBytes?: number): Promise<EventPage> {
    return this.reading().listEvents(filter, limit, cursor, order, maxBytes);
  }

  getEvent(id: string): Promise<ChangeEvent | null> {
    return this.reading().getEvent(id);
  }

  objectGroups(kind: string, namespace: string, name: string): Promise<string[]> {
    return this.reading().objectGroups(kind, namespace, name);
  }

  history(key: ObjectKey, filter: Pick<EventFilter, 'sinceMs' | 'untilMs'> = {}): Promise<ChangeEvent[]> {
    return this.reading().history(key, filter);
  }

  overview(sinceMs: number, topUsers = 3): Promise<NamespaceActivity[]> {
    return this.reading().overview(sinceMs, topUsers);
  }

  activity(query: ActivityQuery): Promise<ActivityCounts> {
    return this.reading().activity(query);
  }

  resourceKinds(): Promise<{ group: string; resource: string; kind: string }[]> {
    return this.reading().resourceKinds();
  }

  /**
   * As on SQLite: pending moves to confirmed or not-applied, and a late confirmation still overrides not-applied.
   * The events are found through the small partial index events_undecided, not by scanning every partition.
   */
  async setEventStates(changes: EventStateChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    if (this.closed) throw new StoreError('the store is closed');
    // One statement updates a row once: per uid, the change that applied one after another would leave behind
    // (the first confirmation, else the first not-applied).
    const decisive = new Map<string, EventStateChange>();
    for (const change of changes) {
      const known = decisive.get(change.requestUid);
      if (!known || (known.state !== 'confirmed' && change.state === 'confirmed')) decisive.set(change.requestUid, change);
    }
    const chosen = [...decisive.values()];
    try {
      const result = await this.pool.query(`
        UPDATE events AS e SET state = c.state, state_changed_ms = c.at_ms
        FROM unnest($1::text[], $2::text[], $3::bigint[]) AS c(request_uid, state, at_ms)
        WHERE e.request_uid = c.request_uid AND e.state IN ('pending', 'not-applied')
          AND (e.state = 'pending' OR c.state = 'confirmed')`,
      [chosen.map((change) => change.requestUid), chosen.map((change) => change.state), chosen.map((change) => change.atMs)]);
      return result.rowCount ?? 0;
    } catch (error) {
      throw new StoreError(`state update failed: ${(error as Error).message}`);
    }
  }

  pendingEvents(beforeMs: number, limit: number): Promise<ChangeEvent[]> {
    return this.reading().pendingEvents(beforeMs, limit);
  }

  oldestPendingTime(): Promise<number | null> {
    return this.reading().oldestPendingTime();
  }

  async saveObjectStates(states: ObjectState[], deleted: ObjectStateKey[]): Promise<void> {
    if (states.length === 0 && deleted.length === 0) return;
    if (this.closed) throw new StoreError('the store is closed');
    // An upsert may touch a row once per statement: the last state given for a key wins.
    const byKey = new Map(states.map((state) => [`${state.resource}\u0000${state.namespace}\u0000${state.name}`, state]));
    // In key order, so two writers (one server per store is the rule, but a rollout overlaps) lock rows in one order.
    const upserts = [...byKey.keys()].sort().map((key) => byKey.get(key)!);
    const field = <K extends keyof ObjectState>(list: ObjectState[], key: K) => list.map((state) => state[key]);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (upserts.length > 0) {
        await client.query(`
          INSERT INTO object_states (resource, namespace, name, object_uid, content_hash, resource_version, seen_ms)
          SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
          ON CONFLICT (resource, namespace, name) DO UPDATE SET object_uid = excluded.object_uid,
            content_hash = excluded.content_hash, resource_version = excluded.resource_version, seen_ms = excluded.seen_ms`,
        [field(upserts, 'resource'), field(upserts, 'namespace'), field(upserts, 'name'), field(upserts, 'uid'), field(upserts, 'hash'),
          field(upserts, 'resourceVersion'), field(upserts, 'seenMs')]);
      }
      if (deleted.length > 0) {
        await client.query(`
          DELETE FROM object_states AS o USING unnest($1::text[], $2::text[], $3::text[]) AS d(resource, namespace, name)
          WHERE o.resource = d.resource AND o.namespace = d.namespace AND o.name = d.name`,
        [deleted.map((key) => key.resource), deleted.map((key) => key.namespace), deleted.map((key) => key.name)]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new StoreError(`saving object states failed: ${(error as Error).message}`);
    } finally {
      client.release();
    }
  }

  objectStates(resource: string): Promise<ObjectState[]> {
    return this.reading().objectStates(resource);
  }

  private reading(): PostgresReader {
    if (this.closed) throw new StoreError('the store is closed');
    return this.reader;
  }

  /**
   * Drops the day partitions wholly older than the retention age, then deletes the older part of the day the
   * cut falls in, in small steps. Creates the partitions ahead as it goes.
   */
  async pruneByAge(nowMs: number): Promise<PruneResult> {
    const beforeMs = nowMs - this.retention.maxAgeMs;
    let prunedByAge = 0;
    try {
      await this.ensurePartitionsAhead(nowMs);
      for (const partition of await this.partitions()) {
        if (partition.toMs > beforeMs) break;
        prunedByAge += await this.dropPartition(partition);
      }
      for (;;) {
        const deleted = (await this.pool.query(
          'DELETE FROM events WHERE (id, time_ms) IN (SELECT id, time_ms FROM events WHERE time_ms < $1 LIMIT $2)', [beforeMs, PRUNE_CHUNK],
        )).rowCount ?? 0;
        prunedByAge += deleted;
        if (deleted < PRUNE_CHUNK || this.closed) break;
      }
      await this.pool.query('DELETE FROM activity WHERE hour < $1', [Math.floor(beforeMs / HOUR_MS)]);
      await this.pool.query('DELETE FROM request_uids WHERE time_ms < $1', [beforeMs]);
    } catch (error) {
      throw new StoreError(`pruning failed: ${(error as Error).message}`);
    }
    let prunedBySize = 0;
    if (this.retention.maxStoreBytes) {
      try {
        prunedBySize = await this.pruneBySize(this.retention.maxStoreBytes, nowMs);
      } catch (error) {
        throw new StoreError(`pruning by size failed: ${(error as Error).message}`);
      }
    }
    return { prunedByAge, prunedBySize };
  }

  /** Bytes the store's tables take on disk, indexes and TOAST included. */
  async sizeBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: string }>(`
      SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c
      WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass)
        OR c.oid IN ('request_uids'::regclass, 'activity'::regclass, 'resource_kinds'::regclass, 'object_states'::regclass)`);
    return Number(rows[0]!.bytes);
  }

  /**
   * While over the limit: drop the oldest day partitions (which frees their space at once), never today's; if
   * today alone is over, delete the oldest rows worth the excess (their space is reused once vacuumed).
   */
  private async pruneBySize(maxBytes: number, nowMs: number): Promise<number> {
    let pruned = 0;
    for (const partition of await this.partitions()) {
      if (this.closed || partition.toMs > nowMs || (await this.sizeBytes()) <= maxBytes) break;
      pruned += await this.dropPartition(partition);
    }
    const [oldest] = await this.partitions();
    // The uids of dropped days go too: nothing of theirs is left to retry against.
    if (oldest && pruned > 0) await this.pool.query('DELETE FROM request_uids WHERE time_ms < $1', [oldest.fromMs]);
    const size = await this.sizeBytes();
    if (size <= maxBytes || this.closed) return pruned;
    const { rows } = await this.pool.query<{ events: string }>('SELECT count(*) AS events FROM events');
    const events = Number(rows[0]!.events);
    if (events === 0) return pruned;
    let excess = Math.ceil(((size - maxBytes) / size) * events);
    while (excess > 0 && !this.closed) {
      const deleted = (await this.pool.query(
        'DELETE FROM events WHERE (id, time_ms) IN (SELECT id, time_ms FROM events ORDER BY time_ms, id LIMIT $1)', [Math.min(excess, PRUNE_CHUNK)],
      )).rowCount ?? 0;
      if (deleted === 0) break;
      pruned += deleted;
      excess -= deleted;
    }
    return pruned;
  }

  /** Drops one partition; returns how many events it held. */
  private async dropPartition(partition: Partition): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      const exists = (await client.query('SELECT 1 FROM pg_class WHERE relname = $1', [partition.name])).rowCount;
      if (!exists) {
        await client.query('COMMIT');
        return 0;
      }
      const name = pg.escapeIdentifier(partition.name);
      const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${name}`);
      await client.query(`DROP TABLE ${name}`);
      await client.query('COMMIT');
      const day = Math.floor(partition.fromMs / DAY_MS);
      this.partitionDays.delete(day);
      return Number(rows[0]!.count);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The last source id a copy from `source` committed, or 0. */
  async copyCheckpoint(source: string): Promise<number> {
    const { rows } = await this.pool.query<{ last_id: string }>('SELECT last_id FROM copy_checkpoints WHERE source = $1', [source]);
    return rows[0] ? Number(rows[0].last_id) : 0;
  }

  async saveCopyCheckpoint(source: string, lastId: number): Promise<void> {
    await this.pool.query(`
      INSERT INTO copy_checkpoints (source, last_id) VALUES ($1, $2)
      ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id, updated_at = now()`, [source, lastId]);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreError('the store is closed');
    if (this.notReady) throw new StoreError(this.notReady);
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw new StoreError(`PostgreSQL unreachable: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.pending.length > 0 || this.committing) {
      if (!this.committing) await this.flush();
      else await new Promise((resolveTick) => setTimeout(resolveTick, 2));
    }
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.pool.end();
  }
}
