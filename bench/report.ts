// The one table `make bench` prints, and bench/RESULTS.md around it.
import type { MachineInfo } from './lib/machine.ts';
import type { ToolResult } from './lib/tools.ts';
import { percentiles } from './lib/stats.ts';
import { otherCpuPercent, DISTURBED_PERCENT, type CaptureResult, type CaptureSettings, type OpenLoopStep } from './capture.ts';
import type { QueryResult, QuerySettings } from './query.ts';
import { QUERY_NAMES } from './query.ts';
import type { StorageResult } from './storage.ts';
import type { RulesCost } from './rules-eval.ts';
import type { DiskSyncResult } from './disk-sync.ts';
import type { DurabilityResult, DurabilitySettings } from './durability.ts';
import type { MixKind, TemplateInfo } from './fixtures.ts';
import type { OutageResult, OutageSettings } from './outage.ts';

type Failed = { error: string };

export interface Report {
  smoke: boolean;
  date: string;
  finished: string;
  revision: string;
  machine: MachineInfo;
  pinning: string;
  /** Cores the servers and the load generator were pinned to, when they were. */
  cores: { server?: number; load?: number };
  loadAverage: number[];
  settings: { capture: CaptureSettings; query: QuerySettings; durability: DurabilitySettings; outage?: OutageSettings; engine: string };
  templates: TemplateInfo[];
  mixWeights: Record<MixKind, number>;
  commands: string[];
  tools: Record<string, ToolResult>;
  capture: Record<string, CaptureResult>;
  query?: QueryResult | Failed;
  storage?: StorageResult | Failed;
  durability?: DurabilityResult | Failed;
  /** logistis on PostgreSQL under open-loop load while PostgreSQL is stopped and started (bench/outage.ts). */
  outage?: OutageResult | Failed;
  /** The capture rules' own cost, measured beside the capture phase (bench/rules-eval.ts). */
  rules?: RulesCost | Failed;
  /** fdatasync latency on the databases' filesystem, right before logistis' capture run (bench/disk-sync.ts). */
  diskSync?: DiskSyncResult | Failed;
  /** Full-speed rounds, bare, durable bare, then logistis, each on a fresh server, seconds apart (capture.pairedRounds). */
  paired?: Array<Record<string, PairedRun | Failed>>;
  notes: string[];
}

export interface PairedRun {
  requestsPerSec: number;
  cpuMsPerCapture: number;
  cpuPercent: number;
  coreBusyPercent: number[];
}

/** logistis' share of a baseline (bare or durable-bare) in each round that has both, in run order. */
export function pairedShares(paired: Report['paired'], baseline = 'bare'): number[] {
  const shares: number[] = [];
  for (const round of paired ?? []) {
    const base = round[baseline];
    const logistis = round['logistis'];
    if (base && logistis && !isFailed(base) && !isFailed(logistis) && base.requestsPerSec > 0) shares.push(logistis.requestsPerSec / base.requestsPerSec);
  }
  return shares;
}

/** Per open-loop rate: what logistis must hold, absolute and against durable bare at the same rate. */
interface OpenLoopTargets {
  p99Ms?: number;
  /** p99 at most this multiple of durable bare's p99. */
  p99OfDurableBare?: number;
  p999Ms?: number;
  /** Failed requests (non-2xx, errors, timeouts) at most. */
  failed?: number;
  /** CPU per capture at most this multiple of durable bare's. */
  cpuOfDurableBare?: number;
}

export const TARGETS = {
  /** Full speed, the median over the paired rounds: logistis' share of durable bare (the floor) and of bare (the limit). */
  shareOfDurableBare: 0.7,
  shareOfBare: 0.5,
  /** Capture rules count as not measurable while they cost at most this share of the CPU per capture at full speed. */
  rulesShareOfCapture: 0.05,
  openLoop: {
    1000: { p99Ms: 3, p99OfDurableBare: 2, p999Ms: 10, cpuOfDurableBare: 1.3 },
    2500: { p99Ms: 5, failed: 0 },
  } as Record<number, OpenLoopTargets>,
  peakRssMiB: 200,
  queryP95Ms: 50,
  storageRatio: 0.15,
  lost: 0,
  /** PostgreSQL outage: acknowledged captures missing from, and stored twice in, PostgreSQL after the drain. */
  outageLost: 0,
  outageDuplicated: 0,
};

type Verdict = 'met' | 'MISSED' | 'not measured';

/** One capture target judged: where its verdict goes in the table, and its line in the summary under it. */
export interface TargetVerdict {
  row: 'paired' | 'open-latency' | 'open-answered' | 'open-cpu' | 'peak-rss';
  rate?: number;
  /** Short, for the table's verdict cell: "p99", "of durable bare". */
  label: string;
  /** In full, for the summary: "at 1,000/s: p99 ≤ 2× durable bare's p99". */
  target: string;
  /** The figure judged, with what it came from; empty when not measured. */
  measured: string;
  verdict: Verdict;
}

