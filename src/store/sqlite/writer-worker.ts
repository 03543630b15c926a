// Owns the only write connection. node:sqlite is synchronous, so commits (and their fsync) run here, off the
// request thread; each message is one transaction, and the store batches concurrent captures into one message.
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseSync } from 'node:sqlite';
import { statSync } from 'node:fs';
import { Encoder } from '@toondepauw/node-zstd';
import { SQLITE_MIGRATIONS } from './schema.ts';
import { CURRENT_BODY_DICTIONARY, bodyDictionary } from '../body-dictionary.ts';
import { RecentRequestUids, RETRY_WINDOW_MS } from './recent-uids.ts';
import { EVENT_ROW_FIELDS, INSERT_COLUMNS } from '../event-columns.ts';
import {
  decodeRow, decodeRows, type EventRow, type LogCursor, type ObjectStateKey, type ObjectStateRow, type StateChange, type WriterOptions, type WriterRequest,
  type WriterResponse,
} from './protocol.ts';

import { lowerThreadPriority } from '../thread-priority.ts';

const HOUR_MS = 3_600_000;
// Its batches come from the commit log's indexer, off every request's path: the request thread goes first.
lowerThreadPriority();
const port = parentPort;
if (!port) throw new Error('writer-worker must run as a worker thread');
const options = workerData as WriterOptions;

function send(message: WriterResponse): void {
  port!.postMessage(message);
}

function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  // FULL: a commit is on disk (WAL fsynced) before we acknowledge; acknowledged means durable.
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((row) => row.version),
  );
  for (const migration of SQLITE_MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version, migration.description, new Date().toISOString(),
      );
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return db;
}

let db: DatabaseSync;
try {
  db = openDatabase(options.path);
} catch (error) {
  send({ type: 'fatal', message: `cannot open ${options.path}: ${(error as Error).message}` });
  process.exit(1);
}

// A commit into a file that was deleted or replaced since it was opened lands in an orphaned inode: acknowledged,
// then gone at the next restart. Checked after each append so such a capture is counted lost, not recorded.
const openedFile = statSync(options.path);
const FILE_GONE = 'FILE_GONE';

function databaseFileChanged(): string | null {
  const current = statSync(options.path, { throwIfNoEntry: false });
  if (!current) return `the database file ${options.path} was deleted`;
  if (current.dev !== openedFile.dev || current.ino !== openedFile.ino) return `the database file ${options.path} was replaced by another file`;
  return null;
}

const insertEvent = db.prepare(
  `INSERT INTO events (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`);
const addActivity = db.prepare(`
  INSERT INTO activity (namespace, username, hour, changes) VALUES (?, ?, ?, ?)
  ON CONFLICT (namespace, username, hour) DO UPDATE SET changes = changes + excluded.changes`);
const trimObject = db.prepare(`
  DELETE FROM events WHERE id IN (
    SELECT id FROM events WHERE api_group = ? AND kind = ? AND namespace = ? AND name = ?
    ORDER BY id DESC LIMIT -1 OFFSET ?)`);
const countObject = db.prepare(`
  SELECT COUNT(*) AS events FROM (
    SELECT 1 FROM events WHERE api_group = ? AND kind = ? AND namespace = ? AND name = ? LIMIT ?)`);
const pruneOld = db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_ms < ? ORDER BY time_ms LIMIT ?)');
const selectOne = db.prepare('SELECT 1');
// A late watch event may still confirm a change first judged not-applied; confirmed and unattributed are final.
const setState = db.prepare(`
  UPDATE events SET state = ?, state_changed_ms = ?
  WHERE request_uid = ? AND state IN ('pending', 'not-applied') AND (state = 'pending' OR ? = 'confirmed')`);
const upsertObjectState = db.prepare(`
  INSERT INTO object_states (resource, namespace, name, object_uid, content_hash, resource_version, seen_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (resource, namespace, name) DO UPDATE SET object_uid = excluded.object_uid,
    content_hash = excluded.content_hash, resource_version = excluded.resource_version, seen_ms = excluded.seen_ms`);
const deleteObjectState = db.prepare('DELETE FROM object_states WHERE resource = ? AND namespace = ? AND name = ?');

