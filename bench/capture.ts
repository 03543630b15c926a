// Capture throughput and latency: the same review mix against one target, (a) open loop at fixed rates (1,000 and
// 2,500 requests/s) and (b) closed loop at full speed with 64 connections, with the server's CPU (also per capture)
// and peak RSS. A step that other processes disturbed (they took more than 10% of the server's core) is run again.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
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
  openLoopRates: number[];
  openLoopSec: number;
  /** How often a step that other processes disturbed is run again. */
  retries: number;
  /** Seconds of core use sampled before each server's run (the machine's load then). */
  idleSampleSec: number;
  /** Seconds of fdatasync timing right before logistis' run (bench/disk-sync.ts). */
  diskSyncSec: number;
  /** Full-speed pairs of the bare server and logistis in turn, each on a fresh server, and each one's seconds. */
  pairedRounds?: number;
  pairedSec?: number;
}

export const FULL_SETTINGS: CaptureSettings = {
  warmupSec: 3, fullSpeedSec: 20, connections: 64, openLoopRates: [1000, 2500], openLoopSec: 20, retries: 2, idleSampleSec: 2, diskSyncSec: 10,
  pairedRounds: 3, pairedSec: 8,
};
export const SMOKE_SETTINGS: CaptureSettings = {
  warmupSec: 0.5, fullSpeedSec: 2, connections: 64, openLoopRates: [1000, 2500], openLoopSec: 1, retries: 0, idleSampleSec: 0.2, diskSyncSec: 0.5,
  pairedRounds: 1, pairedSec: 1,
};

/** Other processes' share of the server's core above which a step counts as disturbed and is run again. */
export const DISTURBED_PERCENT = 10;

export interface Measured<T> {
  result: T;
  cpuPercent: number;
  /** Server CPU time per answered capture, in milliseconds (all threads). */
  cpuMsPerCapture: number;
  /** The same by thread name (MainThread, WorkerThread, V8Worker, …), for servers that name their threads. */
  cpuMsPerCaptureByThread?: Record<string, number>;
  /** How busy each core was over the window (all processes), to see competing work. */
  coreBusyPercent: number[];
  /** Earlier attempts at this step that other processes disturbed: their own server CPU and the core's business. */
  disturbedAttempts?: Array<{ cpuPercent: number; coreBusyPercent: number[]; summary: string }>;
}

export interface OpenLoopStep extends Measured<OpenLoopResult> {
  rate: number;
}

export interface MachineLoad {
  loadAverage: number[];
  /** Busy share of each core, all processes, sampled just before the server started. */
  coreBusyPercent: number[];
}

export interface CaptureResult {
  target: string;
  loadBefore?: MachineLoad;
  fullSpeed?: Measured<ClosedLoopResult>;
  openLoops?: OpenLoopStep[] | { unavailable: string };
  peakRssBytes?: number;
  /** When each step ran, in µs of CLOCK_MONOTONIC (V8 profile timestamps), to cut CPU profiles per step. */
  windows?: Array<{ label: string; fromUs: number; toUs: number }>;
  error?: string;
}

/** The machine's load right now: load average and a short sample of each core's use. */
export async function sampleMachineLoad(seconds: number): Promise<MachineLoad> {
  const cores = new CoreMeter();
  cores.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return { loadAverage: loadavg(), coreBusyPercent: cores.stop() };
}

/** Other processes' share of the server's core during a step. */
export function otherCpuPercent(m: Pick<Measured<unknown>, 'cpuPercent' | 'coreBusyPercent'>, serverCpu: number | undefined): number {
  if (serverCpu === undefined) return 0;
  const busy = m.coreBusyPercent[serverCpu];
  return busy === undefined || !Number.isFinite(busy) ? 0 : Math.max(0, busy - m.cpuPercent);
}

