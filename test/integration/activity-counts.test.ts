// The dashboard's overview counted by the store itself, on SQLite and a real PostgreSQL: exact over more events than
// the old newest-20,000 cap, and answered without reading a single body (the bodies are destroyed before it asks).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import type { EventStore, RetentionPolicy } from '../../src/store/types.ts';
import type { NewChangeEvent } from '../../src/event.ts';
import type { Activity } from '../../src/api/activity.ts';
import { answerRead } from '../../src/read/answer.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';

const HOUR = 3_600_000;
const EVENTS = 24_000;
const BATCH = 4_000;
const SINCE = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
const UNTIL = SINCE + 4 * HOUR;
const REQUEST = { kind: 'activity' as const, sinceMs: SINCE, untilMs: UNTIL, by: 'namespace' as const, buckets: 7, top: 5 };
const RETENTION: RetentionPolicy = { maxEventsPerObject: 1_000_000, maxAgeMs: 30 * 24 * HOUR };

function seeded(): NewChangeEvent[] {
  const events: NewChangeEvent[] = [];
  // One just before the window and one at its end: neither is counted.
  const times = [SINCE - 1, UNTIL, ...Array.from({ length: EVENTS }, (_, i) => SINCE + i * 599)];
  times.forEach((timeMs, i) => {
    const username = i % 5 === 0 ? `system:serviceaccount:ci:bot-${i % 3}` : `user-${(i * i) % 7}`;
    // Names repeat unevenly, so the objects' counts differ.
    const name = `obj-${Math.floor(Math.sqrt(i)) % 40}`;
    events.push({
      time: new Date(timeMs).toISOString(), requestUid: `activity-${i}`, operation: i % 9 === 0 ? 'CREATE' : 'UPDATE',
      user: { username, uid: '', groups: [], extra: {} }, group: i % 4 === 0 ? 'apps' : '', version: 'v1', kind: i % 4 === 0 ? 'Deployment' : 'ConfigMap',
      resource: i % 4 === 0 ? 'deployments' : 'configmaps', subresource: '', namespace: `ns-${(i * 7) % 11}`, name, objectUid: `uid-${name}`,
      fieldManager: 'kubectl', patch: [{ op: 'replace', path: '/data/i', value: String(i) }], object: { metadata: { name }, data: { i: String(i), pad: 'x'.repeat(i % 300) } },
      ...(i % 997 === 0 ? { deniedBy: `freeze-${i % 2}` } : {}),
    });
  });
  return events;
}