function inTransaction<T>(work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

function setStates(changes: StateChange[]): number {
  return inTransaction(() => changes.reduce(
    (total, change) => total + Number(setState.run(change.state, change.atMs, change.requestUid, change.state).changes), 0));
}

function saveObjectStates(states: ObjectStateRow[], deleted: ObjectStateKey[]): void {
  inTransaction(() => {
    for (const state of states) {
      upsertObjectState.run(state.resource, state.namespace, state.name, state.uid, state.hash, state.resourceVersion, state.seenMs);
    }
    for (const key of deleted) deleteObjectState.run(key.resource, key.namespace, key.name);
  });
}
const pruneActivity = db.prepare('DELETE FROM activity WHERE hour < ?');

// Events per object as far as this writer knows: an upper bound (age pruning only lowers the truth), so the
// per-object trim, an exact DELETE, runs only when an object may exceed its limit instead of after every insert.
const MAX_TRACKED_OBJECTS = 200_000;
const objectEvents = new Map<string, number>();

function trimIfOverLimit(key: string, group: string, kind: string, namespace: string, name: string, added: number): number {
  const limit = options.maxEventsPerObject;
  let known = objectEvents.get(key);
  if (known === undefined) {
    if (objectEvents.size >= MAX_TRACKED_OBJECTS) objectEvents.clear();
    known = (countObject.get(group, kind, namespace, name, limit + 1) as { events: number }).events;
  } else {
    known += added;
  }
  let trimmed = 0;
  if (known > limit) {
    trimmed = Number(trimObject.run(group, kind, namespace, name, limit).changes);
    known = limit;
  }
  objectEvents.set(key, known);
  return trimmed;
}

// One encoder for the writer's life: the dictionary is digested once, not per row (node:zlib's zstdCompressSync
// builds a context and loads the dictionary on every call, which cost more than the compression itself).
const encoder = new Encoder(3, bodyDictionary(CURRENT_BODY_DICTIONARY));

// A retried review (same request uid) is stored once; the retry is acknowledged like the first. After a restart
// the writer remembers the uids stored in the window before it.
const openedMs = Date.now();
const recentUids = new RecentRequestUids(RETRY_WINDOW_MS, openedMs);
for (const row of db.prepare('SELECT request_uid FROM events WHERE time_ms >= ?').iterate(openedMs - 2 * RETRY_WINDOW_MS)) {
  recentUids.add((row as { request_uid: string }).request_uid, openedMs);
}

const saveCursor = db.prepare(`
  INSERT INTO log_cursors (log_id, position) VALUES (?, ?)
  ON CONFLICT (log_id) DO UPDATE SET position = MAX(position, excluded.position)`);
const readCursor = db.prepare('SELECT position FROM log_cursors WHERE log_id = ?');

function append(rows: EventRow[], cursor?: LogCursor): number {
  const activity = new Map<string, { namespace: string; username: string; hour: number; changes: number }>();
  const touched = new Map<string, { group: string; kind: string; namespace: string; name: string; added: number }>();
  let trimmed = 0;
  const nowMs = Date.now();
  // Remembered only once committed: a retry after a rolled-back batch must be stored.
  const storedUids = new Set<string>();
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const row of rows) {
      if (storedUids.has(row.requestUid) || recentUids.has(row.requestUid, nowMs)) continue;
      storedUids.add(row.requestUid);
      insertEvent.run(
        ...EVENT_ROW_FIELDS.map((field) => row[field]), encoder.encodeSync(Buffer.from(row.body)), CURRENT_BODY_DICTIONARY,
      );
      const hour = Math.floor(row.timeMs / HOUR_MS);
      const activityKey = `${row.namespace}\u0000${row.username}\u0000${hour}`;
      const entry = activity.get(activityKey);
      if (entry) entry.changes += 1;
      else activity.set(activityKey, { namespace: row.namespace, username: row.username, hour, changes: 1 });
      const objectKey = `${row.group}\u0000${row.kind}\u0000${row.namespace}\u0000${row.name}`;
      const object = touched.get(objectKey);
      if (object) object.added += 1;
      else touched.set(objectKey, { group: row.group, kind: row.kind, namespace: row.namespace, name: row.name, added: 1 });
    }
    for (const entry of activity.values()) addActivity.run(entry.namespace, entry.username, entry.hour, entry.changes);
    if (cursor) saveCursor.run(cursor.logId, cursor.position);
    for (const [key, object] of touched) {
      trimmed += trimIfOverLimit(key, object.group, object.kind, object.namespace, object.name, object.added);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    // What this writer believed about the rolled-back objects may be wrong now.
    for (const key of touched.keys()) objectEvents.delete(key);
    throw error;
  }
  for (const uid of storedUids) recentUids.add(uid, nowMs);
  return trimmed;
}

