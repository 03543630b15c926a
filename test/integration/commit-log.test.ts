// The commit log's promises (docs/adr/0029-commit-log.md), checked on the real `logistis serve` with real SQLite and
// PostgreSQL: a capture acknowledged is stored exactly once whatever happens after the answer (the database down
// for 30 s, SIGKILL while appending or indexing, a torn last record, two replicas), damage is refused with the file
// and offset, and a full log loses new captures (allowed, counted log-full) but never what it had acknowledged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { testCertificate, type TestCertificate } from '../../harness/tls.ts';
import { startServer, type ServerProcess } from '../../harness/server-process.ts';
import { loadFixture, withFreshUid, type Review } from '../../harness/fixtures.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';
import {
  assertStoredOnce, captureLoad, lostTotal, metricValue, metricsText, nextReview, postgresUidCounts, readiness, sleep,
  sqliteUidCounts, waitUntil,
} from '../support/serve-load.ts';

/** The commit log's frame header: magic, length, CRC-32, appended-at, length again (src/log/frame.ts). */
const FRAME_HEADER_BYTES = 24;

/** The segment files of a log directory, oldest first, and where the log ends. */
function segments(logDir: string): { files: string[]; head: number } {
  const names = readdirSync(logDir).filter((name) => /^\d{20}\.log$/.test(name)).sort();
  const last = names.at(-1);
  return { files: names.map((name) => join(logDir, name)), head: last ? Number(last.slice(0, 20)) + statSync(join(logDir, last)).size : 0 };
}

/** Byte offsets of the records in one segment file, found by walking the frame lengths. */
function recordOffsets(file: string): number[] {
  const bytes = readFileSync(file);
  const offsets: number[] = [];
  for (let offset = 0; offset + FRAME_HEADER_BYTES <= bytes.length; offset += FRAME_HEADER_BYTES + bytes.readUInt32BE(offset + 4)) offsets.push(offset);
  return offsets;
}

async function logCursors(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ log_id: string; position: string }>('SELECT log_id, position FROM log_cursors');
    return new Map(rows.map((row) => [row.log_id, Number(row.position)]));
  } finally {
    await client.end();
  }
}

async function capture(server: ServerProcess, review: Review): Promise<void> {
  const response = await server.request('POST', '/capture', review);
  assert.equal(response.status, 200, response.body);
  assert.equal((JSON.parse(response.body) as { response: { allowed: boolean } }).response.allowed, true, 'a capture is never refused');
}

/** A review of about 16 KiB that does not compress: a few dozen fill a 1 MiB log. */
function bigReview(index: number): Review {
  const review = withFreshUid(loadFixture('configmap-create'));
  const object = review.request['object'] as { metadata: { name: string }; data: Record<string, string> };
  object.metadata.name = `big-${index}`;
  object.data['blob'] = randomBytes(12_000).toString('base64');
  return review;
}

/** The log's backlog gauges at 0 (from /metrics: /readyz has no log section while it answers 503). */
async function drained(server: ServerProcess, timeoutMs: number): Promise<void> {
  await waitUntil('the backlog to drain', async () => {
    const metrics = await metricsText(server);
    return metricValue(metrics, 'logistis_log_backlog_records') === 0 && metricValue(metrics, 'logistis_log_backlog_bytes') === 0;
  }, timeoutMs, 50);
}

