// Open-loop load at a fixed rate with vegeta: requests leave at evenly spaced times whether or not earlier ones
// were answered, so a slow answer shows as latency instead of lowering the offered rate (autocannon's overallRate
// fires each second's share in a burst). The targets file carries one distinct review per request.
import { createWriteStream, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { ReviewSource } from '../fixtures.ts';
import { Samples } from '../lib/stats.ts';
import { run, pinned } from '../lib/proc.ts';
import { spawn } from 'node:child_process';

export interface OpenLoopResult {
  sent: number;
  ok: number;
  failed: number;
  /** Requests answered 2xx per second of the attack. */
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number; p999: number; max: number; mean: number };
  firstError?: string;
}

/** Writes `count` vegeta JSON targets, each a distinct review. Returns the body bytes written. */
export async function writeTargets(file: string, url: string, count: number, uidPrefix: string): Promise<number> {
  const source = new ReviewSource({ uidPrefix });
  const out = createWriteStream(file);
  const header = { 'Content-Type': ['application/json'] };
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const review = source.next();
    bytes += review.body.length;
    const line = JSON.stringify({ method: 'POST', url, body: Buffer.from(review.body).toString('base64'), header }) + '\n';
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

export interface OpenLoopOptions {
  vegeta: string;
  targetsFile: string;
  resultsFile: string;
  ratePerSec: number;
  durationSec: number;
  caFile: string;
  cpu?: number;
  /** Called when vegeta is started (the measured window begins). */
  onStart?: () => void;
  /** Called when the attack is over, before its results are read. */
  onEnd?: () => void;
}

export async function attack(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const args = [
    'attack', '-format=json', `-targets=${options.targetsFile}`, '-lazy',
    `-rate=${options.ratePerSec}/1s`, `-duration=${options.durationSec}s`,
    `-root-certs=${options.caFile}`, '-http2=false', '-keepalive=true', '-timeout=10s', '-max-body=0',
    `-output=${options.resultsFile}`,
  ];
  const [command, argv] = pinned(options.cpu, options.vegeta, args);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  options.onStart?.();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const killer = setTimeout(() => child.kill('SIGKILL'), (options.durationSec + 60) * 1000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(killer);
  options.onEnd?.();
  if (code !== 0) throw new Error(`vegeta attack failed (${code}): ${stderr.trim()}`);
  return summarise(options.vegeta, options.resultsFile, options.durationSec);
}

async function summarise(vegeta: string, resultsFile: string, durationSec: number): Promise<OpenLoopResult> {
  const jsonFile = resultsFile + '.jsonl';
  await run(vegeta, ['encode', '--to=json', `--output=${jsonFile}`, resultsFile], { timeoutMs: 120_000 });
  const samples = new Samples(2_000_000);
  let sent = 0;
  let ok = 0;
  let firstError: string | undefined;
  let first = Infinity;
  let last = -Infinity;
  const lines = createInterface({ input: createReadStream(jsonFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const hit = JSON.parse(line) as { code: number; latency: number; timestamp: string; error: string };
    sent++;
    const t = Date.parse(hit.timestamp);
    if (t < first) first = t;
    if (t > last) last = t;
    if (hit.code >= 200 && hit.code < 300) {
      ok++;
      samples.push(hit.latency / 1e6);
    } else {
      firstError ??= hit.error || `HTTP ${hit.code}`;
    }
  }
  const p = samples.percentiles();
  const window = Math.max(durationSec, (last - first) / 1000);
  const result: OpenLoopResult = {
    sent,
    ok,
    failed: sent - ok,
    requestsPerSec: ok / window,
    latencyMs: { p50: p.p50, p99: p.p99, p999: p.p999, max: p.max, mean: p.mean },
  };
  if (firstError) result.firstError = firstError;
  return result;
}
