// The measurement behind ADR 0029: what one durable group commit of the commit log costs, written as logistis writes
// it (src/log/commit-log.ts: one writev and one fdatasync per group, frames checksummed) against a minimal SQLite
// database doing the same job (one rowid table, no secondary index, WAL, synchronous=FULL, one transaction per group).
// CPU is the whole process's (every thread: libuv's pool does the segment file's writes). Bounded: `--commits` groups
// per size, sequential, on a temp dir of this machine's disk.
//
//   node bench/log-choice.ts [--commits 2000] [--payload 2048]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { CommitLog } from '../src/log/commit-log.ts';

const { values } = parseArgs({ options: { commits: { type: 'string', default: '2000' }, payload: { type: 'string', default: '2048' } } });
const commits = Math.min(Number(values.commits), 20_000);
const payloadBytes = Math.min(Number(values.payload), 1024 * 1024);
const GROUP_SIZES = [1, 8, 64];

interface Measured {
  cpuMsPerCommit: number;
  cpuMsPerRecord: number;
  p50Ms: number;
  p99Ms: number;
}

async function measure(commitGroup: (records: Buffer[]) => Promise<void>, group: number): Promise<Measured> {
  const records = Array.from({ length: group }, (_, index) => Buffer.alloc(payloadBytes, 97 + (index % 26)));
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < commits; i++) {
    const started = process.hrtime.bigint();
    await commitGroup(records);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    cpuMsPerCommit: cpuMs / commits, cpuMsPerRecord: cpuMs / (commits * group),
    p50Ms: latencies[Math.floor(latencies.length * 0.5)]!, p99Ms: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'logistis-log-choice-'));
try {
  const line = (name: string, group: number, m: Measured) => process.stdout.write(
    `${name.padEnd(22)} group ${String(group).padStart(2)}: ${m.cpuMsPerCommit.toFixed(3)} ms CPU per commit, ${m.cpuMsPerRecord.toFixed(3)} ms per record, latency p50 ${m.p50Ms.toFixed(2)} ms p99 ${m.p99Ms.toFixed(2)} ms\n`);
  process.stdout.write(`${commits} commits per group size, ${payloadBytes}-byte records, in ${dir}\n`);
  for (const group of GROUP_SIZES) {
    const log = await CommitLog.open({ dir: join(dir, `segments-${group}`), maxBytes: 8 * 1024 ** 3 });
    // The log groups concurrent appends itself: `group` appends at once make one writev and one fdatasync.
    line('segment file', group, await measure(async (records) => { await Promise.all(records.map((record) => log.append(record))); }, group));
    await log.close();

    const db = new DatabaseSync(join(dir, `sqlite-${group}.db`));
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE log (payload BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO log (payload) VALUES (?)');
    line('minimal SQLite (FULL)', group, await measure(async (records) => {
      db.exec('BEGIN IMMEDIATE');
      for (const record of records) insert.run(record);
      db.exec('COMMIT');
    }, group));
    db.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
