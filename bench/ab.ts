// A/B of two logistis builds: CPU per capture, alternated in one sitting (A, B, A, B, …) so that the machine's
// drift hits both alike; each server pinned to core 0 on a fresh database, a 3 s warm-up, then the closed-loop
// client on core 1. Prints one line per run with the other processes' share of core 0 during it.
// Bounded: rounds × 2 runs of (3 + seconds) s.
//
//   node bench/ab.ts DIR_A DIR_B [--connections 64] [--rounds 2] [--seconds 8]
//
// DIR_A and DIR_B each hold a built dist/, package.json and node_modules (e.g. `git archive REV | tar -x -C DIR`,
// a node_modules symlink, `npx tsc -p tsconfig.build.json` there), or are the word `bare` for the bare Node
// server: `bare DIR` gives logistis' share of bare in pairs a few seconds apart, which the machine's drift
// between the phases of `make bench` does not skew.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCert } from './lib/tls.ts';
import { HAVE_TASKSET } from './lib/proc.ts';
import { startBare, startLogistis, type BenchEnv, type RunningTarget } from './lib/targets.ts';
import { alternatedFullSpeed, otherCpuPercent } from './capture.ts';

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
  const env: BenchEnv = {
    root: resolve(import.meta.dirname, '..'), appRoot: '', node: process.execPath, tmp, cert,
    serverCpu: HAVE_TASKSET ? 0 : undefined, loadCpu: HAVE_TASKSET ? 1 : undefined, logistisNodeFlags: [], loadEngine: 'raw', log: () => {},
  };
  const side = (label: string, dir: string): [string, (round: number) => Promise<RunningTarget>] => [
    `${label} ${dir}`,
    (round) => (dir === 'bare' ? startBare(env) : startLogistis({ ...env, appRoot: resolve(dir) }, join(tmp, `events-${round}-${label}.db`))),
  ];
  await alternatedFullSpeed(env, [side('A', positionals[0]!), side('B', positionals[1]!)], rounds, 3, seconds, connections, (name, run) => {
    if ('error' in run) {
      process.stdout.write(`${name}: ${run.error}\n`);
      return;
    }
    const others = otherCpuPercent(run, 0);
    process.stdout.write(`${name}: ${connections} connections, ${Math.round(run.result.requestsPerSec)} captures/s, ${run.cpuMsPerCapture.toFixed(3)} ms of CPU per capture, server ${Math.round(run.cpuPercent)}% and other processes ${Math.round(others)}% of core 0\n`);
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
