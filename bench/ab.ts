// A/B of two logistis builds: CPU per capture, alternated in one sitting (A, B, A, B, …) so that the machine's
// drift hits both alike; each server pinned to core 0 on a fresh database, a 3 s warm-up, then the closed-loop
// client on core 1. Prints one line per run with the other processes' share of core 0 during it.
// Bounded: rounds × 2 runs of (3 + seconds) s.
//
//   node bench/ab.ts DIR_A DIR_B [--connections 64] [--rounds 2] [--seconds 8]
//
// DIR_A and DIR_B each hold a built dist/, package.json and node_modules (e.g. `git archive REV | tar -x -C DIR`,
// a node_modules symlink, `npx tsc -p tsconfig.build.json` there).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCert } from './lib/tls.ts';
import { HAVE_TASKSET } from './lib/proc.ts';
import { startLogistis, type BenchEnv } from './lib/targets.ts';
import { closedLoop } from './capture.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { connections: { type: 'string', default: '64' }, rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '8' } },
});
if (positionals.length !== 2) throw new Error('usage: node bench/ab.ts DIR_A DIR_B [--connections N] [--rounds R] [--seconds S]');
const connections = Math.min(Number(values.connections), 256);
const rounds = Math.min(Number(values.rounds), 10);
const seconds = Math.min(Number(values.seconds), 60);
const tmp = mkdtempSync(join(tmpdir(), 'logistis-ab-'));
try {
  const cert = await makeCert(tmp);
  for (let round = 0; round < rounds; round++) {
    for (const [label, dir] of [['A', positionals[0]!], ['B', positionals[1]!]] as const) {
      const env: BenchEnv = {
        root: resolve(import.meta.dirname, '..'), appRoot: resolve(dir), node: process.execPath, tmp, cert,
        serverCpu: HAVE_TASKSET ? 0 : undefined, loadCpu: HAVE_TASKSET ? 1 : undefined, logistisNodeFlags: [], loadEngine: 'raw', log: () => {},
      };
      const target = await startLogistis(env, join(tmp, `events-${round}-${label}.db`));
      try {
        await closedLoop(env, target, 3, connections);
        const m = await closedLoop(env, target, seconds, connections);
        const others = Math.max(0, (m.coreBusyPercent[0] ?? 0) - m.cpuPercent);
        process.stdout.write(`${label} ${dir}: ${connections} connections, ${Math.round(m.result.requestsPerSec)} captures/s, ${m.cpuMsPerCapture.toFixed(3)} ms of CPU per capture, server ${Math.round(m.cpuPercent)}% and other processes ${Math.round(others)}% of core 0\n`);
      } finally {
        await target.server.stop();
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
