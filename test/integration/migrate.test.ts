// `logistis migrate` from a real SQLite store into a real PostgreSQL, interrupted and resumed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import { copySqliteStore } from '../../src/store/copy.ts';
import type { EventStore } from '../../src/store/types.ts';
import type { ChangeEvent, NewChangeEvent } from '../../src/event.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RETENTION = { maxEventsPerObject: 100, maxAgeMs: 30 * 86_400_000 };

async function everything(store: EventStore): Promise<Omit<ChangeEvent, 'id'>[]> {
  const events: Omit<ChangeEvent, 'id'>[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listEvents({}, 1000, cursor, 'asc');
    events.push(...page.items.map(({ id: _id, ...event }) => event));
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}

describe('logistis migrate', () => {
  let dir: string;
  let postgres: Postgres;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-migrate-'));
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies every event, and an interrupted copy resumes where it stopped without duplicates', async () => {
    const sqlitePath = join(dir, 'events.db');
    const source = await SqliteEventStore.open(sqlitePath, RETENTION);
    const now = Date.now() - 3_600_000;
    const events: NewChangeEvent[] = Array.from({ length: 2500 }, (_, i) => ({
      time: new Date(now + i).toISOString(), requestUid: `uid-${i}`, operation: i % 7 === 0 ? 'CREATE' : 'UPDATE',
      user: { username: `user-${i % 5}`, uid: '', groups: ['dev'], extra: {} }, group: 'apps', version: 'v1', kind: 'Deployment',
      resource: 'deployments', subresource: '', namespace: `ns-${i % 3}`, name: `d-${i % 50}`, objectUid: `o-${i % 50}`,
      fieldManager: 'kubectl', patch: [{ op: 'replace', path: '/spec/replicas', value: i }], object: { spec: { replicas: i } },
      ...(i % 11 === 0 ? { deniedBy: 'freeze' } : {}),
    }));
    await source.append(events);
    const expected = await everything(source);
    await source.close();
    const url = await postgres.createDatabase('migrate');

    // The first run stops after two batches, as a killed process would.
    const target = await PostgresEventStore.open({ url }, RETENTION);
    await assert.rejects(copySqliteStore(sqlitePath, target, ({ copied }) => {
      if (copied >= 1000) throw new Error('interrupted');
    }, 500), /interrupted/);
    await target.close();

    const { stdout } = await run(process.execPath, [join(ROOT, 'src/cli/logistis.ts'), 'migrate', '--from', `sqlite:${sqlitePath}`, '--to', url, '--batch-size', '700'], { cwd: ROOT, encoding: 'utf8' });
    assert.match(stdout, /copied 1500 events from sqlite:.*\(resumed after source event 1000\)/);

    const copy = await PostgresEventStore.open({ url }, RETENTION);
    try {
      assert.deepEqual(await everything(copy), expected);
      const [sourceOverview, copyOverview] = [await (async () => {
        const reopened = await SqliteEventStore.open(sqlitePath, RETENTION);
        try { return await reopened.overview(now - 3_600_000); } finally { await reopened.close(); }
      })(), await copy.overview(now - 3_600_000)];
      assert.deepEqual(copyOverview, sourceOverview);
    } finally {
      await copy.close();
    }
    // A run with nothing left copies nothing.
    const again = await run(process.execPath, [join(ROOT, 'src/cli/logistis.ts'), 'migrate', '--from', `sqlite:${sqlitePath}`, '--to', url], { cwd: ROOT, encoding: 'utf8' });
    assert.match(again.stdout, /copied 0 events/);
  });

  it('says what is wrong with its arguments', async () => {
    await assert.rejects(
      run(process.execPath, [join(ROOT, 'src/cli/logistis.ts'), 'migrate', '--from', 'postgres://x/y', '--to', 'postgres://x/z'], { cwd: ROOT }),
      (error: { stderr: string; code: number }) => error.stderr.includes('--from: must be sqlite:PATH') && error.code === 2,
    );
  });
});
