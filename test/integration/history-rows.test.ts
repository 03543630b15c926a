// The readers' walk of one object's history, against a real SQLite file and a real PostgreSQL: in both orders,
// within a time window, each event as the store reads it; and history pages from the read handlers over each
// reader that, put together, are the whole history, subresource changes materialised across page boundaries.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HistoryAnswer } from '../../src/api/history.ts';
import type { NewChangeEvent, ObjectKey } from '../../src/event.ts';
import { changedState, materialiseHistory } from '../../src/history/walk.ts';
import { previousStateIds } from '../../src/history/past.ts';
import { answerRead, type EventReader } from '../../src/read/answer.ts';
import { openPool } from '../../src/store/postgres/connection.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import { PostgresReader } from '../../src/store/postgres/postgres-reader.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { SqliteReader } from '../../src/store/sqlite/sqlite-reader.ts';
import type { EventStore, HistoryRow } from '../../src/store/types.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';

const KEY: ObjectKey = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };
const T0 = Date.UTC(2026, 0, 1);
const EVENTS = 45;

/** A Deployment created, then scaled through /scale (every third change), updated, once denied by a Lock. */
function history(): NewChangeEvent[] {
  const events: NewChangeEvent[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const scale = i % 3 === 2;
    const object = scale
      ? { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: i } }
      : { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 1, template: { image: `web:${i}` } } };
    events.push({
      time: new Date(T0 + i * 1000).toISOString(), requestUid: `r-${i}`, operation: i === 0 ? 'CREATE' : 'UPDATE',
      user: { username: 'bob', uid: '', groups: [], extra: {} }, group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments',
      subresource: scale ? 'scale' : '', namespace: 'shop', name: 'web', objectUid: 'o', fieldManager: '',
      patch: i === 0 ? [] : scale ? [{ op: 'replace', path: '/spec/replicas', value: i }] : [{ op: 'replace', path: '/spec/template/image', value: `web:${i}` }],
      object, ...(i === 10 ? { deniedBy: 'freeze' } : {}),
    });
  }
  return events;
}

async function collect(rows: AsyncIterable<HistoryRow>): Promise<HistoryRow[]> {
  const out: HistoryRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

interface Kind {
  name: string;
  open(): Promise<{ store: EventStore; reader: EventReader & { historyRows: NonNullable<EventReader['historyRows']> }; close(): Promise<void> }>;
}

let postgres: Postgres | undefined;
let dir = '';
const kinds: Kind[] = [
  {
    name: 'SQLite',
    async open() {
      const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 30 * 86_400_000 });
      const reader = SqliteReader.open(store.path);
      return { store, reader, close: async () => { reader.close(); await store.close(); } };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      postgres = await startPostgres();
      const store = await PostgresEventStore.open({ url: await postgres.createDatabase('rows'), poolSize: 2 }, { maxEventsPerObject: 100, maxAgeMs: 30 * 86_400_000 });
      const pool = openPool(store.options);
      return { store, reader: new PostgresReader(pool), close: async () => { await pool.end(); await store.close(); } };
    },
  },
];

before(() => { dir = mkdtempSync(join(tmpdir(), 'logistis-rows-')); });
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await postgres?.destroy();
});

for (const kind of kinds) {
  describe(`history rows: ${kind.name}`, () => {
    let opened: Awaited<ReturnType<Kind['open']>>;
    before(async () => {
      opened = await kind.open();
      await opened.store.append(history());
    });
    after(() => opened.close());

    it('walks one object oldest or newest first, within a window, each event as the store reads it', async () => {
      const whole = await opened.store.history(KEY);
      const rows = await collect(opened.reader.historyRows(KEY, {}, 'asc'));
      assert.deepEqual(rows.map((row) => row.id), whole.map((event) => event.id));
      assert.deepEqual(rows.map((row) => row.event()), whole);
      assert.deepEqual(rows.map((row) => [row.operation, row.subresource, row.deniedBy]), whole.map((e) => [e.operation, e.subresource, e.deniedBy]));
      assert.ok(rows.every((row) => row.bytes() > 0));
      assert.equal(rows[0]!.bytes(), 2 * JSON.stringify({ object: whole[0]!.object }).length, 'a CREATE counts twice');
      const newestFirst = await collect(opened.reader.historyRows(KEY, {}, 'desc'));
      assert.deepEqual(newestFirst.map((row) => row.id), whole.map((event) => event.id).reverse());
      const window = await collect(opened.reader.historyRows(KEY, { sinceMs: T0 + 5000, untilMs: T0 + 30_000 }, 'asc'));
      assert.deepEqual(window.map((row) => row.event().time), whole.slice(5, 30).map((event) => event.time));
    });

    it('ends its statement when the walk stops early', { skip: kind.name !== 'SQLite' }, async () => {
      for await (const row of opened.reader.historyRows(KEY, {}, 'asc')) if (row.id === '3') break;
      // A statement left open would keep its read snapshot, and a checkpoint could not empty the WAL.
      const db = new DatabaseSync(join(dir, 'events.db'));
      try {
        assert.deepEqual({ ...db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() }, { busy: 0, log: 0, checkpointed: 0 });
      } finally {
        db.close();
      }
    });

    it('gives history pages that together are the whole materialised history', async () => {
      const whole = materialiseHistory(await opened.store.history(KEY));
      const items: unknown[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const answer = await answerRead(opened.reader, {
          kind: 'history', object: { namespace: 'shop', kind: 'Deployment', name: 'web' }, format: 'json', limit: 7, ...(token ? { continue: token } : {}),
        });
        const page = JSON.parse(answer.body) as HistoryAnswer;
        assert.equal(answer.continue, page.continue);
        items.push(...page.items);
        token = page.continue;
        pages += 1;
      } while (token && pages < 20);
      assert.equal(pages, Math.ceil(EVENTS / 7));
      // A scale on a page's first line is the whole Deployment, from the state the page before ended with; the state
      // before each event is named across pages as in the whole history.
      const previous = previousStateIds(whole);
      const expected = whole.map((event, i) => ({ ...event, madeState: changedState(event), ...(previous[i] === undefined ? {} : { previousId: previous[i] }) }));
      assert.deepEqual(items, JSON.parse(JSON.stringify(expected)));
    });

    it('blames from the newest events', async () => {
      const answer = JSON.parse((await answerRead(opened.reader, { kind: 'blame', object: { namespace: 'shop', kind: 'Deployment', name: 'web' } })).body) as { lines: { text: string; author: { eventId?: string } | null }[]; partialFrom?: string };
      assert.equal(answer.partialFrom, undefined);
      const replicas = answer.lines.find((line) => line.text.includes('replicas'))!;
      assert.equal(replicas.author?.eventId, String(EVENTS));
    });
  });
}
