// The embedded EventStore: node:sqlite in WAL mode. Writes go to a worker thread that owns the write
// connection (group commit: whatever arrives while a commit runs goes into the next transaction); reads use
// a read-only connection on the request thread, which WAL lets run beside the writer.
import { Worker } from 'node:worker_threads';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ChangeEvent, ChangeOperation, NewChangeEvent, ObjectKey } from '../../event.ts';
import {
  InvalidQueryError, StoreError,
  type EventFilter, type EventPage, type EventStore, type NamespaceActivity, type PruneResult, type RetentionPolicy,
} from '../types.ts';
import { creationPatch } from '../../admission/patch.ts';
import { decompressBody } from './body-dictionary.ts';
import { encodeRows, type EventRow, type WriterOptions, type WriterRequest, type WriterResponse } from './protocol.ts';

const HOUR_MS = 3_600_000;

type WriterRequestBody = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;
const MAX_BATCH = 2000;
const PRUNE_CHUNK = 500;

export interface SqliteStoreHooks {
  /** Called after each committed batch, for metrics. */
  onCommit?(batchSize: number, seconds: number, prunedPerObject: number): void;
}

interface PendingAppend {
  rows: EventRow[];
  resolve(): void;
  reject(error: Error): void;
}

interface SqlRow {
  id: number;
  time_ms: number;
  request_uid: string;
  operation: string;
  username: string;
  user_uid: string;
  user_groups: string;
  user_extra: string;
  api_group: string;
  api_version: string;
  kind: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  object_uid: string;
  field_manager: string;
  body: Uint8Array;
  body_dictionary: number;
  denied_by: string;
}

function toRow(event: NewChangeEvent): EventRow {
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
    // A CREATE's patch is derivable from its object (creationPatch): store the object alone.
    body: JSON.stringify(event.operation === 'CREATE' ? { object: event.object } : { patch: event.patch, object: event.object }),
  };
}

function fromRow(row: SqlRow): ChangeEvent {
  const body = JSON.parse(decompressBody(row.body, row.body_dictionary)) as { patch?: ChangeEvent['patch']; object: ChangeEvent['object'] };
  return {
    id: String(row.id),
    time: new Date(row.time_ms).toISOString(),
    requestUid: row.request_uid,
    operation: row.operation as ChangeOperation,
    user: {
      username: row.username,
      uid: row.user_uid,
      groups: JSON.parse(row.user_groups) as string[],
      extra: JSON.parse(row.user_extra) as Record<string, string[]>,
    },
    group: row.api_group,
    version: row.api_version,
    kind: row.kind,
    resource: row.resource,
    subresource: row.subresource,
    namespace: row.namespace,
    name: row.name,
    objectUid: row.object_uid,
    fieldManager: row.field_manager,
    patch: body.patch ?? creationPatch(body.object),
    object: body.object,
    ...(row.denied_by ? { deniedBy: row.denied_by } : {}),
  };
}