/** What the answer must say, counted here event by event. */
function expected(events: NewChangeEvent[]): Pick<Activity, 'counted' | 'series' | 'topObjects' | 'topUsers' | 'denials'> {
  const bucketMs = Math.ceil((UNTIL - SINCE) / REQUEST.buckets);
  const inWindow = events.map((event, i) => ({ event, id: i + 1, timeMs: Date.parse(event.time) })).filter(({ timeMs }) => timeMs >= SINCE && timeMs < UNTIL);
  const series = new Map<string, number[]>();
  const objects = new Map<string, { group: string; kind: string; namespace: string; name: string; changes: number; lastMs: number; lastUser: string }>();
  const users = new Map<string, number>();
  for (const { event, timeMs } of inWindow) {
    const counts = series.get(event.namespace) ?? new Array<number>(REQUEST.buckets).fill(0);
    counts[Math.min(REQUEST.buckets - 1, Math.floor((timeMs - SINCE) / bucketMs))]! += 1;
    series.set(event.namespace, counts);
    users.set(event.user.username, (users.get(event.user.username) ?? 0) + 1);
    const key = [event.group, event.kind, event.namespace, event.name].join('/');
    const object = objects.get(key) ?? { group: event.group, kind: event.kind, namespace: event.namespace, name: event.name, changes: 0, lastMs: 0, lastUser: '' };
    object.changes += 1;
    if (timeMs >= object.lastMs) Object.assign(object, { lastMs: timeMs, lastUser: event.user.username });
    objects.set(key, object);
  }
  const bySize = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
  const ranked = [...series.entries()].map(([key, counts]) => ({ key, counts, total: counts.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
  const rest = ranked.slice(8);
  const others = new Array<number>(REQUEST.buckets).fill(0);
  for (const entry of rest) entry.counts.forEach((count, i) => { others[i]! += count; });
  const userList = [...users.entries()].sort(bySize);
  return {
    counted: inWindow.length,
    series: [...ranked.slice(0, 8), { key: `${rest.length} others`, counts: others, total: others.reduce((a, b) => a + b, 0) }],
    topObjects: [...objects.values()].sort((a, b) => b.changes - a.changes || b.lastMs - a.lastMs).slice(0, REQUEST.top)
      .map(({ lastMs, ...object }) => ({ ...object, lastTime: new Date(lastMs).toISOString() }))
      .map(({ group, kind, namespace, name, changes, lastTime, lastUser }) => ({ group, kind, namespace, name, changes, lastTime, lastUser })),
    topUsers: [
      ...userList.filter(([username]) => !username.startsWith('system:serviceaccount:')).slice(0, REQUEST.top).map(([username, changes]) => ({ username, changes, serviceAccount: false })),
      ...userList.filter(([username]) => username.startsWith('system:serviceaccount:')).slice(0, REQUEST.top).map(([username, changes]) => ({ username, changes, serviceAccount: true })),
    ],
    denials: inWindow.filter(({ event }) => event.deniedBy).sort((a, b) => b.timeMs - a.timeMs).slice(0, 10).map(({ event, id }) => ({
      id: String(id), time: event.time, user: event.user.username, operation: event.operation, group: event.group, kind: event.kind,
      namespace: event.namespace, name: event.name, deniedBy: event.deniedBy!,
    })),
  };
}

interface StoreKind {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  open(): Promise<EventStore>;
  /** Overwrites every stored body with a byte no codec can read. */
  destroyBodies(): Promise<void>;
}

const sqliteKind = (): StoreKind => {
  let dir = '';
  return {
    name: 'SQLite',
    async setUp() { dir = mkdtempSync(join(tmpdir(), 'logistis-activity-')); },
    async tearDown() { rmSync(dir, { recursive: true, force: true }); },
    open: () => SqliteEventStore.open(join(dir, 'events.db'), RETENTION),
    async destroyBodies() {
      const db = new DatabaseSync(join(dir, 'events.db'));
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec("UPDATE events SET body = x'00', body_dictionary = 999");
      db.close();
    },
  };
};

const postgresKind = (): StoreKind => {
  let server: Postgres | undefined;
  let url = '';
  return {
    name: 'PostgreSQL',
    async setUp() { server = await startPostgres(); url = await server.createDatabase('activity'); },
    async tearDown() { await server?.destroy(); },
    open: () => PostgresEventStore.open({ url, poolSize: 4 }, RETENTION),
    async destroyBodies() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query("UPDATE events SET body = '\\x00'::bytea, body_dictionary = 999");
      } finally {
        await client.end();
      }
    },
  };
};

for (const kind of [sqliteKind(), postgresKind()]) {
  describe(`the overview's counts: ${kind.name}`, () => {
    before(() => kind.setUp());
    after(() => kind.tearDown());

    it(`counts all of ${EVENTS} events exactly, and reads no body to do it`, async () => {
      const events = seeded();
      const store = await kind.open();
      try {
        for (let i = 0; i < events.length; i += BATCH) await store.append(events.slice(i, i + BATCH));
        const want = expected(events);
        assert.ok(want.counted > 20_000 && want.denials.length > 3 && want.series.length === 9, 'the seed is larger than the old cap and has denials');
        const answer = async () => JSON.parse((await answerRead(store, REQUEST)).body) as Activity;
        const before = await answer();
        assert.deepEqual(
          { counted: before.counted, series: before.series, topObjects: before.topObjects, topUsers: before.topUsers, denials: before.denials },
          want,
        );
        assert.equal(before.truncated, false);

        await kind.destroyBodies();
        await assert.rejects(store.listEvents({}, 1), /read failed|dictionary/, 'a body is unreadable now');
        assert.deepEqual(await answer(), before, 'the overview is answered from the index alone');
      } finally {
        await store.close();
      }
    });
  });
}