const judge = (value: number, limit: number, atLeast = false): Verdict =>
  !Number.isFinite(value) ? 'not measured' : (atLeast ? value >= limit : value <= limit) ? 'met' : 'MISSED';
const times = (n: number): string => `${n.toFixed(2)}×`;
const percent = (share: number): string => `${Math.round(share * 100)}%`;

/** The capture targets, each judged on this report's figures (not measured where a run is missing). */
export function captureTargets(report: Report): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const add = (t: Omit<TargetVerdict, 'measured' | 'verdict'>, value: number, limit: number, measured: string, atLeast = false): void => {
    const verdict = judge(value, limit, atLeast);
    out.push({ ...t, measured: verdict === 'not measured' ? '' : measured, verdict });
  };
  const step = (name: string, rate: number): OpenLoopStep | undefined => openLoopSteps(report.capture[name] ?? { target: name }).find((o) => o.rate === rate);

  for (const [rateText, target] of Object.entries(TARGETS.openLoop)) {
    const rate = Number(rateText);
    const at = `at ${int(rate)}/s`;
    const mine = step('logistis', rate);
    const floor = step('durable-bare', rate);
    const p99 = mine?.result.latencyMs.p99 ?? NaN;
    const floorP99 = floor?.result.latencyMs.p99 ?? NaN;
    if (target.p99Ms !== undefined) {
      add({ row: 'open-latency', rate, label: 'p99', target: `${at}: p99 ≤ ${target.p99Ms} ms` }, p99, target.p99Ms, `${ms(p99)} ms`);
    }
    if (target.p99OfDurableBare !== undefined) {
      add({ row: 'open-latency', rate, label: 'p99 against durable bare', target: `${at}: p99 ≤ ${target.p99OfDurableBare}× durable bare's p99` },
        p99 / floorP99, target.p99OfDurableBare, `${times(p99 / floorP99)} (${ms(p99)} / ${ms(floorP99)} ms)`);
    }
    if (target.p999Ms !== undefined) {
      const p999 = mine?.result.latencyMs.p999 ?? NaN;
      add({ row: 'open-latency', rate, label: 'p99.9', target: `${at}: p99.9 ≤ ${target.p999Ms} ms` }, p999, target.p999Ms, `${ms(p999)} ms`);
    }
    if (target.failed !== undefined) {
      const failed = mine?.result.failed ?? NaN;
      add({ row: 'open-answered', rate, label: 'failed', target: `${at}: ${target.failed === 0 ? 'no failures' : `≤ ${target.failed} failed`}` },
        failed, target.failed, `${int(failed)} of ${int(failed + (mine?.result.ok ?? NaN))}`);
    }
    if (target.cpuOfDurableBare !== undefined) {
      const cpu = mine?.cpuMsPerCapture ?? NaN;
      const floorCpu = floor?.cpuMsPerCapture ?? NaN;
      add({ row: 'open-cpu', rate, label: 'against durable bare', target: `${at}: CPU per capture ≤ ${target.cpuOfDurableBare}× durable bare's` },
        cpu / floorCpu, target.cpuOfDurableBare, `${times(cpu / floorCpu)} (${cpuMs(cpu)} / ${cpuMs(floorCpu)} ms)`);
    }
  }

  // Full speed is judged on the paired rounds (servers seconds apart); without them, on the capture phase's runs.
  const haveRounds = (report.paired ?? []).length > 0;
  for (const [baseline, name, limit] of [['durable-bare', 'durable bare', TARGETS.shareOfDurableBare], ['bare', 'bare', TARGETS.shareOfBare]] as const) {
    const target = `full speed: ≥ ${percent(limit)} of ${name}'s requests/s`;
    if (haveRounds) {
      const shares = pairedShares(report.paired, baseline);
      const median = shares.length ? percentiles(shares).p50 : NaN;
      add({ row: 'paired', label: `of ${name}`, target: `${target} (median of the paired rounds)` }, median, limit, `${shares.map(percent).join(' / ')}, median ${percent(median)}`, true);
    } else {
      const share = (report.capture['logistis']?.fullSpeed?.result.requestsPerSec ?? NaN) / (report.capture[baseline]?.fullSpeed?.result.requestsPerSec ?? NaN);
      add({ row: 'paired', label: `of ${name}`, target: `${target} (no paired rounds ran: the capture phase's runs)` }, share, limit, percent(share), true);
    }
  }

  const rss = logistisPeakRss(report) / 2 ** 20;
  add({ row: 'peak-rss', label: 'peak', target: `peak RSS ≤ ${TARGETS.peakRssMiB} MiB` }, rss, TARGETS.peakRssMiB, `${mib(rss * 2 ** 20)} MiB`);
  return out;
}

