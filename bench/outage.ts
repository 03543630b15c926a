// A PostgreSQL outage under load: logistis on a real PostgreSQL (harness/postgres.ts) takes an open loop at
// 1,000/s while the database is stopped (fast shutdown) for 10 s and started again. The commit log keeps answering;
// afterwards every acknowledged capture must be in PostgreSQL once. Measures what was acknowledged, what was stored
// (counted in PostgreSQL itself), lost and duplicated, how long the backlog took to drain once PostgreSQL was back,
// and the p99 of the requests sent before, during the outage and during the drain (vegeta's per-request results).
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../harness/postgres.ts';
import { HttpsClient } from './lib/https-client.ts';
import { percentiles } from './lib/stats.ts';
import { CoreMeter, CpuMeter, sleep } from './lib/proc.ts';
import { startLogistis, type BenchEnv } from './lib/targets.ts';
import { attack, writeTargets } from './load/open-loop.ts';
import { closedLoop, nextUidPrefix } from './capture.ts';

export interface OutageSettings {
  /** Closed-loop warm-up before the open loop (JIT, connections), as the capture phase has; its events are not counted. */
  warmupSec: number;
  ratePerSec: number;
  /** Load before PostgreSQL is stopped. */
  beforeSec: number;
  /** From the stop of PostgreSQL to its start. */
  outageSec: number;
  /** Load after PostgreSQL is started again (the attack lasts beforeSec + outageSec + afterSec). */
  afterSec: number;
  /** How long to keep waiting for the backlog to drain after the load ended. */
  drainLimitSec: number;
}

export const FULL_OUTAGE: OutageSettings = { warmupSec: 3, ratePerSec: 1000, beforeSec: 5, outageSec: 10, afterSec: 15, drainLimitSec: 120 };
export const SMOKE_OUTAGE: OutageSettings = { warmupSec: 0.5, ratePerSec: 1000, beforeSec: 1, outageSec: 2, afterSec: 3, drainLimitSec: 30 };

/** The backlog counts as drained once the store is not behind and its oldest waiting record is younger than this. */
export const CAUGHT_UP_SECONDS = 0.5;