/** Runs a step, and again (up to `retries` times) while other processes disturbed it; keeps the least disturbed. */
async function undisturbed<T extends Measured<unknown>>(env: BenchEnv, label: string, retries: number, step: () => Promise<T>, summary: (m: T) => string): Promise<T> {
  const attempts: T[] = [];
  for (let attempt = 0; attempt <= retries; attempt++) {
    let m: T;
    try {
      m = await step();
    } catch (error) {
      // A repeat that fails (e.g. the load generator starved past its time limit) keeps the attempts already made.
      if (attempts.length === 0) throw error;
      env.log(`${label}: the repeat failed (${(error as Error).message.slice(0, 200)}); keeping the earlier attempt`);
      break;
    }
    attempts.push(m);
    const other = otherCpuPercent(m, env.serverCpu);
    if (other <= DISTURBED_PERCENT) break;
    if (attempt < retries) env.log(`${label}: other processes used ${Math.round(other)}% of the server's core; running it again`);
  }
  const sorted = [...attempts].sort((a, b) => otherCpuPercent(a, env.serverCpu) - otherCpuPercent(b, env.serverCpu));
  const best = sorted[0]!;
  const disturbed = attempts.filter((m) => m !== best && otherCpuPercent(m, env.serverCpu) > DISTURBED_PERCENT);
  if (disturbed.length) {
    best.disturbedAttempts = disturbed.map((m) => ({ cpuPercent: m.cpuPercent, coreBusyPercent: m.coreBusyPercent, summary: summary(m) }));
  }
  return best;
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
  return { result, cpuPercent: cpu.cpuPercent, cpuMsPerCapture: perCapture(cpu.cpuSeconds, result.ok), cpuMsPerCaptureByThread: byThread(cpu.threadSeconds, result.ok), coreBusyPercent };
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
  return { result, cpuPercent: cpu.cpuPercent, cpuMsPerCapture: perCapture(cpu.cpuSeconds, result.ok), cpuMsPerCaptureByThread: byThread(cpu.threadSeconds, result.ok), coreBusyPercent };
}

function perCapture(cpuSeconds: number, answered: number): number {
  return answered > 0 ? (cpuSeconds * 1000) / answered : NaN;
}

function byThread(threadSeconds: Record<string, number>, answered: number): Record<string, number> {
  return Object.fromEntries(Object.entries(threadSeconds).map(([name, seconds]) => [name, perCapture(seconds, answered)]));
}

/**
 * Warm-up, open loop at each fixed rate, then full speed; the target stays up for the caller (storage).
 * `loadBefore` is the machine's load sampled by the caller before it started the server.
 */
export async function measureCapture(env: BenchEnv, target: RunningTarget, settings: CaptureSettings, vegeta: string | { unavailable: string }, loadBefore?: MachineLoad): Promise<CaptureResult> {
  const out: CaptureResult = { target: target.name, windows: [] };
  const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
  if (loadBefore) out.loadBefore = loadBefore;
  env.log(`${target.name}: warm-up ${settings.warmupSec}s`);
  await closedLoop(env, target, settings.warmupSec, settings.connections);
  if (typeof vegeta === 'string') {
    out.openLoops = [];
    for (const rate of settings.openLoopRates) {
      env.log(`${target.name}: open loop ${rate}/s for ${settings.openLoopSec}s`);
      const fromUs = nowUs();
      const step = await undisturbed(env, `${target.name} open loop ${rate}/s`, settings.retries,
        () => openLoop(env, target, vegeta, rate, settings.openLoopSec),
        (m) => `p99 ${m.result.latencyMs.p99.toFixed(2)} ms, p99.9 ${m.result.latencyMs.p999.toFixed(2)} ms`);
      out.windows!.push({ label: `open loop ${rate}/s`, fromUs, toUs: nowUs() });
      out.openLoops.push({ ...step, rate });
    }
  } else {
    out.openLoops = vegeta;
  }
  env.log(`${target.name}: full speed, ${settings.connections} connections for ${settings.fullSpeedSec}s`);
  const fullFromUs = nowUs();
  out.fullSpeed = await undisturbed(env, `${target.name} full speed`, settings.retries,
    () => closedLoop(env, target, settings.fullSpeedSec, settings.connections),
    (m) => `${Math.round(m.result.requestsPerSec)} captures/s`);
  out.windows!.push({ label: `full speed, ${settings.connections} connections`, fromUs: fullFromUs, toUs: nowUs() });
  out.peakRssBytes = peakRssBytes(target.server.pid);
  return out;
}

/** One full-speed run of a server started for it, or why it could not run. */
export type FreshRun = Measured<ClosedLoopResult> | { error: string };

/**
 * Full speed on fresh servers in turn (A, B, A, B, …), a warm-up before each: the machine's speed drifts over
 * minutes, so servers compared within seconds of each other are compared on the same machine. `onRun` hears each.
 */
export async function alternatedFullSpeed(
  env: BenchEnv, starts: Array<[string, (round: number) => Promise<RunningTarget>]>, rounds: number, warmupSec: number,
  seconds: number, connections: number, onRun: (name: string, run: FreshRun) => void = () => {},
): Promise<Array<Record<string, FreshRun>>> {
  const results: Array<Record<string, FreshRun>> = [];
  for (let round = 0; round < rounds; round++) {
    const runs: Record<string, FreshRun> = {};
    for (const [name, start] of starts) {
      try {
        const target = await start(round);
        try {
          await closedLoop(env, target, warmupSec, connections);
          runs[name] = await closedLoop(env, target, seconds, connections);
        } finally {
          await target.server.stop();
        }
      } catch (error) {
        runs[name] = { error: (error as Error).message };
      }
      onRun(name, runs[name]);
    }
    results.push(runs);
  }
  return results;
}
