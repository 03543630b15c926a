// The indexer over a repaired commit log (src/log/indexer.ts): padding records that `logistis log repair` wrote over
// damage are skipped, not decoded as event rows, and a stored cursor that falls inside one goes on after it. Real
// SQLite store, real log files.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommitLog, listSegments } from '../../../src/log/commit-log.ts';
import { LogIndexer } from '../../../src/log/indexer.ts';
import { repairLog } from '../../../src/log/log-check.ts';
import { SqliteEventStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { toEventRow } from '../../../src/store/event-codec.ts';
import { encodeRow } from '../../../src/store/row-lines.ts';
import type { NewChangeEvent } from '../../../src/event.ts';

function event(index: number): NewChangeEvent {
  const name = `settings-${String(index).padStart(2, '0')}`;
  return {
    time: '2026-12-07T09:00:00.000Z', requestUid: `request-${String(index).padStart(2, '0')}`, operation: 'CREATE',
    user: { username: 'alice', uid: '', groups: ['dev'], extra: {} },
    group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', subresource: '', namespace: 'demo', name, objectUid: `uid-${index}`,
    fieldManager: 'kubectl', patch: [], object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'demo' }, data: { mode: 'a' } },
  };
}
const line = (index: number) => Buffer.from(encodeRow(toEventRow(event(index))));

describe('LogIndexer over a repaired log', () => {
  let dir: string;
  let logDir: string;
  let store: SqliteEventStore;
  /** Each record's [start, end) in append order. */
  let spans: [number, number][];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-indexer-'));
    logDir = join(dir, 'log');
    store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 10 * 365 * 86_400_000 });
    const log = await CommitLog.open({ dir: logDir, maxBytes: 10_000_000 });
    spans = [];
    for (let index = 0; index < 6; index++) {
      const start = log.head;
      spans.push([start, await log.append(line(index))]);
    }
    await log.close();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Zeroes log bytes [from, to) in the one segment, as a bad disk block would. */
  function zero(from: number, to: number): void {
    const fd = openSync(listSegments(logDir)[0]!.file, 'r+');
    writeSync(fd, Buffer.alloc(to - from), 0, to - from, from);
    closeSync(fd);
  }

  async function index(): Promise<string[]> {
    const log = await CommitLog.open({ dir: logDir, maxBytes: 10_000_000 });
    const stuck: Error[] = [];
    const indexer = new LogIndexer(log, store, { gatherMs: 0, retryMs: [10, 50], onStuck: (error) => stuck.push(error) });
    indexer.start();
    const reached = await indexer.waitFor(log.head, 5000);
    await indexer.stop();
    await log.close();
    assert.deepEqual(stuck, []);
    assert.ok(reached, 'the indexer reached the log head');
    return (await store.listEvents({}, 100, undefined, 'asc')).items.map((stored) => stored.name);
  }

  it('stores every kept event and skips the padding', async () => {
    zero(spans[2]![0] + 10, spans[2]![0] + 30);
    assert.equal(repairLog(logDir).outcome, 'repaired');
    assert.deepEqual(await index(), ['settings-00', 'settings-01', 'settings-03', 'settings-04', 'settings-05']);
  });

  it('goes on after a padding record that a stored cursor points into', async () => {
    // Records 0..2 were stored (the cursor is at the end of record 2); then records 2 and 3 were damaged together.
    const log = await CommitLog.open({ dir: logDir, maxBytes: 10_000_000 });
    await store.appendFromLog([0, 1, 2].map((index) => line(index)), { logId: log.id, position: spans[2]![1] });
    await log.close();
    zero(spans[2]![0], spans[3]![1]);
    const repair = repairLog(logDir);
    assert.equal(repair.outcome, 'repaired');
    assert.equal(repair.segments[0]!.paddingRecords, 1, 'one padding record covers both damaged records, across the cursor');
    assert.deepEqual(await index(), ['settings-00', 'settings-01', 'settings-02', 'settings-04', 'settings-05']);
  });
});
