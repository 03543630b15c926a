// A/B of two logistis builds: CPU per capture, alternated in one sitting (A, B, A, B, …) so that the machine's
// drift hits both alike; each server pinned to core 0 on a fresh database, a 3 s warm-up, then the closed-loop
// client on core 1. Prints one line per run with the other processes' share of core 0 during it.
// Bounded: rounds × 2 runs of (3 + seconds) s.
//
//   node bench/ab.ts DIR_A DIR_B [--connections 64] [--rounds 2] [--seconds 8] [--rate N]
//
// With --rate N each run is an open loop at N reviews/s (vegeta) after the warm-up instead of the closed loop:
// tail latency and failures under a fixed offered load, which the closed loop's self-pacing hides.
//
// DIR_A and DIR_B each hold a built dist/, package.json and node_modules (e.g. `git archive REV | tar -x -C DIR`,
// a node_modules symlink, `npx tsc -p tsconfig.build.json` there), or are the word `bare` for the bare Node
// server or `durable-bare` for it with a group-committed, fdatasynced append of each body: `bare DIR` or
// `durable-bare DIR` gives logistis' share of that baseline in pairs a few seconds apart, which the machine's drift
// between the phases of `make bench` does not skew.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCert } from './lib/tls.ts';
import { HAVE_TASKSET } from './lib/proc.ts';
import { startBare, startDurableBare, startLogistis, type BenchEnv, type RunningTarget } from './lib/targets.ts';
import { alternatedFullSpeed, closedLoop, openLoop, otherCpuPercent } from './capture.ts';
import { ensureVegeta } from './lib/tools.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { connections: { type: 'string', default: '64' }, rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '8' }, rate: { type: 'string' } },
});
if (positionals.length !== 2) throw new Error('usage: node bench/ab.ts DIR_A DIR_B [--connections N] [--rounds R] [--seconds S] [--rate N]');
const connections = Math.min(Number(values.connections), 256);
const rounds = Math.min(Number(values.rounds), 10);
const seconds = Math.min(Number(values.seconds), 60);
const rate = values.rate === undefined ? undefined : Math.min(Number(values.rate), 20_000);
if (rate !== undefined && !(rate > 0)) throw new Error('--rate must be a positive number of reviews per second');
const tmp = mkdtempSync(join(tmpdir(), 'logistis-ab-'));
try {
  const cert = await makeCert(tmp);
  const env: BenchEnv = {
    root: resolve(import.meta.dirname, '..'), appRoot: '', node: process.execPath, tmp, cert,
    serverCpu: HAVE_TASKSET ? 0 : undefined, loadCpu: HAVE_TASKSET ? 1 : undefined, logistisNodeFlags: [], loadEngine: 'raw', log: () => {},
  };
  const side = (label: string, dir: string): [string, (round: number) => Promise<RunningTarget>] => [
    `${label} ${dir}`,
    (round) => (dir === 'bare' ? startBare(env)
      : dir === 'durable-bare' ? startDurableBare(env)
        : startLogistis({ ...env, appRoot: resolve(dir) }, join(tmp, `events-${round}-${label}.db`))),
  ];
  if (rate === undefined) {
    await alternatedFullSpeed(env, [side('A', positionals[0]!), side('B', positionals[1]!)], rounds, 3, seconds, connections, (name, run) => {
      if ('error' in run) {
        process.stdout.write(`${name}: ${run.error}\n`);
        return;
      }
      const others = otherCpuPercent(run, 0);
      process.stdout.write(`${name}: ${connections} connections, ${Math.round(run.result.requestsPerSec)} captures/s, ${run.cpuMsPerCapture.toFixed(3)} ms of CPU per capture, server ${Math.round(run.cpuPercent)}% and other processes ${Math.round(others)}% of core 0\n`);
    });
  } else {
    const vegeta = await ensureVegeta((msg) => process.stderr.write(`${msg}\n`));
    if ('unavailable' in vegeta) throw new Error(`--rate needs vegeta: ${vegeta.unavailable}`);
    for (let round = 0; round < rounds; round++) {
      for (const [name, start] of [side('A', positionals[0]!), side('B', positionals[1]!)]) {
        const target = await start(round);
        try {
          await closedLoop(env, target, 3, connections);
          const run = await openLoop(env, target, vegeta.bin, rate, seconds);
          const { ok, failed, latencyMs } = run.result;
          process.stdout.write(`${name}: ${rate}/s open loop, ${Math.round(run.result.requestsPerSec)} answered/s, ${failed} failed of ${ok + failed}, p50 ${latencyMs.p50.toFixed(2)} p99 ${latencyMs.p99.toFixed(2)} p99.9 ${latencyMs.p999.toFixed(2)} ms, ${run.cpuMsPerCapture.toFixed(3)} ms of CPU per capture, other processes ${Math.round(otherCpuPercent(run, 0))}% of core 0\n`);
        } finally {
          await target.server.stop();
        }
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