/** The table's verdict cell for one row: its targets' verdicts, short. */
function verdictCell(verdicts: TargetVerdict[], row: TargetVerdict['row'], rate?: number): string {
  return verdicts.filter((t) => t.row === row && t.rate === rate)
    .map((t) => (t.verdict === 'not measured' ? `${t.label} not measured` : `${t.label} ${t.measured}: ${t.verdict}`)).join('; ');
}

/** The summary under the table: every capture target with its figure and verdict. */
export function renderTargetSummary(verdicts: TargetVerdict[]): string[] {
  if (!verdicts.length) return [];
  const met = verdicts.filter((t) => t.verdict === 'met').length;
  return [
    `Capture targets: ${met} of ${verdicts.length} met`,
    ...verdicts.map((t) => `- ${t.target}: ${t.verdict === 'not measured' ? 'not measured' : `${t.measured}: ${t.verdict}`}`),
  ];
}

const COLUMNS = ['logistis', 'bare', 'durable-bare', 'kube-audit-rest'] as const;

/** logistis' CPU per capture with its split by thread: the request thread, the SQLite writer, V8's helpers, the rest. */
function cpuWithThreads(name: string, m: { cpuMsPerCapture: number; cpuMsPerCaptureByThread?: Record<string, number> }): string {
  const total = cpuMs(m.cpuMsPerCapture);
  const threads = m.cpuMsPerCaptureByThread;
  if (name !== 'logistis' || !threads || !Number.isFinite(m.cpuMsPerCapture)) return total;
  const of = (thread: string) => threads[thread] ?? 0;
  const rest = m.cpuMsPerCapture - of('MainThread') - of('WorkerThread') - of('V8Worker');
  const part = (n: number) => (Number.isFinite(n) ? Math.max(0, n).toFixed(3) : 'n/a');
  return `${total} (request ${part(of('MainThread'))}, writer ${part(of('WorkerThread'))}, V8 helpers ${part(of('V8Worker'))}, rest ${part(rest)})`;
}
const HEADER = ['measurement', 'logistis', 'bare Node (limit)', 'durable bare (floor)', 'kube-audit-rest (peer)', 'target', 'verdict'];

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : 'n/a');
const cpuMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : 'n/a');

function isFailed<T extends object>(value: T | Failed | undefined): value is Failed {
  return value !== undefined && 'error' in value && typeof (value).error === 'string';
}

interface Row {
  cells: string[];
}

function openLoopSteps(c: CaptureResult): OpenLoopStep[] {
  return Array.isArray(c.openLoops) ? c.openLoops : [];
}

/** logistis's peak RSS over the whole run: the capture server and the query server. */
export function logistisPeakRss(report: Report): number {
  const values = [report.capture['logistis']?.peakRssBytes, report.query && !isFailed(report.query) ? report.query.peakRssBytes : undefined]
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return values.length ? Math.max(...values) : NaN;
}