function pruneByAge(beforeMs: number, chunk: number): number {
  db.exec('BEGIN IMMEDIATE');
  try {
    const pruned = Number(pruneOld.run(beforeMs, chunk).changes);
    pruneActivity.run(Math.floor(beforeMs / HOUR_MS));
    db.exec('COMMIT');
    return pruned;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

const pagesInUse = db.prepare('SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count) AS pages, (SELECT page_size FROM pragma_page_size) AS size');
const pruneOldest = db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)');

/** Bytes in use (pages not on the free list: deleted rows' pages are reused, so the file stops growing). */
function bytesInUse(): number {
  const { pages, size } = pagesInUse.get() as { pages: number; size: number };
  return pages * size;
}

const countEvents = db.prepare('SELECT COUNT(*) AS events FROM events');

function pruneBySize(maxBytes: number, chunk: number): number {
  const used = bytesInUse();
  if (used <= maxBytes) return 0;
  // The oldest events worth the excess, at the average size; the store asks again until it is within the limit.
  const { events } = countEvents.get() as { events: number };
  const excess = Math.ceil(((used - maxBytes) / used) * events);
  db.exec('BEGIN IMMEDIATE');
  try {
    const pruned = Number(pruneOldest.run(Math.min(chunk, excess)).changes);
    db.exec('COMMIT');
    return pruned;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

/** Commits the rows (and the log's cursor), then says whether the file they went to is still the store's. */
function appendAndReply(id: number, rows: EventRow[], cursor: LogCursor | undefined): void {
  const prunedPerObject = append(rows, cursor);
  const changed = databaseFileChanged();
  send(changed
    ? { type: 'done', id, error: `${changed}: this batch will not survive a restart; restore the file or restart logistis`, code: FILE_GONE }
    : { type: 'done', id, prunedPerObject });
}

port.on('message', (message: WriterRequest) => {
  try {
    switch (message.type) {
      case 'append':
        appendAndReply(message.id, decodeRows(message.rows), undefined);
        break;
      case 'prune-age':
        send({ type: 'done', id: message.id, pruned: pruneByAge(message.beforeMs, message.chunk) });
        break;
      case 'prune-size':
        send({ type: 'done', id: message.id, pruned: pruneBySize(message.maxBytes, message.chunk) });
        break;
      case 'set-states':
        send({ type: 'done', id: message.id, changed: setStates(message.changes) });
        break;
      case 'save-object-states':
        saveObjectStates(message.states, message.deleted);
        send({ type: 'done', id: message.id });
        break;
      case 'append-lines': {
        const bytes = Buffer.from(message.bytes);
        const rows: EventRow[] = [];
        for (let i = 0; i < message.ranges.length; i += 2) rows.push(decodeRow(bytes.toString('utf8', message.ranges[i], message.ranges[i + 1])));
        appendAndReply(message.id, rows, message.cursor);
        break;
      }
      case 'log-cursor':
        send({ type: 'done', id: message.id, position: (readCursor.get(message.logId) as { position: number } | undefined)?.position ?? 0 });
        break;
      case 'ping':
        selectOne.get();
        send({ type: 'done', id: message.id });
        break;
    }
  } catch (error) {
    const err = error as Error & { code?: string; errstr?: string };
    send({ type: 'done', id: message.id, error: err.message, code: err.errstr ?? err.code ?? 'unknown' });
  }
});

port.on('close', () => db.close());
send({ type: 'ready' });