function encodeCursor(id: number): string {
  return Buffer.from(`v1:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^v1:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidQueryError('cursor', 'cursor is not one this server issued; start again without it');
  return Number(match[1]);
}

export class SqliteEventStore implements EventStore {
  readonly path: string;
  private readonly retention: RetentionPolicy;
  private readonly hooks: SqliteStoreHooks;
  private worker!: Worker;
  private reader!: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();
  private nextRequestId = 1;
  private readonly waiting = new Map<number, { resolve(response: WriterResponse & { type: 'done' }): void; reject(error: Error): void }>();
  private pending: PendingAppend[] = [];
  private committing = false;
  private flushScheduled = false;
  private closed = false;
  private workerFailure: Error | null = null;

  private constructor(path: string, retention: RetentionPolicy, hooks: SqliteStoreHooks) {
    this.path = path;
    this.retention = retention;
    this.hooks = hooks;
  }

  static async open(path: string, retention: RetentionPolicy, hooks: SqliteStoreHooks = {}): Promise<SqliteEventStore> {
    const absolute = resolve(path);
    const directory = dirname(absolute);
    if (!existsSync(directory)) mkdirSync(directory, { recursive: true });
    const store = new SqliteEventStore(absolute, retention, hooks);
    await store.startWorker();
    store.reader = new DatabaseSync(absolute, { readOnly: true });
    store.reader.exec('PRAGMA busy_timeout = 5000');
    return store;
  }

  private startWorker(): Promise<void> {
    const here = import.meta.url;
    const workerUrl = new URL(here.endsWith('.ts') ? './writer-worker.ts' : './writer-worker.js', here);
    const workerOptions: WriterOptions = { path: this.path, maxEventsPerObject: this.retention.maxEventsPerObject };
    const worker = new Worker(workerUrl, { workerData: workerOptions });
    this.worker = worker;
    return new Promise((resolveReady, rejectReady) => {
      let ready = false;
      worker.on('message', (message: WriterResponse) => {
        if (message.type === 'ready') {
          ready = true;
          this.workerFailure = null;
          resolveReady();
        } else if (message.type === 'fatal') {
          const error = new StoreError(message.message);
          this.workerFailure = error;
          if (!ready) rejectReady(error);
        } else {
          const waiter = this.waiting.get(message.id);
          this.waiting.delete(message.id);
          waiter?.resolve(message);
        }
      });
      const fail = (error: Error) => {
        const failure = new StoreError(`the store's writer stopped: ${error.message}`);
        this.workerFailure = failure;
        for (const waiter of this.waiting.values()) waiter.reject(failure);
        this.waiting.clear();
        if (!ready) rejectReady(failure);
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closed) fail(new Error(`exit code ${code}`));
      });
    });
  }

  private async request(message: WriterRequestBody): Promise<WriterResponse & { type: 'done' }> {
    if (this.closed) throw new StoreError('the store is closed');
    if (this.workerFailure) {
      // A writer that died (bug, out of memory) is restarted; one that cannot open the database stays failed.
      await this.startWorker();
    }
    const id = this.nextRequestId++;
    return new Promise((resolveRequest, rejectRequest) => {
      this.waiting.set(id, { resolve: resolveRequest, reject: rejectRequest });
      this.worker.postMessage({ ...message, id } as WriterRequest);
    });
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
      const response = await this.request({ type: 'append', rows: encodeRows(batch.flatMap((entry) => entry.rows)) });
      if (response.error) throw new StoreError(`commit failed (${response.code}): ${response.error}`);
      this.hooks.onCommit?.(size, Number(process.hrtime.bigint() - started) / 1e9, response.prunedPerObject ?? 0);
      for (const entry of batch) entry.resolve();
    } catch (error) {
      const failure = error instanceof StoreError ? error : new StoreError((error as Error).message);
      for (const entry of batch) entry.reject(failure);
    } finally {
      this.committing = false;
      this.scheduleFlush();
    }
  }

  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.reader.prepare(sql);
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

  async listEvents(filter: EventFilter, limit: number, cursor?: string, order: 'asc' | 'desc' = 'desc'): Promise<EventPage> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add('namespace = ?', filter.namespace);
    add('api_group = ?', filter.group);
    add('kind = ?', filter.kind);
    add('name = ?', filter.name);
    add('username = ?', filter.user);
    add('EXISTS (SELECT 1 FROM json_each(user_groups) WHERE value = ?)', filter.userGroup);
    add('operation = ?', filter.operation);
    add('time_ms >= ?', filter.sinceMs);
    add('time_ms < ?', filter.untilMs);
    add(order === 'asc' ? 'id > ?' : 'id < ?', cursor === undefined ? undefined : decodeCursor(cursor));
    const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;
    return this.read(() => {
      const rows = this.statement(sql).all(...params, limit + 1) as unknown as SqlRow[];
      const items = rows.slice(0, limit).map(fromRow);
      const page: EventPage = { items };
      if (rows.length > limit) page.nextCursor = encodeCursor(Number(items[items.length - 1]!.id));
      return page;
    });
  }

  async getEvent(id: string): Promise<ChangeEvent | null> {
    return this.read(() => {
      const row = this.statement('SELECT * FROM events WHERE id = ?').get(Number(id)) as unknown as SqlRow | undefined;
      return row ? fromRow(row) : null;
    });
  }

  async objectGroups(kind: string, namespace: string, name: string): Promise<string[]> {
    return this.read(() => (this.statement(
      'SELECT DISTINCT api_group FROM events WHERE kind = ? AND namespace = ? AND name = ?',
    ).all(kind, namespace, name) as { api_group: string }[]).map((row) => row.api_group));
  }

  async history(key: ObjectKey, filter: Pick<EventFilter, 'sinceMs' | 'untilMs'> = {}): Promise<ChangeEvent[]> {
    const params: (string | number)[] = [key.group, key.kind, key.namespace, key.name];
    let sql = 'SELECT * FROM events WHERE api_group = ? AND kind = ? AND namespace = ? AND name = ?';
    if (filter.sinceMs !== undefined) { sql += ' AND time_ms >= ?'; params.push(filter.sinceMs); }
    if (filter.untilMs !== undefined) { sql += ' AND time_ms < ?'; params.push(filter.untilMs); }
    sql += ' ORDER BY id ASC';
    return this.read(() => (this.statement(sql).all(...params) as unknown as SqlRow[]).map(fromRow));
  }

  async overview(sinceMs: number, topUsers = 3): Promise<NamespaceActivity[]> {
    return this.read(() => {
      // Whole hours come from the per-hour activity table; the partial first hour is counted exactly.
      const firstFullHour = Math.ceil(sinceMs / HOUR_MS);
      const counts = new Map<string, Map<string, number>>();
      const addCount = (namespace: string, username: string, changes: number) => {
        let users = counts.get(namespace);
        if (!users) counts.set(namespace, (users = new Map()));
        users.set(username, (users.get(username) ?? 0) + changes);
      };
      const hourly = this.statement(
        'SELECT namespace, username, SUM(changes) AS changes FROM activity WHERE hour >= ? GROUP BY namespace, username',
      ).all(firstFullHour) as { namespace: string; username: string; changes: number }[];
      for (const row of hourly) addCount(row.namespace, row.username, row.changes);
      const partial = this.statement(
        'SELECT namespace, username, COUNT(*) AS changes FROM events WHERE time_ms >= ? AND time_ms < ? GROUP BY namespace, username',
      ).all(sinceMs, firstFullHour * HOUR_MS) as { namespace: string; username: string; changes: number }[];
      for (const row of partial) addCount(row.namespace, row.username, row.changes);
      const last = this.statement(
        'SELECT time_ms, username, api_group, kind, name, operation FROM events WHERE namespace = ? ORDER BY id DESC LIMIT 1',
      );
      const result: NamespaceActivity[] = [];
      for (const [namespace, users] of counts) {
        const lastRow = last.get(namespace) as
          | { time_ms: number; username: string; api_group: string; kind: string; name: string; operation: ChangeOperation }
          | undefined;
        const ranked = [...users.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        result.push({
          namespace,
          changes: ranked.reduce((sum, [, changes]) => sum + changes, 0),
          lastChange: lastRow
            ? {
              time: new Date(lastRow.time_ms).toISOString(), user: lastRow.username, group: lastRow.api_group,
              kind: lastRow.kind, name: lastRow.name, operation: lastRow.operation,
            }
            : null,
          topUsers: ranked.slice(0, topUsers).map(([username, changes]) => ({ username, changes })),
        });
      }
      return result.sort((a, b) => (b.lastChange?.time ?? '').localeCompare(a.lastChange?.time ?? '') || a.namespace.localeCompare(b.namespace));
    });
  }

  async pruneByAge(nowMs: number): Promise<PruneResult> {
    const beforeMs = nowMs - this.retention.maxAgeMs;
    let prunedByAge = 0;
    for (;;) {
      const response = await this.request({ type: 'prune-age', beforeMs, chunk: PRUNE_CHUNK });
      if (response.error) throw new StoreError(`pruning failed (${response.code}): ${response.error}`);
      prunedByAge += response.pruned ?? 0;
      if ((response.pruned ?? 0) < PRUNE_CHUNK || this.closed) break;
      // Let captures queued meanwhile go first.
      await new Promise((resolveTick) => setImmediate(resolveTick));
    }
    return { prunedByAge };
  }

  async resourceKinds(): Promise<{ group: string; resource: string; kind: string }[]> {
    return this.read(() => this.statement(
      "SELECT api_group AS \"group\", resource, kind FROM events WHERE subresource = '' GROUP BY api_group, resource",
    ).all() as { group: string; resource: string; kind: string }[]);
  }

  async ping(): Promise<void> {
    this.read(() => this.statement('SELECT 1').get());
    const response = await this.request({ type: 'ping' });
    if (response.error) throw new StoreError(`store not writable: ${response.error}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.pending.length > 0 || this.committing) {
      if (!this.committing) await this.flush();
      else await new Promise((resolveTick) => setTimeout(resolveTick, 2));
    }
    this.closed = true;
    this.reader?.close();
    await this.worker.terminate();
  }
}