export function renderTable(report: Report): string {
  const footnotes: string[] = [];
  const na = (reason: string): string => {
    let index = footnotes.indexOf(reason);
    if (index < 0) index = footnotes.push(reason) - 1;
    return `n/a [${index + 1}]`;
  };
  const rows: Row[] = [];
  const cap = (name: string): CaptureResult | undefined => report.capture[name];
  const capCell = (name: (typeof COLUMNS)[number], render: (c: CaptureResult) => string | undefined): string => {
    const c = cap(name);
    if (!c) return '—';
    if (c.error) return na(`${name}: ${c.error}`);
    const text = render(c);
    return text ?? '—';
  };
  const fs = (c: CaptureResult) => c.fullSpeed;
  const settings = report.settings.capture;
  const haveCapture = Object.keys(report.capture).length > 0;
  const verdicts = haveCapture ? captureTargets(report) : [];
  /** logistis' CPU per capture as a multiple of each baseline's in one step: for reading, not a target. */
  const cpuRatios = (of: (c: CaptureResult) => number | undefined): string => {
    const value = (name: string): number => {
      const c = cap(name);
      return (c && !c.error ? of(c) : undefined) ?? NaN;
    };
    const mine = value('logistis');
    return [['durable-bare', 'durable bare'], ['bare', 'bare']]
      .filter(([name]) => Number.isFinite(mine / value(name!)))
      .map(([name, text]) => `${times(mine / value(name!))} ${text}'s`).join(', ');
  };

  if (haveCapture) {
    const rate = (name: string): number => cap(name)?.fullSpeed?.result.requestsPerSec ?? NaN;
    const logistis = rate('logistis');
    const haveRounds = (report.paired ?? []).length > 0;
    const shares = [['durable-bare', 'durable bare'], ['bare', 'bare'], ['kube-audit-rest', 'the peer']]
      .filter(([name]) => Number.isFinite(rate(name!)))
      .map(([name, text]) => `${percent(logistis / rate(name!))} of ${text}`);
    rows.push({
      cells: [
        `capture, full speed, ${settings.connections} connections, ${settings.fullSpeedSec} s: requests/s (2xx)`,
        ...COLUMNS.map((n) => capCell(n, (c) => (fs(c) ? int(fs(c)!.result.requestsPerSec) : undefined))),
        haveRounds ? 'shares: judged on the paired rounds' : `≥ ${percent(TARGETS.shareOfDurableBare)} of durable bare, ≥ ${percent(TARGETS.shareOfBare)} of bare`,
        Number.isFinite(logistis) ? [shares.join(', '), haveRounds ? '' : verdictCell(verdicts, 'paired')].filter(Boolean).join('; ') : 'not measured',
      ],
    });
    rows.push({
      cells: [
        'capture, full speed: latency p50 / p99 / p99.9 (ms)',
        ...COLUMNS.map((n) => capCell(n, (c) => (fs(c) ? `${ms(fs(c)!.result.latencyMs.p50)} / ${ms(fs(c)!.result.latencyMs.p99)} / ${ms(fs(c)!.result.latencyMs.p999)}` : undefined))),
        '—', '',
      ],
    });
    rows.push({
      cells: [
        'capture, full speed: server CPU (% of one core) / failed requests',
        ...COLUMNS.map((n) => capCell(n, (c) => (fs(c) ? `${Math.round(fs(c)!.cpuPercent)}% / ${int(fs(c)!.result.non2xx + fs(c)!.result.errors + fs(c)!.result.timeouts)}` : undefined))),
        '—', '',
      ],
    });
    rows.push({
      cells: [
        'capture, full speed: server CPU per capture (ms; logistis by thread)',
        ...COLUMNS.map((n) => capCell(n, (c) => (fs(c) ? cpuWithThreads(n, fs(c)!) : undefined))),
        '—',
        cpuRatios((c) => c.fullSpeed?.cpuMsPerCapture),
      ],
    });
    if (report.paired?.length) {
      const column = (name: string) => report.paired!.map((round) => {
        const run = round[name];
        if (!run) return '—';
        if (isFailed(run)) return na(`paired ${name}: ${run.error}`);
        const others = otherCpuPercent(run, report.cores.server);
        return `${int(run.requestsPerSec)} (${cpuMs(run.cpuMsPerCapture)} ms${others > DISTURBED_PERCENT ? `; other processes ${Math.round(others)}% of its core` : ''})`;
      }).join(' / ');
      // In run order: each round's runs are recorded as they ran.
      const inTurn = [...new Set(report.paired.flatMap((round) => Object.keys(round)))].map((name) => name.replace('-', ' '));
      rows.push({
        cells: [
          `capture, full speed, ${inTurn.join(', ')} in turn on fresh servers (${report.paired.length} round${report.paired.length === 1 ? '' : 's'} of ${settings.pairedSec ?? '?'} s): requests/s (CPU per capture)`,
          ...COLUMNS.map((name) => (name === 'kube-audit-rest' ? '—' : column(name))),
          `≥ ${percent(TARGETS.shareOfDurableBare)} of durable bare, ≥ ${percent(TARGETS.shareOfBare)} of bare (medians)`,
          verdictCell(verdicts, 'paired'),
        ],
      });
    }
    for (const rate of settings.openLoopRates) {
      const target = TARGETS.openLoop[rate] ?? {};
      const step = (c: CaptureResult): OpenLoopStep | undefined => openLoopSteps(c).find((o) => o.rate === rate);
      const unavailable = (c: CaptureResult): string | undefined =>
        c.openLoops && !Array.isArray(c.openLoops) ? na(`open loop: ${c.openLoops.unavailable}`) : undefined;
      const latencyTargets = [
        [
          target.p99Ms !== undefined ? `p99 ≤ ${target.p99Ms} ms` : '',
          target.p99OfDurableBare !== undefined ? `≤ ${target.p99OfDurableBare}× durable bare's` : '',
        ].filter(Boolean).join(' and '),
        target.p999Ms !== undefined ? `p99.9 ≤ ${target.p999Ms} ms` : '',
      ].filter(Boolean);
      rows.push({
        cells: [
          `capture at ${int(rate)}/s open loop, ${settings.openLoopSec} s: latency p50 / p99 / p99.9 (ms)`,
          ...COLUMNS.map((n) => capCell(n, (c) => {
            const o = step(c);
            return unavailable(c) ?? (o ? `${ms(o.result.latencyMs.p50)} / ${ms(o.result.latencyMs.p99)} / ${ms(o.result.latencyMs.p999)}` : undefined);
          })),
          latencyTargets.join(', ') || '—',
          verdictCell(verdicts, 'open-latency', rate),
        ],
      });
      rows.push({
        cells: [
          `capture at ${int(rate)}/s: answered/s, server CPU, failed`,
          ...COLUMNS.map((n) => capCell(n, (c) => {
            const o = step(c);
            return unavailable(c) ?? (o ? `${int(o.result.requestsPerSec)}, ${Math.round(o.cpuPercent)}%, ${int(o.result.failed)}` : undefined);
          })),
          target.failed !== undefined ? (target.failed === 0 ? 'no failures' : `≤ ${target.failed} failed`) : '—',
          verdictCell(verdicts, 'open-answered', rate),
        ],
      });
      rows.push({
        cells: [
          `capture at ${int(rate)}/s: server CPU per capture (ms; logistis by thread)`,
          ...COLUMNS.map((n) => capCell(n, (c) => {
            const o = step(c);
            return unavailable(c) ?? (o ? cpuWithThreads(n, o) : undefined);
          })),
          target.cpuOfDurableBare !== undefined ? `≤ ${target.cpuOfDurableBare}× durable bare's` : '—',
          target.cpuOfDurableBare !== undefined ? verdictCell(verdicts, 'open-cpu', rate) : cpuRatios((c) => step(c)?.cpuMsPerCapture),
        ],
      });
    }
    const queryRss = report.query && !isFailed(report.query) ? report.query.peakRssBytes : NaN;
    rows.push({
      cells: [
        'server peak RSS (MiB, VmHWM): capture phase / query phase',
        ...COLUMNS.map((n) => capCell(n, (c) => {
          if (!c.peakRssBytes) return undefined;
          return n === 'logistis' && Number.isFinite(queryRss) ? `${mib(c.peakRssBytes)} / ${mib(queryRss)}` : mib(c.peakRssBytes);
        })),
        `≤ ${TARGETS.peakRssMiB} MiB`,
        verdictCell(verdicts, 'peak-rss'),
      ],
    });
  }

  const disk = report.diskSync;
  if (disk) {
    const label = `disk: fdatasync after a 16 KiB write in place, ${report.settings.capture.diskSyncSec ?? '?'} s at 1,000/s: p50 / p99 / p99.9 / max (ms); over 10 ms; CPU per sync`;
    rows.push({
      cells: [
        label,
        isFailed(disk) ? na(`disk: ${disk.error}`) : `${ms(disk.p50Ms)} / ${ms(disk.p99Ms)} / ${ms(disk.p999Ms)} / ${ms(disk.maxMs)}; ${int(disk.over10ms)} (${int(disk.stalledMs)} ms); ${cpuMs(disk.cpuMsPerSync ?? NaN)} ms`,
        '—', '—', '—', '—', 'the floor under each durable commit (durable bare syncs once per group; bare and the peer never sync)',
      ],
    });
  }

  const r = report.rules;
  if (r) {
    const label = 'capture rules, µs per review: presets + 5 CEL / presets / none; 5 CEL with / without prefilter';
    if (isFailed(r)) rows.push({ cells: [label, na(`rules: ${r.error}`), '—', '—', '—', `≤ ${TARGETS.rulesShareOfCapture * 100}% of CPU per capture`, 'not measured'] });
    else {
      const perCaptureMs = cap('logistis')?.fullSpeed?.cpuMsPerCapture ?? NaN;
      const share = (r.presetsAndCel - r.noRules) / 1000 / perCaptureMs;
      const us = (value: number): string => value.toFixed(1);
      rows.push({
        cells: [
          label,
          `${us(r.presetsAndCel)} / ${us(r.presetsOnly)} / ${us(r.noRules)}; ${us(r.celWithPrefilter)} / ${us(r.celOnly)}`,
          '—', '—', '—', `≤ ${TARGETS.rulesShareOfCapture * 100}% of CPU per capture`,
          Number.isFinite(share) ? `${(share * 100).toFixed(1)}% of the full-speed CPU per capture: ${share <= TARGETS.rulesShareOfCapture ? 'met' : 'MISSED'}` : 'no full-speed run to compare with',
        ],
      });
    }
  }

  const q = report.query;
  if (q) {
    const events = isFailed(q) ? report.settings.query.events : q.events;
    for (const name of QUERY_NAMES) {
      let cell: string;
      let verdict = 'not measured';
      if (isFailed(q)) cell = na(`query: ${q.error}`);
      else {
        const t = q.queries[name];
        if (!t) cell = '—';
        else if ('unavailable' in t) cell = na(`${name}: ${t.unavailable}`);
        else {
          cell = `${ms(t.p50)} / ${ms(t.p95)}`;
          verdict = t.p95 < TARGETS.queryP95Ms ? 'met' : 'MISSED';
        }
      }
      rows.push({ cells: [`query at ${int(events)} events: ${name} p50 / p95 (ms)`, cell, '—', '—', '—', `p95 < ${TARGETS.queryP95Ms} ms`, verdict] });
    }
  }

  const s = report.storage;
  if (s) {
    if (isFailed(s)) rows.push({ cells: ['storage: bytes on disk per event / raw review bytes per event', na(`storage: ${s.error}`), '—', '—', '—', `≤ ${TARGETS.storageRatio * 100}% of raw`, 'not measured'] });
    else {
      rows.push({
        cells: [
          `storage (${int(s.events)} events): bytes on disk per event / raw review bytes per event`,
          `${int(s.diskBytesPerEvent)} / ${int(s.rawBytesPerEvent)} (${(s.ratio * 100).toFixed(1)}%)`,
          '—', '—', '—', `≤ ${TARGETS.storageRatio * 100}% of raw`, s.ratio <= TARGETS.storageRatio ? 'met' : 'MISSED',
        ],
      });
    }
  }

  const d = report.durability;
  if (d) {
    if (isFailed(d)) rows.push({ cells: ['durability: acknowledged events lost under SIGKILL', na(`durability: ${d.error}`), '—', '—', '—', '0 lost', 'not measured'] });
    else {
      rows.push({
        cells: [
          `durability: acknowledged events lost after ${d.kills} SIGKILLs under load`,
          `${int(d.lost)} of ${int(d.acked)}`,
          '—', '—', '—', '0 lost',
          (d.lost === 0 ? 'met' : 'MISSED') + (d.restartFailures.length ? `; ${d.restartFailures.length} failed restart(s), see details` : ''),
        ],
      });
    }
  }

  const o = report.outage;
  if (o) {
    const os = isFailed(o) ? report.settings.outage : o.settings;
    const label = `PostgreSQL outage of ${os ? int(os.outageSec) : '?'} s at ${os ? int(os.ratePerSec) : '?'}/s: acknowledged / stored after recovery / lost / duplicated; drain (s); p99 during the outage / the drain (ms)`;
    const target = `${TARGETS.outageLost} lost, ${TARGETS.outageDuplicated} duplicated`;
    if (isFailed(o)) rows.push({ cells: [label, na(`outage: ${o.error}`), '—', '—', '—', target, 'not measured'] });
    else {
      const drain = o.drainSec === null ? `not drained in ${int(o.settings.afterSec + o.settings.drainLimitSec)} s` : `${o.drainSec.toFixed(1)} s`;
      // The p99s are for reading beside the plain 1,000/s run, not judged: an outage is allowed to cost latency.
      const capture = openLoopSteps(report.capture['logistis'] ?? { target: 'logistis' }).find((s) => s.rate === o.settings.ratePerSec);
      const beside = [`p99 before the outage ${ms(o.latency.before.p99Ms)} ms`, capture ? `capture at ${int(o.settings.ratePerSec)}/s (SQLite, no outage) ${ms(capture.result.latencyMs.p99)} ms` : ''].filter(Boolean).join(', ');
      rows.push({
        cells: [
          label,
          `${int(o.acknowledged)} / ${int(o.storedDistinct)} / ${int(o.lost)} (metric ${int(o.lostMetric)}) / ${int(o.duplicated)}; ${drain}; ${ms(o.latency.outage.p99Ms)} / ${ms(o.latency.drain.p99Ms)}`,
          '—', '—', '—', target,
          `lost ${int(o.lost)}: ${o.lost <= TARGETS.outageLost && o.lostMetric <= TARGETS.outageLost ? 'met' : 'MISSED'}; duplicated ${int(o.duplicated)}: ${o.duplicated <= TARGETS.outageDuplicated ? 'met' : 'MISSED'}; ${beside}`,
        ],
      });
    }
  }

  const all = [HEADER, ...rows.map((r) => r.cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(HEADER), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map((r) => line(r.cells))];
  if (footnotes.length) {
    out.push('');
    footnotes.forEach((note, i) => out.push(`[${i + 1}] ${note}`));
  }
  const summary = renderTargetSummary(verdicts);
  if (summary.length) out.push('', ...summary);
  return out.join('\n');
}

/** Measurements where other processes took more than 10% of the server's core. */
export function noiseWarnings(report: Report): string[] {
  const core = report.cores.server;
  if (core === undefined) return [];
  const out: string[] = [];
  for (const [name, result] of Object.entries(report.capture)) {
    for (const [label, m] of measuredSteps(result)) {
      const other = otherCpuPercent(m, core);
      if (other > DISTURBED_PERCENT) out.push(`${name} ${label}: ${Math.round(other)}% of core ${core}`);
    }
  }
  const q = report.query;
  if (q && !isFailed(q)) {
    for (const name of QUERY_NAMES) {
      const t = q.queries[name];
      if (t && 'otherCpuPercent' in t && t.otherCpuPercent > 10) out.push(`query ${name}: ${Math.round(t.otherCpuPercent)}% of core ${core}`);
    }
  }
  return out;
}

function measuredSteps(result: CaptureResult): Array<[string, OpenLoopStep | NonNullable<CaptureResult['fullSpeed']>]> {
  const steps: Array<[string, OpenLoopStep | NonNullable<CaptureResult['fullSpeed']>]> = openLoopSteps(result).map((o) => [`open loop ${o.rate}/s`, o]);
  if (result.fullSpeed) steps.push(['full speed', result.fullSpeed]);
  return steps;
}

function toolLine(name: string, tool: ToolResult): string {
  return 'bin' in tool ? `- ${name} ${tool.version}: ${tool.provenance}` : `- ${name}: unavailable (${tool.unavailable})`;
}

function coresText(busy: number[]): string {
  return busy.map((b, i) => `core ${i} ${Math.round(b)}%`).join(', ');
}

export function renderReport(report: Report, table: string, analysis: string): string {
  const m = report.machine;
  const c = report.settings.capture;
  const q = report.settings.query;
  const d = report.settings.durability;
  const lines: string[] = [];
  lines.push(`# Benchmark results${report.smoke ? ' (smoke run: tiny sizes, not for comparison)' : ''}`);
  lines.push('');
  lines.push('Written by `make bench` (`node bench/run.ts`); how to run it and what each number means: [docs/benchmarks.md](../docs/benchmarks.md).');
  lines.push('');
  lines.push('## Run');
  lines.push('');
  lines.push(`- date: ${report.date} to ${report.finished}`);
  lines.push(`- revision: ${report.revision}`);
  lines.push(`- machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB memory, Linux ${m.kernel} (${m.os}), Node.js ${m.node}`);
  lines.push(`- pinning: ${report.pinning}`);
  lines.push(`- load average when the run started: ${report.loadAverage.map((l) => l.toFixed(2)).join(', ')}${report.loadAverage[0]! > 0.5 ? ' (the machine was not idle: other work competes for the cores; see the per-run core use under Details)' : ''}`);
  lines.push(`- review mix (share: bytes, source): ${report.templates.map((t) => `${t.kind} ${report.mixWeights[t.kind]}%: ${t.bytes.toLocaleString('en-US')} B, ${t.source === 'fixture' ? `real fixture ${t.fixtureFile?.replace(/^.*?test\//, 'test/')}` : 'generated'}`).join('; ')}`);
  lines.push(`- capture: warm-up ${c.warmupSec} s at full speed; open loop at ${c.openLoopRates.map((r) => `${r}/s`).join(', then ')}, ${c.openLoopSec} s each (a step that other processes disturbed is run again, up to ${c.retries} times); full speed ${c.connections} connections for ${c.fullSpeedSec} s (closed-loop engine: ${report.settings.engine})`);
  lines.push(`- query: ${q.events.toLocaleString('en-US')} events over ${q.objects.toLocaleString('en-US')} objects in ${q.namespaces} namespaces; ${q.samples} timed requests per query after ${q.warmup} warm-up`);
  lines.push(`- durability: ${d.kills} SIGKILLs, each ${d.minUpMs / 1000}–${d.maxUpMs / 1000} s after the server is up, ${d.clients} concurrent clients`);
  const os = report.settings.outage;
  if (os && report.outage) {
    lines.push(`- outage: logistis on PostgreSQL, a ${os.warmupSec} s warm-up at full speed, then vegeta open loop at ${os.ratePerSec}/s for ${os.beforeSec + os.outageSec + os.afterSec} s; PostgreSQL stopped (fast shutdown) at ${os.beforeSec} s and started at ${os.beforeSec + os.outageSec} s; drained when the store is not behind and the oldest record waiting in the log is under 0.5 s old (polled every 100 ms); PostgreSQL runs on the load core`);
  }
  lines.push('');
  lines.push('Tools, built at bench time into `~/.cache/logistis/bench/` (never committed):');
  lines.push('');
  for (const [name, tool] of Object.entries(report.tools)) lines.push(toolLine(name, tool));
  lines.push('');
  lines.push('Commands (PORT, TMP: chosen per run; every address is 127.0.0.1):');
  lines.push('');
  lines.push('```');
  for (const command of report.commands) lines.push(command);
  lines.push('```');
  lines.push('');
  lines.push('## Numbers');
  lines.push('');
  const noisy = noiseWarnings(report);
  if (noisy.length) {
    lines.push(`**Other processes competed for the cores during this run**, so the numbers named here understate: ${noisy.join('; ')}. Rerun on an idle machine.`);
    lines.push('');
  }
  lines.push(table);
  lines.push('');
  const extra: string[] = [];
  const qr = report.query;
  if (qr && !isFailed(qr)) {
    extra.push(`- query dataset: loaded ${qr.load.cached ? 'from the cache (generated earlier' : '(generated this run'} in ${qr.load.seconds.toFixed(1)} s, ${Math.round(qr.load.eventsPerSec).toLocaleString('en-US')} events/s through the store's append); database ${(qr.dbBytes / 2 ** 20).toFixed(0)} MiB`);
  }
  const st = report.storage;
  if (st && !isFailed(st)) {
    extra.push(`- storage: ${(st.diskBytes / 2 ** 20).toFixed(1)} MiB on disk for ${st.events.toLocaleString('en-US')} events (${Object.entries(st.byKind).map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`).join(', ')})`);
  }
  const du = report.durability;
  if (du && !isFailed(du)) {
    for (const failure of du.restartFailures) extra.push(`- durability: a restart after SIGKILL failed (retried): ${failure}`);
    extra.push(`- durability: ${du.sent.toLocaleString('en-US')} requests sent in ${du.seconds.toFixed(1)} s, ${du.acked.toLocaleString('en-US')} acknowledged, ${du.failed.toLocaleString('en-US')} failed or refused while the server was down, ${du.stored.toLocaleString('en-US')} events stored; lost: ${du.lost}${du.lost ? ` (${du.lostFailOpenLogged} of them logged by the server as allowed without a commit; e.g. ${du.lostSample.slice(0, 3).join(', ')})` : ''}`);
  }
  for (const [name, result] of Object.entries(report.capture)) {
    const f = result.fullSpeed?.result;
    if (f?.firstError) extra.push(`- ${name}, full speed: first failure: ${f.firstError.slice(0, 200)}`);
    if (result.loadBefore) {
      const l = result.loadBefore;
      extra.push(`- ${name}, before its run: load average ${l.loadAverage.map((v) => v.toFixed(2)).join(', ')}; cores busy (all processes) ${coresText(l.coreBusyPercent)}`);
    }
    if (f) extra.push(`- ${name}, full speed: load generator used ${Math.round(f.loadCpuPercent)}% of its core`);
    for (const [label, m] of measuredSteps(result)) {
      if (!m.coreBusyPercent.length) continue;
      extra.push(`- ${name}, ${label}: cores busy (all processes) ${coresText(m.coreBusyPercent)}; the server itself ${Math.round(m.cpuPercent)}%`);
      for (const d of m.disturbedAttempts ?? []) {
        extra.push(`- ${name}, ${label}: an earlier attempt was disturbed and run again (cores busy ${coresText(d.coreBusyPercent)}, the server itself ${Math.round(d.cpuPercent)}%; it measured ${d.summary})`);
      }
    }
  }
  const ou = report.outage;
  if (ou && !isFailed(ou)) {
    const w = ou.latency;
    const window = (name: string, l: typeof w.before): string => `${name} ${int(l.requests)} requests (${int(l.answered)} answered), p50 / p99 / max ${ms(l.p50Ms)} / ${ms(l.p99Ms)} / ${ms(l.maxMs)} ms`;
    extra.push(`- outage: ${int(ou.sent)} requests sent, ${int(ou.acknowledged)} acknowledged, ${int(ou.failed)} failed${ou.firstError ? ` (first: ${ou.firstError.slice(0, 200)})` : ''}; ${int(ou.stored)} rows in PostgreSQL's events table, ${int(ou.storedDistinct)} distinct request uids; PostgreSQL down ${ou.outageSec.toFixed(1)} s; peak backlog ${int(ou.peakBacklogRecords)} records; readiness polls not answered 200: ${int(ou.notReadyAnswers)}; the backlog ${ou.drainSec === null ? 'did not drain' : ou.drainedUnderLoad ? 'drained while the load still ran' : 'drained after the load ended'}; over the open loop the server used ${Math.round(ou.cpuPercent)}% of one core, cores busy (all processes) ${coresText(ou.coreBusyPercent ?? [])}`);
    extra.push(`- outage, by when each request was sent: ${window('before', w.before)}; ${window('during the outage', w.outage)}; ${window('during the drain', w.drain)}`);
    if (ou.resumedSec !== null && ou.resumedSec !== undefined && ou.drainSec !== null) {
      const storing = ou.drainSec - ou.resumedSec;
      extra.push(`- outage, the drain: ${int(ou.backlogAtUp)} records waiting when PostgreSQL was back; the store no longer behind after ${ou.resumedSec.toFixed(1)} s (the indexer's retry pause and first batch; ${int(ou.backlogAtResume)} records waiting then); caught up ${storing.toFixed(1)} s later${storing > 0 ? `: about ${int(ou.backlogAtResume / storing + ou.settings.ratePerSec)} records/s stored while ${int(ou.settings.ratePerSec)}/s kept arriving` : ''}`);
    }
    if (ou.timeline?.length) extra.push(`- outage, p99 (ms) of each second's requests from the open loop's start: ${ou.timeline.map((s) => `${s.second}s ${ms(s.p99Ms)}`).join(', ')}`);
  }
  extra.push(...report.notes.map((n) => `- ${n}`));
  if (extra.length) {
    lines.push('Details:');
    lines.push('');
    lines.push(...extra);
    lines.push('');
  }
  if (analysis.trim()) {
    lines.push('## Analysis');
    lines.push('');
    lines.push('From bench/analysis.md (kept by hand: what limits each number, and why a target is missed).');
    lines.push('');
    lines.push(analysis.trim());
    lines.push('');
  }
  return lines.join('\n');
}
