// Capture throughput and latency: the same review mix against one target, (a) closed loop at full speed with 64
// connections and (b) open loop at a fixed 1,000 requests/s, with the server's CPU and peak RSS.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { CoreMeter, CpuMeter, peakRssBytes, pinned } from './lib/proc.ts';
import type { BenchEnv, RunningTarget } from './lib/targets.ts';
import type { ClosedLoopConfig, ClosedLoopResult } from './load/closed-loop.ts';
import { attack, writeTargets, type OpenLoopResult } from './load/open-loop.ts';

export interface CaptureSettings {
  warmupSec: number;
  fullSpeedSec: number;
  connections: number;
  openLoopRate: number;
  openLoopSec: number;
}

export const FULL_SETTINGS: CaptureSettings = { warmupSec: 3, fullSpeedSec: 20, connections: 64, openLoopRate: 1000, openLoopSec: 20 };
export const SMOKE_SETTINGS: CaptureSettings = { warmupSec: 0.5, fullSpeedSec: 2, connections: 64, openLoopRate: 1000, openLoopSec: 1 };

export interface Measured<T> {
  result: T;
  cpuPercent: number;
  /** How busy each core was over the window (all processes), to see competing work. */
  coreBusyPercent: number[];
}

export interface CaptureResult {
  target: string;
  fullSpeed?: Measured<ClosedLoopResult>;
  openLoop?: Measured<OpenLoopResult> | { unavailable: string };
  peakRssBytes?: number;
  error?: string;
}

let prefixCounter = 0;
/** A fresh 8-hex-digit uid prefix per load run, so uids never repeat within a bench run. */
export function nextUidPrefix(): string {
  const run = (Date.now() & 0xfffff).toString(16).padStart(5, '0');
  return `${run}${(++prefixCounter).toString(16).padStart(3, '0')}`.slice(-8);
}

/** Runs bench/load/closed-loop.ts pinned to the load core; measures the server's CPU over the attack. */
export async function closedLoop(env: BenchEnv, target: RunningTarget, durationSec: number, connections: number): Promise<Measured<ClosedLoopResult>> {
  const config: ClosedLoopConfig = { url: target.url, path: target.capturePath, connections, durationSec, uidPrefix: nextUidPrefix(), caFile: env.cert.cert, engine: env.loadEngine };
  const [command, args] = pinned(env.loadCpu, env.node, [join(env.root, 'bench', 'load', 'closed-loop.ts'), JSON.stringify(config)]);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const meter = new CpuMeter(target.server.pid);
  const cores = new CoreMeter();
  let coreBusyPercent: number[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let result: ClosedLoopResult | undefined;
  let cpu: ReturnType<CpuMeter['stop']> | undefined;
  const killer = setTimeout(() => child.kill('SIGKILL'), (durationSec + 60) * 1000);
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'STARTED') {
      meter.start();
      cores.start();
    } else if (line.startsWith('{')) {
      cpu = meter.stop();
      coreBusyPercent = cores.stop();
      result = JSON.parse(line) as ClosedLoopResult;
    }
  }
  clearTimeout(killer);
  if (!result || !cpu) throw new Error(`closed-loop load against ${target.name} failed: ${stderr.trim() || 'no result'}`);
  return { result, cpuPercent: cpu.cpuPercent, coreBusyPercent };
}

export async function openLoop(env: BenchEnv, target: RunningTarget, vegeta: string, rate: number, durationSec: number): Promise<Measured<OpenLoopResult>> {
  const targetsFile = join(env.tmp, `targets-${target.name}.jsonl`);
  const resultsFile = join(env.tmp, `vegeta-${target.name}.bin`);
  // One distinct review per request, plus a margin so the targets outlast the attack.
  await writeTargets(targetsFile, target.url + target.capturePath, Math.ceil(rate * durationSec * 1.02) + 10, nextUidPrefix());
  const meter = new CpuMeter(target.server.pid);
  const cores = new CoreMeter();
  let coreBusyPercent: number[] = [];
  let cpu: ReturnType<CpuMeter['stop']> | undefined;
  const result = await attack({
    vegeta, targetsFile, resultsFile, ratePerSec: rate, durationSec, caFile: env.cert.cert, cpu: env.loadCpu,
    onStart: () => {
      meter.start();
      cores.start();
    },
    onEnd: () => {
      cpu = meter.stop();
      coreBusyPercent = cores.stop();
    },
  });
  cpu ??= meter.stop();
  rmSync(targetsFile, { force: true });
  rmSync(resultsFile, { force: true });
  rmSync(resultsFile + '.jsonl', { force: true });
  return { result, cpuPercent: cpu.cpuPercent, coreBusyPercent };
}

/** Warm-up, open loop at the fixed rate, then full speed; the target stays up for the caller (storage). */
export async function measureCapture(env: BenchEnv, target: RunningTarget, settings: CaptureSettings, vegeta: string | { unavailable: string }): Promise<CaptureResult> {
  const out: CaptureResult = { target: target.name };
  env.log(`${target.name}: warm-up ${settings.warmupSec}s`);
  await closedLoop(env, target, settings.warmupSec, settings.connections);
  if (typeof vegeta === 'string') {
    env.log(`${target.name}: open loop ${settings.openLoopRate}/s for ${settings.openLoopSec}s`);
    out.openLoop = await openLoop(env, target, vegeta, settings.openLoopRate, settings.openLoopSec);
  } else {
    out.openLoop = vegeta;
  }
  env.log(`${target.name}: full speed, ${settings.connections} connections for ${settings.fullSpeedSec}s`);
  out.fullSpeed = await closedLoop(env, target, settings.fullSpeedSec, settings.connections);
  out.peakRssBytes = peakRssBytes(target.server.pid);
  return out;
}
