// The disk under a durable commit: how long fdatasync takes on the filesystem the bench's databases live on. Each
// capture logistis acknowledges waits for one (SQLite synchronous=FULL syncs the WAL at every commit), so this
// latency is a floor under the capture latency, and its tail shows in the capture's p99 and p99.9 at a fixed rate.
// It writes like the WAL once it has wrapped: 16 KiB (four pages) in place in a preallocated file, then
// fdatasync, at up to `ratePerSec`. Bounded by `seconds` and by rate × seconds writes. Synchronous on purpose:
// run it while no server runs.
//
//   node bench/disk-sync.ts [DIR] [SECONDS]
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { percentiles } from './lib/stats.ts';

export interface DiskSyncResult {
  syncs: number;
  /** fdatasync after a 16 KiB write in place, in ms. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** How many took longer than 10 ms, and their total time: the stalls every waiting capture shares. */
  over10ms: number;
  stalledMs: number;
  /** This process's CPU (user + system) per write and fdatasync, in ms: what a commit costs before SQLite's own work. */
  cpuMsPerSync: number;
}

const WRITE_BYTES = 16 * 1024;
const FILE_BYTES = 8 * 1024 * 1024;

export function measureDiskSync(dir: string, seconds: number, ratePerSec = 1000): DiskSyncResult {
  const file = join(dir, 'disk-sync.bin');
  const fd = openSync(file, 'w');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const latencies: number[] = [];
  let cpuMicros = NaN;
  try {
    const zeros = Buffer.alloc(FILE_BYTES);
    writeSync(fd, zeros, 0, zeros.length, 0);
    fdatasyncSync(fd);
    const block = Buffer.alloc(WRITE_BYTES, 0x5a);
    const intervalMs = 1000 / ratePerSec;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const maxSyncs = Math.ceil(seconds * ratePerSec);
    let offset = 0;
    while (latencies.length < maxSyncs && performance.now() - started < seconds * 1000) {
      const due = started + latencies.length * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) Atomics.wait(pause, 0, 0, wait);
      const before = performance.now();
      writeSync(fd, block, 0, WRITE_BYTES, offset);
      fdatasyncSync(fd);
      latencies.push(performance.now() - before);
      offset = (offset + WRITE_BYTES) % FILE_BYTES;
    }
    const cpu = process.cpuUsage(cpuBefore);
    cpuMicros = cpu.user + cpu.system;
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  const stalls = latencies.filter((ms) => ms > 10);
  const p = percentiles(latencies);
  return {
    syncs: p.count, p50Ms: p.p50, p99Ms: p.p99, p999Ms: p.p999, maxMs: p.max,
    over10ms: stalls.length, stalledMs: stalls.reduce((sum, ms) => sum + ms, 0),
    cpuMsPerSync: p.count > 0 ? cpuMicros / 1000 / p.count : NaN,
  };
}

if (import.meta.main) {
  const result = measureDiskSync(process.argv[2] ?? tmpdir(), Math.min(Number(process.argv[3] ?? 10), 60));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
