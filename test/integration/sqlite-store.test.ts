import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { zstdCompressSync } from 'node:zlib';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/schema.ts';
import { StoreError } from '../../src/store/types.ts';
import type { NewChangeEvent } from '../../src/event.ts';

const DAY = 86_400_000;

function event(name: string, timeMs: number, username = 'alice'): NewChangeEvent {
  return {
    time: new Date(timeMs).toISOString(), requestUid: `${name}-${timeMs}`, operation: 'UPDATE',
    user: { username, uid: '', groups: ['dev'], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
    subresource: '', namespace: 'ns', name, objectUid: 'u', fieldManager: 'kubectl', patch: [], object: { data: { t: String(timeMs) } },
  };
}

describe('SQLite event store', () => {
  it('creates its directory 0700 and the database, WAL and shared-memory files 0600, whatever the umask', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const dir = join(parent, 'data');
    const previous = process.umask(0o022);
    const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 10, maxAgeMs: 7 * DAY });
    try {
      await store.append([event('cm', Date.now())]);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const file of ['events.db', 'events.db-wal', 'events.db-shm']) {
        assert.equal((statSync(join(dir, file)).mode & 0o777).toString(8), '600', file);
      }
    } finally {
      process.umask(previous);
      await store.close();
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('narrows an existing database file that others could read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const path = join(dir, 'events.db');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const store = await SqliteEventStore.open(path, { maxEventsPerObject: 10, maxAgeMs: 7 * DAY });
    try {
      assert.equal((statSync(path).mode & 0o777).toString(8), '600');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prunes events older than the retention age in steps, and keeps the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 10_000, maxAgeMs: 7 * DAY });
    try {
      const now = Date.now();
      const old = Array.from({ length: 1200 }, (_, i) => event(`old-${i % 40}`, now - 10 * DAY + i));
      const recent = Array.from({ length: 30 }, (_, i) => event(`new-${i}`, now - DAY + i));
      await store.append([...old, ...recent]);
      // A capture that arrives while pruning runs is committed too.
      const [result] = await Promise.all([store.pruneByAge(now), store.append([event('during', now)])]);
      assert.equal(result.prunedByAge, 1200);
      const page = await store.listEvents({}, 1000);
      assert.equal(page.items.length, 31);
      assert.ok(page.items.every((item) => !item.name.startsWith('old-')));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('overview counts exactly inside a window that starts mid-hour', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 30 * DAY });
    try {
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      await store.append([
        event('a', hour - 3 * 3_600_000 + 10 * 60_000, 'alice'), // before the window
        event('b', hour - 2 * 3_600_000 + 40 * 60_000, 'bob'), // inside the window's partial first hour
        event('c', hour - 3_600_000 + 5 * 60_000, 'bob'), // a whole hour inside
        event('d', hour + 1000, 'alice'),
      ]);
      const [entry] = await store.overview(hour - 2 * 3_600_000 + 30 * 60_000);
      assert.equal(entry!.changes, 3);
      assert.deepEqual(entry!.topUsers, [{ username: 'bob', changes: 2 }, { username: 'alice', changes: 1 }]);
      assert.equal(entry!.lastChange!.name, 'd');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with a StoreError that says why when it cannot open the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    try {
      // A directory where the database file should be: no permission trick, since tests may run as root.
      await assert.rejects(
        SqliteEventStore.open(dir, { maxEventsPerObject: 1, maxAgeMs: DAY }),
        (error: Error) => error instanceof StoreError && error.message.includes(`cannot open ${dir}`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects appends after close, and drains what was pending before closing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const path = join(dir, 'events.db');
    const store = await SqliteEventStore.open(path, { maxEventsPerObject: 100, maxAgeMs: DAY });
    const pending = Array.from({ length: 200 }, (_, i) => store.append([event(`x${i}`, Date.now())]));
    await store.close();
    await Promise.all(pending);
    await assert.rejects(store.append([event('late', Date.now())]), StoreError);
    const reopened = await SqliteEventStore.open(path, { maxEventsPerObject: 100, maxAgeMs: DAY });
    assert.equal((await reopened.listEvents({}, 1000)).items.length, 200);
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads bodies written without a dictionary (before migration 2) beside those written with one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const path = join(dir, 'events.db');
    const store = await SqliteEventStore.open(path, { maxEventsPerObject: 100, maxAgeMs: DAY });
    await store.append([event('new', Date.now())]);
    await store.close();
    const db = new DatabaseSync(path);
    db.prepare(`INSERT INTO events (time_ms, request_uid, operation, username, user_uid, user_groups, user_extra, api_group, api_version,
      kind, resource, subresource, namespace, name, object_uid, field_manager, body, body_dictionary)
      VALUES (?, 'old-1', 'UPDATE', 'bob', '', '[]', '{}', '', 'v1', 'ConfigMap', 'configmaps', '', 'ns', 'old', '', '', ?, 0)`)
      .run(Date.now(), zstdCompressSync(JSON.stringify({ patch: [], object: { data: { before: 'dictionaries' } } })));
    db.close();
    const reopened = await SqliteEventStore.open(path, { maxEventsPerObject: 100, maxAgeMs: DAY });
    const items = (await reopened.listEvents({}, 10)).items;
    assert.deepEqual(items.map((item) => item.name), ['old', 'new']);
    assert.deepEqual(items[0]!.object, { data: { before: 'dictionaries' } });
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a retried review (same request uid) once, and acknowledges both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: DAY });
    try {
      const now = Date.now();
      const first = event('web', now);
      const retry = { ...event('web', now + 5), requestUid: first.requestUid };
      await store.append([first]);
      await store.append([retry]);
      // Retries can also meet in one batch.
      await Promise.all([store.append([event('api', now)]), store.append([event('api', now)])]);
      const items = (await store.listEvents({}, 10)).items;
      assert.deepEqual(items.map((item) => [item.name, item.time]).sort(), [
        ['api', new Date(now).toISOString()], ['web', new Date(now).toISOString()],
      ]);
      const [entry] = await store.overview(now - DAY);
      assert.equal(entry!.changes, 2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still stores a retried review once after a restart, and finds undecided events by request uid through an index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const path = join(dir, 'events.db');
    const now = Date.now();
    const first = { ...event('web', now), requestUid: '3f1c2a9e-5b7d-4e21-9a0c-7d4e8f1b2c3d', state: 'pending' as const };
    let store = await SqliteEventStore.open(path, { maxEventsPerObject: 100, maxAgeMs: DAY });
    await store.append([first, event('api', now)]);
    await store.close();
    store = await SqliteEventStore.open(path, { maxEventsPerObject: 100, maxAgeMs: DAY });
    try {
      await store.append([{ ...event('web', now + 5), requestUid: first.requestUid }, { ...first, time: new Date(now + 6).toISOString() }]);
      assert.deepEqual((await store.listEvents({}, 10)).items.map((item) => item.name).sort(), ['api', 'web']);
      assert.equal(await store.setEventStates([{ requestUid: first.requestUid, state: 'confirmed', atMs: now + 7 }]), 1);
    } finally {
      await store.close();
    }
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const indexes = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events'").all() as { name: string }[]).map((row) => row.name);
      assert.ok(!indexes.includes('events_by_request_uid'), 'no index over every request uid');
      const plan = db.prepare(`EXPLAIN QUERY PLAN UPDATE events SET state = 'confirmed', state_changed_ms = 1
        WHERE request_uid = 'x' AND state IN ('pending', 'not-applied') AND (state = 'pending' OR 'confirmed' = 'confirmed')`).all() as { detail: string }[];
      assert.match(plan.map((row) => row.detail).join('; '), /USING INDEX events_undecided/);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes duplicates stored before one event per request uid was enforced, with their activity counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-store-'));
    const path = join(dir, 'events.db');
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version <= 2)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.description, '');
    }
    const now = Date.now();
    const insert = db.prepare(`INSERT INTO events (time_ms, request_uid, operation, username, user_uid, user_groups, user_extra,
      api_group, api_version, kind, resource, subresource, namespace, name, object_uid, field_manager, body, body_dictionary)
      VALUES (?, ?, 'UPDATE', 'bob', '', '[]', '{}', '', 'v1', 'ConfigMap', 'configmaps', '', 'ns', ?, '', '', ?, 0)`);
    const body = zstdCompressSync(JSON.stringify({ patch: [], object: {} }));
    for (const [uid, name] of [['r1', 'first'], ['r1', 'retry'], ['r1', 'again'], ['r2', 'other']] as const) insert.run(now, uid, name, body);
    db.prepare('INSERT INTO activity VALUES (?, ?, ?, ?)').run('ns', 'bob', Math.floor(now / 3_600_000), 4);
    db.close();
    const store = await SqliteEventStore.open(path, { maxEventsPerObject: 100, maxAgeMs: DAY });
    try {
      assert.deepEqual((await store.listEvents({}, 10, undefined, 'asc')).items.map((item) => item.name), ['first', 'other']);
      const [entry] = await store.overview(Math.floor(now / 3_600_000) * 3_600_000);
      assert.equal(entry!.changes, 2);
      await store.append([{ ...event('late-retry', now), requestUid: 'r2' }]);
      assert.equal((await store.listEvents({}, 10)).items.length, 2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
