// One logistis build under chosen load steps, for a closer look than `make bench` gives: CPU per capture split by
// thread, latency, peak RSS, and for open-loop steps the 100 ms windows in which a request took over 10 ms (so a
// stall shows when it happened, not only in the p99). Each server pinned to core 0 on a fresh database, the load on
// core 1, a 3 s warm-up at full speed first. Bounded: each step runs SECONDS (at most 60).
//
//   node bench/probe.ts APP_DIR STEP[,STEP…] [SECONDS]
//
// STEP: c64 (closed loop, 64 connections) or o1000 (vegeta open loop, 1,000/s). APP_DIR holds a built dist/,
// package.json and node_modules (as for bench/ab.ts); PROBE_NODE_FLAGS adds node flags (e.g. --cpu-prof, --trace-gc);
// PROBE_KEEP=1 keeps the temp dir with the server's output.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeCert } from './lib/tls.ts';
import { startLogistis, type BenchEnv } from './lib/targets.ts';
import { closedLoop } from './capture.ts';
import { cpuSecondsByThread, peakRssBytes } from './lib/proc.ts';
import { attack, writeTargets } from './load/open-loop.ts';
import { ensureVegeta } from './lib/tools.ts';

const [appDir, stepsArg, secondsArg] = process.argv.slice(2);
if (!appDir || !stepsArg) throw new Error('usage: node bench/probe.ts APP_DIR STEP[,STEP…] [SECONDS]');
const steps = stepsArg.split(',');
for (const step of steps) if (!/^[co]\d+$/.test(step)) throw new Error(`step "${step}": use cN (closed loop, N connections) or oR (open loop, R/s)`);
const seconds = Math.min(Number(secondsArg ?? 10), 60);
const tmp = mkdtempSync(join(tmpdir(), 'logistis-probe-'));
const root = resolve(import.meta.dirname, '..');
const tool = await ensureVegeta(() => {});
if (!('bin' in tool)) throw new Error(`vegeta: ${tool.unavailable}`);
const vegeta = tool;
const env: BenchEnv = {
  root, appRoot: resolve(appDir), node: process.execPath, tmp, cert: await makeCert(tmp), serverCpu: 0, loadCpu: 1,
  logistisNodeFlags: (process.env['PROBE_NODE_FLAGS'] ?? '').split(' ').filter(Boolean), loadEngine: 'raw', log: () => {},
};

/** Open loop with vegeta; returns the answered count, the latency percentiles and the slow 100 ms windows. */
async function openLoopTimeline(url: string, rate: number) {
  const targets = join(tmp, 'targets.jsonl');
  const results = join(tmp, 'results.bin');
  await writeTargets(targets, url, Math.ceil(rate * seconds * 1.02) + 10, (Date.now() & 0xffffffff).toString(16).padStart(8, '0'));
  const result = await attack({ vegeta: vegeta.bin, targetsFile: targets, resultsFile: results, ratePerSec: rate, durationSec: seconds, caFile: env.cert.cert, cpu: 1 });
  const hits = readFileSync(`${results}.jsonl`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { timestamp: string; latency: number });
  const start = Math.min(...hits.map((hit) => Date.parse(hit.timestamp)));
  const windows = new Map<number, { slow: number; maxMs: number }>();
  for (const hit of hits) {
    const ms = hit.latency / 1e6;
    if (ms <= 10) continue;
    const window = Math.floor((Date.parse(hit.timestamp) - start) / 100);
    const entry = windows.get(window) ?? { slow: 0, maxMs: 0 };
    entry.slow++;
    entry.maxMs = Math.max(entry.maxMs, ms);
    windows.set(window, entry);
  }
  const slow = [...windows].sort((a, b) => a[0] - b[0]).map(([window, e]) => `${(window / 10).toFixed(1)}s ${e.slow}× ≤${Math.round(e.maxMs)}ms`);
  return { ok: result.ok, failed: result.failed, latency: result.latencyMs, slow };
}

const target = await startLogistis(env, join(tmp, 'events.db'));
try {
  await closedLoop(env, target, 3, 64);
  for (const step of steps) {
    const before = cpuSecondsByThread(target.server.pid);
    const n = Number(step.slice(1));
    let line: string;
    let ok: number;
    if (step.startsWith('c')) {
      const m = await closedLoop(env, target, seconds, n);
      ok = m.result.ok;
      line = `${Math.round(m.result.requestsPerSec)}/s, p50/p99/p99.9 ${m.result.latencyMs.p50.toFixed(2)}/${m.result.latencyMs.p99.toFixed(2)}/${m.result.latencyMs.p999.toFixed(2)} ms`;
    } else {
      const o = await openLoopTimeline(target.url + target.capturePath, n);
      ok = o.ok;
      line = `${o.ok} answered, ${o.failed} failed, p50/p99/p99.9 ${o.latency.p50.toFixed(2)}/${o.latency.p99.toFixed(2)}/${o.latency.p999.toFixed(2)} ms; over 10 ms: ${o.slow.join(', ') || 'none'}`;
    }
    const threads = [...cpuSecondsByThread(target.server.pid)].map(([name, s]) => [name, ((s - (before.get(name) ?? 0)) * 1000) / ok] as const);
    const total = threads.reduce((sum, [, ms]) => sum + ms, 0);
    const split = threads.filter(([, ms]) => ms >= 0.001).map(([name, ms]) => `${name} ${ms.toFixed(3)}`).join(', ');
    process.stdout.write(`${step}: ${line}; CPU per capture ${total.toFixed(3)} ms (${split}); peak RSS ${Math.round(peakRssBytes(target.server.pid) / 2 ** 20)} MiB\n`);
  }
} finally {
  await target.server.stop();
  // PROBE_KEEP=1 keeps the temp dir: the server's own output (with PROBE_NODE_FLAGS=--trace-gc, its collections) is in logs/.
  if (process.env['PROBE_KEEP']) process.stdout.write(`kept ${tmp}\n`);
  else rmSync(tmp, { recursive: true, force: true });
}