interface WindowLatency {
  requests: number;
  answered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface OutageResult {
  settings: OutageSettings;
  sent: number;
  /** Requests answered 2xx (vegeta). */
  acknowledged: number;
  failed: number;
  firstError?: string;
  /** Rows of the open loop's requests (by their uid prefix) in PostgreSQL's events table after the drain, and distinct request uids among them. */
  stored: number;
  storedDistinct: number;
  /** Acknowledged minus distinct stored (never below 0); and the server's own logistis_events_lost_total. */
  lost: number;
  lostMetric: number;
  duplicated: number;
  /** Seconds PostgreSQL was down as measured (stop called to accepting connections again). */
  outageSec: number;
  /** From PostgreSQL accepting connections to the backlog drained; null when it did not within the limit. */
  drainSec: number | null;
  /** Whether the load was still running when the backlog drained (it drained against live traffic). */
  drainedUnderLoad: boolean;
  /** From PostgreSQL up to the first poll that no longer saw the store behind (the indexer's retry pause, then its first batch). */
  resumedSec: number | null;
  /** Records waiting in the log when PostgreSQL was up again, and at the first poll that saw the store no longer behind. */
  backlogAtUp: number;
  backlogAtResume: number;
  peakBacklogRecords: number;
  /** Readiness polls (every 100 ms, the whole run) not answered 200: the log should keep the server ready throughout. */
  notReadyAnswers: number;
  latency: { before: WindowLatency; outage: WindowLatency; drain: WindowLatency };
  /** Each second of the open loop (from its start): requests sent in it and their p99 (ms), to see when latency rose. */
  timeline: Array<{ second: number; requests: number; p99Ms: number }>;
  /** The server's CPU over the open loop (% of one core), and each core's business (all processes): others' work shows. */
  cpuPercent: number;
  coreBusyPercent: number[];
}

interface Health {
  backlogRecords: number;
  oldestRecordSeconds: number;
  storeBehind?: string;
}

interface Hit {
  t: number;
  ok: boolean;
  ms: number;
}

function windowLatency(hits: Hit[], from: number, to: number): WindowLatency {
  const inside = hits.filter((hit) => hit.t >= from && hit.t < to);
  const answered = inside.filter((hit) => hit.ok).map((hit) => hit.ms);
  const p = percentiles(answered);
  return { requests: inside.length, answered: answered.length, p50Ms: p.p50, p99Ms: p.p99, maxMs: p.max };
}

async function readHits(jsonFile: string): Promise<Hit[]> {
  const hits: Hit[] = [];
  for await (const line of createInterface({ input: createReadStream(jsonFile), crlfDelay: Infinity })) {
    if (!line) continue;
    const hit = JSON.parse(line) as { code: number; latency: number; timestamp: string };
    hits.push({ t: Date.parse(hit.timestamp), ok: hit.code >= 200 && hit.code < 300, ms: hit.latency / 1e6 });
  }
  return hits;
}

async function lostTotal(client: HttpsClient): Promise<number> {
  const text = (await client.send('GET', '/metrics')).body;
  let total = 0;
  for (const match of text.matchAll(/^logistis_events_lost_total\{[^}]*\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

export async function measureOutage(env: BenchEnv, settings: OutageSettings, vegeta: string): Promise<OutageResult> {
  const dir = join(env.tmp, 'outage');
  mkdirSync(dir, { recursive: true });
  const postgres = await startPostgres();
  try {
    const url = await postgres.createDatabase('outage');
    const target = await startLogistis(env, url, {
      name: 'logistis-outage',
      extraArgs: ['--log-dir', join(dir, 'commit-log'), '--redaction-key-file', join(dir, 'redaction.key')],
    });
    const client = new HttpsClient(target.url, readFileSync(env.cert.cert), 2);
    // Ends the readiness polls however the run ends.
    let polling = true;
    const health = async (): Promise<{ httpStatus: number; log?: Health }> => {
      const res = await client.send('GET', '/readyz', undefined, 2000);
      return { ...(JSON.parse(res.body) as { log?: Health }), httpStatus: res.status };
    };
    try {
      const durationSec = settings.beforeSec + settings.outageSec + settings.afterSec;
      const targetsFile = join(dir, 'targets.jsonl');
      const resultsFile = join(dir, 'vegeta.bin');
      const uidPrefix = nextUidPrefix();
      await writeTargets(targetsFile, target.url + target.capturePath, Math.ceil(settings.ratePerSec * durationSec * 1.02) + 10, uidPrefix);
      env.log(`outage: warm-up ${settings.warmupSec}s`);
      await closedLoop(env, target, settings.warmupSec, 64);
      // The warm-up's own backlog stored first: its drain would otherwise slow the requests before the outage.
      const warmDeadline = Date.now() + settings.drainLimitSec * 1000;
      while (Date.now() < warmDeadline && (await health().catch(() => undefined))?.log?.backlogRecords !== 0) await sleep(100);
      const meter = new CpuMeter(target.server.pid);
      const cores = new CoreMeter();
      let cpu: ReturnType<CpuMeter['stop']> | undefined;
      let coreBusyPercent: number[] = [];

      let attackStart = 0;
      let attackOver = false;
      const load = attack({
        vegeta, targetsFile, resultsFile, ratePerSec: settings.ratePerSec, durationSec, caFile: env.cert.cert, cpu: env.loadCpu,
        onStart: () => {
          attackStart = Date.now();
          meter.start();
          cores.start();
        },
        onEnd: () => {
          attackOver = true;
          cpu = meter.stop();
          coreBusyPercent = cores.stop();
        },
      }).finally(() => (attackOver = true));
      // Awaited below; this only keeps a failure elsewhere from leaving it an unhandled rejection.
      load.catch(() => undefined);

      let peakBacklogRecords = 0;
      let notReadyAnswers = 0;
      // Readiness every 100 ms through the whole run: the peak backlog, and whether the server stayed ready.
      let last: Health | undefined;
      const poller = (async () => {
        while (polling) {
          try {
            const h = await health();
            if (h.httpStatus !== 200) notReadyAnswers++;
            if (h.log) {
              last = h.log;
              peakBacklogRecords = Math.max(peakBacklogRecords, h.log.backlogRecords);
            }
          } catch {
            notReadyAnswers++;
          }
          await sleep(100);
        }
      })();

      const at = (sec: number) => sleep(Math.max(0, attackStart + sec * 1000 - Date.now()));
      await at(settings.beforeSec);
      env.log(`outage: stopping PostgreSQL (fast shutdown) for ${settings.outageSec}s under ${settings.ratePerSec}/s`);
      const downAt = Date.now();
      await postgres.stop();
      await at(settings.beforeSec + settings.outageSec);
      await postgres.start();
      const upAt = Date.now();
      env.log(`outage: PostgreSQL back after ${((upAt - downAt) / 1000).toFixed(1)}s (backlog ${last?.backlogRecords ?? '?'} records); waiting for the drain`);

      // The drain: from PostgreSQL accepting connections to the store caught up with the log.
      let drainedAt: number | undefined;
      let drainedUnderLoad = false;
      const drainDeadline = upAt + (settings.afterSec + settings.drainLimitSec) * 1000;
      // The indexer retries with a growing pause (up to 1 s), so the first batch after the outage may wait: the
      // first poll without storeBehind splits the drain into that wait and the storing itself.
      let resumedAt: number | undefined;
      let backlogAtResume = 0;
      let backlogAtUp: number | undefined;
      while (Date.now() < drainDeadline) {
        const h = await health().catch(() => undefined);
        if (h?.log) backlogAtUp ??= h.log.backlogRecords;
        if (h?.log && resumedAt === undefined && !h.log.storeBehind) {
          resumedAt = Date.now();
          backlogAtResume = h.log.backlogRecords;
        }
        if (h?.log && !h.log.storeBehind && (h.log.backlogRecords === 0 || h.log.oldestRecordSeconds < CAUGHT_UP_SECONDS)) {
          drainedAt = Date.now();
          drainedUnderLoad = !attackOver;
          break;
        }
        await sleep(100);
      }
      env.log(drainedAt ? `outage: drained ${((drainedAt - upAt) / 1000).toFixed(1)}s after PostgreSQL was back` : 'outage: the backlog did not drain within the limit');
      const summary = await load;
      // Everything the load left in the log stored before counting (bounded).
      const settleDeadline = Date.now() + settings.drainLimitSec * 1000;
      while (Date.now() < settleDeadline && (await health().catch(() => undefined))?.log?.backlogRecords !== 0) await sleep(100);
      polling = false;
      await poller;

      const db = new pg.Client({ connectionString: url });
      await db.connect();
      let stored: number;
      let storedDistinct: number;
      try {
        const row = (await db.query<{ total: string; distinct_uids: string }>(
          'SELECT count(*) AS total, count(DISTINCT request_uid) AS distinct_uids FROM events WHERE request_uid LIKE $1', [`${uidPrefix}-%`])).rows[0]!;
        stored = Number(row.total);
        storedDistinct = Number(row.distinct_uids);
      } finally {
        await db.end();
      }
      const lostMetric = await lostTotal(client);
      const hits = await readHits(resultsFile + '.jsonl');
      const end = drainedAt ?? Infinity;
      rmSync(targetsFile, { force: true });
      rmSync(resultsFile, { force: true });
      rmSync(resultsFile + '.jsonl', { force: true });
      return {
        settings,
        sent: summary.sent,
        acknowledged: summary.ok,
        failed: summary.failed,
        ...(summary.firstError ? { firstError: summary.firstError } : {}),
        stored,
        storedDistinct,
        lost: Math.max(0, summary.ok - storedDistinct),
        lostMetric,
        duplicated: stored - storedDistinct,
        outageSec: (upAt - downAt) / 1000,
        drainSec: drainedAt === undefined ? null : (drainedAt - upAt) / 1000,
        drainedUnderLoad,
        resumedSec: resumedAt === undefined ? null : (resumedAt - upAt) / 1000,
        backlogAtUp: backlogAtUp ?? NaN,
        backlogAtResume,
        peakBacklogRecords,
        notReadyAnswers,
        latency: {
          before: windowLatency(hits, attackStart, downAt),
          outage: windowLatency(hits, downAt, upAt),
          drain: windowLatency(hits, upAt, end),
        },
        timeline: Array.from({ length: durationSec }, (_, second) => {
          const w = windowLatency(hits, attackStart + second * 1000, attackStart + (second + 1) * 1000);
          return { second, requests: w.requests, p99Ms: w.p99Ms };
        }),
        cpuPercent: cpu?.cpuPercent ?? NaN,
        coreBusyPercent,
      };
    } finally {
      polling = false;
      client.close();
      await target.server.stop();
    }
  } finally {
    await postgres.destroy();
  }
}