function withOutput<T>(server: () => ServerProcess | undefined, run: () => Promise<T>): Promise<T> {
  return run().catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\nserver output:\n${server()?.output().slice(-3000) ?? ''}`, { cause: error });
  });
}

describe('the commit log in front of the store', () => {
  let dir: string;
  let tls: TestCertificate;
  let postgres: Postgres;
  const serveArgs = (store: string, logDir: string, extra: string[] = []) => [
    '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', store, '--log-dir', logDir, '--auth', 'none',
    '--redaction-key-file', join(dir, 'redaction.key'), '--commit-timeout', '10s', '--store-pool-size', '4', ...extra,
  ];
  const start = (args: string[]) => startServer(args, { caFile: tls.caFile });
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-commit-log-'));
    tls = await testCertificate(dir);
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('PostgreSQL stopped for 30 s under load: every capture allowed and kept in the log, ready throughout, then stored exactly once', async (t) => {
    const url = await postgres.createDatabase('log_outage');
    const logDir = join(dir, 'outage-log');
    const server = await start(serveArgs(url, logDir));
    const load = captureLoad(() => [server], { ratePerSecond: 150, maxCount: 150 * 45, prefix: 'outage' });
    try {
      await withOutput(() => server, async () => {
        await waitUntil('captures before the outage', async () => load.acknowledged.size >= 300);
        assert.equal(await lostTotal(server), 0);
        await postgres.stop();
        const outageStarted = Date.now();
        const samples: { status: number; storeBehind?: string; backlogRecords: number; backlogBytes: number; backlogMetric: number; lost: number }[] = [];
        while (Date.now() - outageStarted < 30_000) {
          await sleep(3000);
          const { status, body } = await readiness(server);
          const metrics = await metricsText(server);
          samples.push({
            status, ...(body.log?.storeBehind ? { storeBehind: body.log.storeBehind } : {}), backlogRecords: body.log?.backlogRecords ?? -1,
            backlogBytes: body.log?.backlogBytes ?? -1, backlogMetric: metricValue(metrics, 'logistis_log_backlog_records'),
            lost: metricValue(metrics, 'logistis_events_lost_total'),
          });
        }
        t.diagnostic(`during the outage: ${samples.map((sample) => sample.backlogRecords).join(', ')} records behind`);
        for (const [index, sample] of samples.entries()) {
          assert.equal(sample.status, 200, `/readyz at ${(index + 1) * 3} s of the outage`);
          assert.ok(sample.storeBehind, `/readyz says why the store is behind at ${(index + 1) * 3} s`);
          assert.ok(sample.backlogMetric > 0, 'logistis_log_backlog_records > 0');
          assert.equal(sample.lost, 0, 'nothing lost while the store is down');
          if (index > 0) {
            assert.ok(sample.backlogRecords > samples[index - 1]!.backlogRecords, 'the backlog grows while the store is down');
            assert.ok(sample.backlogBytes > samples[index - 1]!.backlogBytes);
          }
        }
        assert.ok(samples.at(-1)!.backlogRecords >= 150 * 25, `about 150 records/s wait in the log (${samples.at(-1)!.backlogRecords})`);

        await postgres.start();
        const restarted = Date.now();
        await sleep(2000); // the load goes on while the indexer catches up
        await load.stop();
        // The indexer's retry pause is at most 5 s; 4,500 records are three batches. 15 s leaves room for a slow machine.
        await drained(server, 15_000);
        t.diagnostic(`backlog drained ${((Date.now() - restarted) / 1000).toFixed(1)} s after PostgreSQL accepted connections again`);
        assert.deepEqual(load.refused, []);
        assert.equal(load.connectionErrors, 0);
        assert.equal(load.acknowledged.size, load.sent.size, 'every capture was answered allowed');
        assert.equal(await lostTotal(server), 0);
        const counts = await postgresUidCounts(url);
        assertStoredOnce(counts, load.acknowledged, load.sent);
        const logId = (await readiness(server)).body.log!.logId;
        assert.equal((await logCursors(url)).get(logId), segments(logDir).head, 'the stored cursor is the end of the log');
      });
    } finally {
      await load.stop();
      await postgres.start();
      await server.kill('SIGTERM');
    }
  });

  /** Load, then SIGKILL once the log has records the store has not taken; returns whether it had. */
  async function loadAndKill(server: ServerProcess, prefix: string, acknowledged: Set<string>, sent: Set<string>): Promise<boolean> {
    const load = captureLoad(() => [server], { ratePerSecond: 400, maxCount: 2000, prefix, maxInFlight: 32 });
    await sleep(300 + Math.random() * 1200);
    let behind = false;
    const deadline = Date.now() + 2000;
    while (!behind && Date.now() < deadline) behind = ((await readiness(server)).body.log?.backlogRecords ?? 0) > 0;
    await server.kill('SIGKILL');
    await load.stop();
    assert.deepEqual(load.refused, [], 'no capture refused before the kill');
    for (const uid of load.acknowledged) acknowledged.add(uid);
    for (const uid of load.sent) sent.add(uid);
    return behind;
  }

  it('SIGKILL while appending and indexing, five times on SQLite: every acknowledged capture stored exactly once', async (t) => {
    const storeFile = join(dir, 'kill.db');
    const args = serveArgs(`sqlite:${storeFile}`, join(dir, 'kill-log'));
    const acknowledged = new Set<string>();
    const sent = new Set<string>();
    let killedBehind = 0;
    for (let round = 0; round < 5; round++) {
      const server = await start(args);
      if (await loadAndKill(server, `sqlite-kill-${round}`, acknowledged, sent)) killedBehind += 1;
    }
    t.diagnostic(`${acknowledged.size} acknowledged; ${killedBehind} of 5 kills with records not yet in the store`);
    assert.ok(acknowledged.size > 500, `only ${acknowledged.size} captures acknowledged`);
    assert.ok(killedBehind >= 3, 'most kills hit the log with records still to index');
    const server = await start(args);
    await withOutput(() => server, () => drained(server, 15_000));
    assert.equal(await server.kill('SIGTERM'), 0);
    assertStoredOnce(sqliteUidCounts(storeFile), acknowledged, sent);
  });

  it('SIGKILL under load and while the backlog drains into PostgreSQL: every acknowledged capture stored exactly once', async (t) => {
    const url = await postgres.createDatabase('log_kill');
    const args = serveArgs(url, join(dir, 'pg-kill-log'));
    const acknowledged = new Set<string>();
    const sent = new Set<string>();
    for (let round = 0; round < 2; round++) {
      const server = await start(args);
      await loadAndKill(server, `pg-kill-${round}`, acknowledged, sent);
    }
    // A backlog built with PostgreSQL down, then the kill while the indexer is storing it.
    let server = await start(args);
    let killedWhileDraining = false;
    try {
      await postgres.stop();
      const burst = captureLoad(() => [server], { ratePerSecond: 2000, maxCount: 6000, prefix: 'pg-burst', maxInFlight: 64 });
      await sleep(4000);
      await burst.stop();
      assert.deepEqual(burst.refused, []);
      for (const uid of burst.acknowledged) acknowledged.add(uid);
      for (const uid of burst.sent) sent.add(uid);
      const peak = (await readiness(server)).body.log!.backlogRecords;
      t.diagnostic(`${peak} records behind when PostgreSQL starts again`);
      assert.ok(peak > 2000, 'a backlog of more than one batch');
      await postgres.start();
      await waitUntil('the indexer storing the backlog', async () => {
        const backlog = (await readiness(server)).body.log!.backlogRecords;
        assert.ok(backlog > 0, 'the kill came too late: the backlog was already drained');
        return backlog < peak;
      }, 15_000, 10);
      await server.kill('SIGKILL');
      killedWhileDraining = true;
    } finally {
      await postgres.start();
      if (!killedWhileDraining) await server.kill('SIGKILL');
    }
    server = await start(args);
    await withOutput(() => server, () => drained(server, 15_000));
    assert.equal(await server.kill('SIGTERM'), 0);
    assertStoredOnce(await postgresUidCounts(url), acknowledged, sent);
  });

  it('a torn last record is cut off at the start and every record before it is stored', async () => {
    const url = await postgres.createDatabase('log_torn');
    const logDir = join(dir, 'torn-log');
    const args = serveArgs(url, logDir, ['--log-drain-timeout', '1s']);
    let server = await start(args);
    const uids = new Set<string>();
    try {
      // With the database down the records stay in the log only: the restart must store them from it.
      await postgres.stop();
      for (let i = 0; i < 20; i++) {
        const review = nextReview('torn', i);
        await capture(server, review);
        uids.add(review.request.uid);
      }
    } finally {
      assert.equal(await server.kill('SIGTERM'), 0);
      await postgres.start();
    }
    const { files } = segments(logDir);
    const last = files.at(-1)!;
    const size = statSync(last).size;
    const first = recordOffsets(last)[0]!;
    const frame = readFileSync(last).subarray(first, first + FRAME_HEADER_BYTES + readFileSync(last).readUInt32BE(first + 4));
    const cut = frame.subarray(0, FRAME_HEADER_BYTES + 40); // a write a crash cut short
    appendFileSync(last, cut);
    server = await start(args);
    try {
      await withOutput(() => server, async () => {
        await drained(server, 15_000);
        assert.match(server.output(), new RegExp(`"tornBytes":${cut.length}[^\\n]*cut off a record a crash left incomplete`));
        assert.equal(statSync(last).size, size, 'the torn bytes are gone from the file');
        assertStoredOnce(await postgresUidCounts(url), uids, uids);
      });
    } finally {
      assert.equal(await server.kill('SIGTERM'), 0);
    }
  });

  it('a damaged record before good ones stops the start, naming the file and offset, and changes nothing', async () => {
    const logDir = join(dir, 'damaged-log');
    const args = serveArgs(`sqlite:${join(dir, 'damaged.db')}`, logDir);
    const server = await start(args);
    for (let i = 0; i < 20; i++) await capture(server, nextReview('damaged', i));
    assert.equal(await server.kill('SIGTERM'), 0);
    const file = segments(logDir).files.at(-1)!;
    const offsets = recordOffsets(file);
    assert.equal(offsets.length, 20);
    const bytes = readFileSync(file);
    const target = offsets[10]!;
    bytes[target + FRAME_HEADER_BYTES + 30]! ^= 0x01; // one bit inside the payload of the 11th record
    writeFileSync(file, bytes);
    const failure = await start(args).then(async (started) => {
      await started.kill('SIGKILL');
      return undefined;
    }, (error: unknown) => error as Error);
    assert.ok(failure, 'the server refuses to start');
    assert.match(failure.message, /logistis serve exited with [1-9]\d*:/);
    assert.ok(failure.message.includes(file), `the error names ${file}: ${failure.message}`);
    assert.ok(failure.message.includes(`byte offset ${target}`), `the error names offset ${target}: ${failure.message}`);
    assert.deepEqual(readFileSync(file), bytes, 'the log is left as it was');
  });

  /** Sends big captures one at a time until `lostWanted` were lost as log-full; which uids the log took, and which not. */
  async function fillLog(server: ServerProcess, lostWanted: number): Promise<{ taken: Set<string>; lost: Set<string>; readyWhenFull: { status: number; body: unknown } }> {
    const taken = new Set<string>();
    const lost = new Set<string>();
    let lostBefore = 0;
    for (let i = 0; i < 400 && lost.size < lostWanted; i++) {
      const review = bigReview(i);
      await capture(server, review);
      const lostNow = metricValue(await metricsText(server), 'logistis_events_lost_total', 'reason="log-full"');
      (lostNow > lostBefore ? lost : taken).add(review.request.uid);
      lostBefore = lostNow;
    }
    assert.equal(lost.size, lostWanted, `the log never filled after ${taken.size} captures`);
    assert.equal(await lostTotal(server), lost.size, 'every loss is counted as log-full');
    return { taken, lost, readyWhenFull: await readiness(server) };
  }

  it('--max-log-bytes reached with PostgreSQL down: captures allowed and lost as log-full, not ready, and what was taken is stored once it is back', async (t) => {
    const url = await postgres.createDatabase('log_limit');
    const server = await start(serveArgs(url, join(dir, 'limit-log'), ['--max-log-bytes', '1MiB']));
    try {
      await withOutput(() => server, async () => {
        await postgres.stop();
        const { taken, lost, readyWhenFull } = await fillLog(server, 10);
        t.diagnostic(`the 1 MiB log took ${taken.size} captures of about 16 KiB`);
        assert.ok(taken.size >= 50 && taken.size <= 64, `about 1 MiB of records taken (${taken.size})`);
        assert.equal(readyWhenFull.status, 503);
        assert.match(JSON.stringify(readyWhenFull.body), /commit log is full/);
        await postgres.start();
        await drained(server, 15_000);
        const counts = await postgresUidCounts(url);
        assertStoredOnce(counts, taken, taken);
        assert.ok([...lost].every((uid) => !counts.has(uid)));
        // The store has taken the log's records: there is room again.
        assert.equal((await readiness(server)).status, 200);
        const review = bigReview(1000);
        await capture(server, review);
        assert.equal(await lostTotal(server), lost.size, 'a capture after the log emptied is not lost');
        await drained(server, 15_000);
        assert.ok((await postgresUidCounts(url)).has(review.request.uid));
      });
    } finally {
      await postgres.start();
      await server.kill('SIGTERM');
    }
  });

  it('the log\'s disk full (a 1 MiB tmpfs) with PostgreSQL down: captures allowed and lost as log-full, and what was taken is stored once it is back', async (t) => {
    const disk = join(dir, 'full-disk');
    mkdirSync(disk);
    if (process.getuid?.() !== 0) {
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk], { stdio: 'pipe' });
    } catch (error) {
      t.skip(`cannot mount a tmpfs: ${(error as Error).message}`);
      return;
    }
    let server: ServerProcess | undefined;
    try {
      const url = await postgres.createDatabase('log_disk_full');
      const running = await start(serveArgs(url, join(disk, 'log')));
      server = running;
      await withOutput(() => running, async () => {
        await postgres.stop();
        const { taken, lost, readyWhenFull } = await fillLog(running, 10);
        t.diagnostic(`the 1 MiB disk took ${taken.size} captures`);
        assert.ok(taken.size >= 40, `most of 1 MiB of records taken (${taken.size})`);
        assert.match(running.output(), /no space left|ENOSPC/i);
        assert.equal(readyWhenFull.status, 503, 'not ready while every capture is lost');
        assert.match(JSON.stringify(readyWhenFull.body), /commit log is full \(the disk is full/);
        await postgres.start();
        await drained(running, 15_000);
        const counts = await postgresUidCounts(url);
        assertStoredOnce(counts, taken, taken);
        assert.ok([...lost].every((uid) => !counts.has(uid)));
      });
    } finally {
      await postgres.start();
      await server?.kill('SIGKILL');
      execFileSync('umount', [disk]);
    }
  });

  it('two replicas, each with its own log, on one PostgreSQL: every acknowledged capture stored once, both cursors kept', async () => {
    const url = await postgres.createDatabase('log_replicas');
    const logDirs = [join(dir, 'replica-a-log'), join(dir, 'replica-b-log')];
    const servers: ServerProcess[] = [];
    for (const logDir of logDirs) servers.push(await start(serveArgs(url, logDir)));
    const load = captureLoad(() => servers, { ratePerSecond: 300, maxCount: 1800, prefix: 'replicas' });
    try {
      await waitUntil('the load to finish', async () => load.acknowledged.size + load.refused.length >= 1800, 30_000);
    } finally {
      await load.stop();
      for (const server of servers) assert.equal(await server.kill('SIGTERM'), 0, 'a clean stop');
    }
    assert.deepEqual(load.refused, []);
    assert.equal(load.acknowledged.size, 1800);
    assertStoredOnce(await postgresUidCounts(url), load.acknowledged, load.sent);
    const cursors = await logCursors(url);
    for (const logDir of logDirs) {
      const logId = readFileSync(join(logDir, 'log-id'), 'utf8').trim();
      assert.equal(cursors.get(logId), segments(logDir).head, `the cursor of ${logDir} is the end of its log`);
    }
  });
});
