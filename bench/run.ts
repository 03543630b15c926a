// `make bench`: capture throughput and latency beside a bare Node server (the limit), the same server appending each
// body with group commit and fdatasync (durable bare, the floor of any durable recorder) and kube-audit-rest (the
// peer), query speed at scale, storage per event, durability under SIGKILL, and a PostgreSQL outage under load. Prints one table and writes
// bench/RESULTS.md. Every load goes to 127.0.0.1 and every loop is bounded in count and time.
//
//   node bench/run.ts            full run (about 10 minutes; the first builds vegeta and the query dataset)
//   node bench/run.ts --smoke    a few-seconds version of everything, for CI (writes its RESULTS.md to the temp dir)
//
// Options: --out FILE (where RESULTS.md goes), --only capture,query,storage,durability,outage, --profile (node
// --cpu-prof for logistis; keeps the temp dir), --keep-tmp, --engine raw|autocannon (closed-loop load engine),
// --targets bare,durable-bare,kube-audit-rest,logistis (which servers the capture phase loads), --rerender REPORT.json (write
// RESULTS.md again from a run's saved report, e.g. after editing bench/analysis.md; measures nothing).
import { cpus, loadavg } from 'node:os';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { ReviewSource, MIX_WEIGHTS, type TemplateInfo } from './fixtures.ts';
import { makeCert } from './lib/tls.ts';
import { ensurePeer, ensureVegeta, type ToolResult } from './lib/tools.ts';
import { HAVE_TASKSET } from './lib/proc.ts';
import { machineInfo } from './lib/machine.ts';
import { logistisArgs, logistisAvailable, snapshotApp, startBare, startDurableBare, startLogistis, startPeer, type BenchEnv, type RunningTarget } from './lib/targets.ts';
import { FULL_SETTINGS, SMOKE_SETTINGS, alternatedFullSpeed, measureCapture, sampleMachineLoad, type CaptureResult, type CaptureSettings } from './capture.ts';
import { FULL_QUERY, SMOKE_QUERY, measureQueries, type QuerySettings } from './query.ts';
import { measureStorage } from './storage.ts';
import { FULL_DURABILITY, SMOKE_DURABILITY, measureDurability, type DurabilitySettings } from './durability.ts';
import { FULL_OUTAGE, SMOKE_OUTAGE, measureOutage, type OutageSettings } from './outage.ts';
import { writeFlameGraph } from './flamegraph.ts';
import { measureRulesCost } from './rules-eval.ts';
import { measureDiskSync } from './disk-sync.ts';
import { noiseWarnings, renderReport, renderTable, type Report } from './report.ts';

const PHASES = ['capture', 'query', 'storage', 'durability', 'outage'] as const;
type Phase = (typeof PHASES)[number];

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'keep-tmp': { type: 'boolean', default: false },
    engine: { type: 'string', default: 'raw' },
    targets: { type: 'string', default: 'bare,durable-bare,kube-audit-rest,logistis' },
    rerender: { type: 'string' },
    // postgres: also PostgreSQL beside SQLite at the store (bench/lib/postgres.ts).
    store: { type: 'string', default: 'sqlite' },
  },
});

const ROOT = resolve(import.meta.dirname, '..');
const ANALYSIS_FILE = join(ROOT, 'bench', 'analysis.md');

if (values.rerender) {
  const saved = JSON.parse(readFileSync(values.rerender, 'utf8')) as Report;
  const table = renderTable(saved);
  const out = values.out ?? join(ROOT, 'bench', 'RESULTS.md');
  writeFileSync(out, renderReport(saved, table, existsSync(ANALYSIS_FILE) ? readFileSync(ANALYSIS_FILE, 'utf8') : ''));
  process.stdout.write(`${table}\nwrote ${out}\n`);
  process.exit(0);
}
const smoke = values.smoke ?? false;
const only = new Set<Phase>((values.only ? values.only.split(',') : PHASES) as Phase[]);
for (const phase of only) if (!PHASES.includes(phase)) throw new Error(`--only: unknown phase "${phase}"; known: ${PHASES.join(', ')}`);
if (values.engine !== 'raw' && values.engine !== 'autocannon') throw new Error('--engine must be raw or autocannon');
if (only.has('storage')) only.add('capture');

const started = new Date();
const log = (msg: string): void => {
  const s = ((Date.now() - started.getTime()) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${msg}\n`);
};

const tmp = mkdtempSync(join(tmpdir(), 'logistis-bench-'));
const keepTmp = values['keep-tmp'] || values.profile;
const cores = cpus().length;
const serverCpu = HAVE_TASKSET ? 0 : undefined;
const loadCpu = HAVE_TASKSET ? (cores > 1 ? 1 : 0) : undefined;
// The runner itself (query and durability clients) stays off the server's core too.
if (loadCpu !== undefined) spawnSync('taskset', ['-a', '-p', '-c', String(loadCpu), String(process.pid)], { stdio: 'ignore' });
const profileDir = join(tmp, 'profiles');
if (values.profile) mkdirSync(profileDir, { recursive: true });

const env: BenchEnv = {
  root: ROOT,
  appRoot: ROOT,
  node: process.execPath,
  tmp,
  cert: { cert: '', key: '' },
  serverCpu,
  loadCpu,
  logistisNodeFlags: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  loadEngine: values.engine,
  log,
};

const capture: CaptureSettings = smoke ? SMOKE_SETTINGS : FULL_SETTINGS;
const querySettings: QuerySettings = smoke ? SMOKE_QUERY : FULL_QUERY;
const durabilitySettings: DurabilitySettings = smoke ? SMOKE_DURABILITY : FULL_DURABILITY;
const outageSettings: OutageSettings = smoke ? SMOKE_OUTAGE : FULL_OUTAGE;

function gitRevision(): string {
  const rev = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout?.trim();
  return dirty ? `${rev} (with uncommitted changes in src/)` : rev;
}

async function withTarget<T>(start: () => Promise<RunningTarget>, body: (t: RunningTarget) => Promise<T>): Promise<T> {
  const target = await start();
  try {
    return await body(target);
  } finally {
    await target.server.stop();
  }
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' | ').slice(0, 1200);
}

const FLAME_GRAPH_DIR = join(ROOT, 'bench', 'flamegraphs');

/**
 * One flame graph per capture step from the logistis capture server's profiles (all its threads), into
 * bench/flamegraphs/ (the smoke run's go to the temp dir).
 */
function renderCaptureFlameGraphs(result: CaptureResult | undefined, revision: string, date: string): void {
  const files = existsSync(profileDir) ? readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profileDir, f)) : [];
  if (!result?.windows?.length || files.length === 0) return;
  const dir = smoke ? join(tmp, 'flamegraphs') : FLAME_GRAPH_DIR;
  mkdirSync(dir, { recursive: true });
  for (const window of result.windows) {
    const name = `capture-${window.label.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '').toLowerCase()}.svg`;
    const step = window.label.startsWith('full') ? result.fullSpeed : Array.isArray(result.openLoops) ? result.openLoops.find((s) => window.label === `open loop ${s.rate}/s`) : undefined;
    const note = step ? `server CPU ${step.cpuPercent.toFixed(0)}% of one core, ${step.cpuMsPerCapture.toFixed(3)} ms per capture` : '';
    const { busyMs } = writeFlameGraph(join(dir, name), files, `logistis capture, ${window.label} (${revision}, ${date.slice(0, 10)})`, window, note);
    log(`flame graph ${join(dir, name)} (${busyMs.toFixed(0)} ms of busy samples)`);
  }
}

async function main(): Promise<number> {
  log(`temp dir ${tmp}${smoke ? ' (smoke run)' : ''}`);
  env.cert = await makeCert(tmp);
  const source = new ReviewSource({ uidPrefix: '00000000' });
  const templates: TemplateInfo[] = source.info();

  const report: Report = {
    smoke,
    date: started.toISOString(),
    finished: '',
    revision: gitRevision(),
    machine: machineInfo(),
    loadAverage: loadavg(),
    cores: { server: serverCpu, load: loadCpu },
    pinning: HAVE_TASKSET ? `server on core ${serverCpu}, load generator on core ${loadCpu}` : 'taskset not available: not pinned',
    settings: { capture, query: querySettings, durability: durabilitySettings, outage: outageSettings, engine: env.loadEngine },
    templates,
    mixWeights: { ...MIX_WEIGHTS },
    commands: [],
    tools: {},
    capture: {},
    notes: [],
  };

  const missing = logistisAvailable(ROOT);
  if (!missing) env.appRoot = snapshotApp(ROOT, tmp);
  const vegeta: ToolResult = only.has('capture') || only.has('outage') ? await ensureVegeta(log) : { unavailable: 'not run' };
  const peer: ToolResult = only.has('capture') ? await ensurePeer(log) : { unavailable: 'not run' };
  report.tools = { vegeta, 'kube-audit-rest': peer };
  const vegetaBin = 'bin' in vegeta ? vegeta.bin : { unavailable: vegeta.unavailable };

  const pin = (cpu: number | undefined): string => (cpu === undefined ? '' : `taskset -c ${cpu} `);
  report.commands.push(
    `${pin(serverCpu)}node bench/bare-server.ts --listen 127.0.0.1:PORT --tls-cert-file tls.crt --tls-key-file tls.key`,
    `${pin(serverCpu)}node bench/bare-server.ts --listen 127.0.0.1:PORT --tls-cert-file tls.crt --tls-key-file tls.key --durable-file TMP/durable-bare/bodies.jsonl   # durable bare`,
    `${pin(serverCpu)}node ${logistisArgs({ ...env, appRoot: '.' }, 0, 'TMP/events.db').join(' ').replace(':0 ', ':PORT ').replace(env.cert.cert, 'tls.crt').replace(env.cert.key, 'tls.key').replace(`${env.root}/`, '')}   # dist/ copied into TMP when the run starts`,
  );
  if ('bin' in peer) {
    report.commands.push(`${pin(serverCpu)}kube-audit-rest --server-port=PORT --metrics-port=PORT2 --cert-filename=tls.crt --cert-key-filename=tls.key --logger-filename=TMP/kube-audit-rest.log`);
  }
  report.commands.push(
    `${pin(loadCpu)}node bench/load/closed-loop.ts '{"connections":${capture.connections},"durationSec":${capture.fullSpeedSec},"engine":"${env.loadEngine}",…}'`,
    `${pin(loadCpu)}vegeta attack -format=json -targets=targets.jsonl -lazy -rate=RATE/1s -duration=${capture.openLoopSec}s -root-certs=tls.crt -http2=false -keepalive=true -timeout=10s -max-body=0   # RATE: ${capture.openLoopRates.join(', ')}`,
  );
  if (only.has('outage')) {
    const o = outageSettings;
    report.commands.push(`${pin(serverCpu)}node … serve --store postgres://logistis:…@127.0.0.1:PGPORT/outage --log-dir TMP/outage/commit-log …   # outage: vegeta at ${o.ratePerSec}/s for ${o.beforeSec + o.outageSec + o.afterSec}s; PostgreSQL (harness/postgres.ts, on the load core) stopped at ${o.beforeSec}s, started at ${o.beforeSec + o.outageSec}s`);
  }

  // 1. Capture, and storage on the database logistis filled; first the capture rules' own cost, in this process
  // (pinned to the load core), before any server runs.
  if (only.has('capture')) {
    try {
      report.rules = measureRulesCost(smoke ? 100 : 3000);
    } catch (error) {
      report.rules = { error: `failed: ${errorText(error)}` };
    }
    const runs: Array<[string, () => Promise<RunningTarget> | string]> = [
      ['bare', () => startBare(env)],
      ['durable-bare', () => startDurableBare(env)],
      ['kube-audit-rest', () => ('bin' in peer ? startPeer(env, peer) : `unavailable: ${peer.unavailable}`)],
      ['logistis', () => (missing ? `unavailable: ${missing}` : startLogistis(env, join(tmp, 'capture', 'events.db')))],
    ];
    mkdirSync(join(tmp, 'capture'), { recursive: true });
    const wanted = new Set((values.targets ?? '').split(','));
    for (const [name, start] of runs) {
      if (!wanted.has(name)) continue;
      if (name === 'logistis') {
        // Right before the durable server's run, on the filesystem its database uses: the floor under its commits.
        log(`disk: fdatasync latency for ${capture.diskSyncSec}s`);
        try {
          report.diskSync = measureDiskSync(join(tmp, 'capture'), capture.diskSyncSec);
        } catch (error) {
          report.diskSync = { error: `failed: ${errorText(error)}` };
        }
      }
      const loadBefore = await sampleMachineLoad(capture.idleSampleSec);
      const attempt = start();
      if (typeof attempt === 'string') {
        report.capture[name] = { target: name, error: attempt };
        continue;
      }
      try {
        report.capture[name] = await withTarget(() => attempt, (t) => measureCapture(env, t, capture, vegetaBin, loadBefore));
      } catch (error) {
        report.capture[name] = { target: name, error: `failed: ${errorText(error)}` };
        log(`${name}: ${errorText(error)}`);
      }
    }
    // The shares of bare and durable bare once more, from runs seconds apart on fresh servers (not under --profile:
    // its flags would slow logistis and overwrite the profiles).
    const baselines: Array<[string, () => Promise<RunningTarget>]> = [['bare', () => startBare(env)], ['durable-bare', () => startDurableBare(env)]];
    const pairedBaselines = baselines.filter(([name]) => wanted.has(name));
    if (pairedBaselines.length && wanted.has('logistis') && !missing && !values.profile && capture.pairedRounds && capture.pairedSec) {
      mkdirSync(join(tmp, 'paired'), { recursive: true });
      const names = [...pairedBaselines.map(([name]) => name), 'logistis'];
      log(`paired: ${names.join(', ')} in turn, ${capture.pairedRounds} rounds of ${capture.pairedSec}s each`);
      const rounds = await alternatedFullSpeed(env, [
        ...pairedBaselines,
        ['logistis', (round) => startLogistis(env, join(tmp, 'paired', `events-${round}.db`))],
      ], capture.pairedRounds, capture.warmupSec, capture.pairedSec, capture.connections);
      report.paired = rounds.map((round) => Object.fromEntries(Object.entries(round).map(([name, run]) => [name, 'error' in run ? run
        : { requestsPerSec: run.result.requestsPerSec, cpuMsPerCapture: run.cpuMsPerCapture, cpuPercent: run.cpuPercent, coreBusyPercent: run.coreBusyPercent }])));
    }
    if (values.profile) renderCaptureFlameGraphs(report.capture['logistis'], report.revision, report.date);
    if (only.has('storage')) {
      if (report.capture['logistis']?.fullSpeed) {
        try {
          report.storage = measureStorage(join(tmp, 'capture', 'events.db'), templates);
        } catch (error) {
          report.storage = { error: `failed: ${errorText(error)}` };
        }
      } else {
        report.storage = { error: 'unavailable: the logistis capture run did not complete' };
      }
    }
  }

  // 2. Query speed at scale.
  if (only.has('query')) {
    if (missing) report.query = { error: `unavailable: ${missing}` };
    else {
      try {
        report.query = await measureQueries(env, querySettings);
      } catch (error) {
        report.query = { error: `failed: ${errorText(error)}` };
        log(`query: ${errorText(error)}`);
      }
    }
  }

  // 3. Durability under SIGKILL.
  if (only.has('durability')) {
    if (missing) report.durability = { error: `unavailable: ${missing}` };
    else {
      try {
        report.durability = await measureDurability(env, durabilitySettings);
      } catch (error) {
        report.durability = { error: `failed: ${errorText(error)}` };
        log(`durability: ${errorText(error)}`);
      }
    }
  }

  // 4. A PostgreSQL outage under open-loop load.
  if (only.has('outage')) {
    if (missing) report.outage = { error: `unavailable: ${missing}` };
    else if (typeof vegetaBin !== 'string') report.outage = { error: `unavailable: vegeta: ${vegetaBin.unavailable}` };
    else {
      try {
        report.outage = await measureOutage(env, outageSettings, vegetaBin);
      } catch (error) {
        report.outage = { error: `failed: ${errorText(error)}` };
        log(`outage: ${errorText(error)}`);
      }
    }
  }

  if (values.store === 'postgres') {
    const { measureStoresBeside, FULL_STORE_BENCH, SMOKE_STORE_BENCH } = await import('./lib/postgres.ts');
    try {
      report.notes.push(await measureStoresBeside(smoke ? SMOKE_STORE_BENCH : FULL_STORE_BENCH, log));
    } catch (error) {
      report.notes.push(`PostgreSQL beside SQLite: failed: ${errorText(error)}`);
    }
  }

  if (values.profile && existsSync(profileDir)) {
    report.notes.push(`CPU profiles of logistis (open in Chrome DevTools or speedscope): ${readdirSync(profileDir).map((f) => join(profileDir, f)).join(', ')}`);
  }
  report.finished = new Date().toISOString();

  const table = renderTable(report);
  process.stdout.write(table + '\n');
  for (const warning of noiseWarnings(report)) log(`warning: other processes used the server core: ${warning}`);
  const out = values.out ?? (smoke ? join(tmpdir(), 'logistis-bench-smoke-RESULTS.md') : join(ROOT, 'bench', 'RESULTS.md'));
  const analysis = existsSync(ANALYSIS_FILE) ? readFileSync(ANALYSIS_FILE, 'utf8') : '';
  writeFileSync(out, renderReport(report, table, analysis));
  const saved = join(keepTmp ? tmp : tmpdir(), `logistis-bench-${smoke ? 'smoke' : 'full'}.json`);
  writeFileSync(saved, JSON.stringify(report, null, 2));
  log(`saved the report as ${saved} (re-render with --rerender)`);
  log(`wrote ${out}`);
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
} finally {
  if (!keepTmp) rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}
process.exit(code);
