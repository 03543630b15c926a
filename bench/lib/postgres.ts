// PostgreSQL beside SQLite, at the store: appends at full speed (many concurrent callers, as webhook requests
// are) and at a fixed 1,000/s (latency of each acknowledged append), then queries on a store of N events. Runs
// against the real PostgreSQL of harness/postgres.ts (Debian's postgresql, started on a loopback port).
//
//   node bench/lib/postgres.ts [--smoke]     prints a Markdown table; `bench/run.ts --store postgres` adds it to the report
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import type { EventStore, RetentionPolicy } from '../../src/store/types.ts';
import type { NewChangeEvent } from '../../src/event.ts';
import { startPostgres } from '../../harness/postgres.ts';

export interface StoreBenchSettings {
  fullSpeedEvents: number;
  callers: number;
  openLoopRate: number;
  openLoopSec: number;
  queryEvents: number;
  queryRepeats: number;
}

export const FULL_STORE_BENCH: StoreBenchSettings = { fullSpeedEvents: 100_000, callers: 256, openLoopRate: 1000, openLoopSec: 30, queryEvents: 1_000_000, queryRepeats: 50 };
export const SMOKE_STORE_BENCH: StoreBenchSettings = { fullSpeedEvents: 2000, callers: 64, openLoopRate: 1000, openLoopSec: 2, queryEvents: 20_000, queryRepeats: 5 };

const RETENTION: RetentionPolicy = { maxEventsPerObject: 1_000_000, maxAgeMs: 365 * 86_400_000 };
let sequence = 0;

function syntheticEvent(i: number, timeMs: number): NewChangeEvent {
  const name = `app-${i % 10_000}`;
  return {
    time: new Date(timeMs).toISOString(), requestUid: `bench-${process.pid}-${++sequence}`, operation: 'UPDATE',
    user: { username: `user-${i % 20}`, uid: '', groups: ['system:authenticated', `team-${i % 7}`], extra: {} },
    group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', subresource: '', namespace: `ns-${i % 100}`,
    name, objectUid: `uid-${name}`, fieldManager: 'kubectl',
    patch: [{ op: 'replace', path: '/spec/replicas', value: i % 9 }],
    object: {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: `ns-${i % 100}`, labels: { app: name, tier: 'web' } },
      spec: { replicas: i % 9, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: `registry.example/web:${i % 50}`, ports: [{ containerPort: 8080 }] }] } } },
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function fullSpeed(store: EventStore, settings: StoreBenchSettings): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: settings.callers }, async () => {
    while (next < settings.fullSpeedEvents) await store.append([syntheticEvent(next++, Date.now())]);
  }));
  return settings.fullSpeedEvents / ((performance.now() - started) / 1000);
}

async function openLoop(store: EventStore, settings: StoreBenchSettings): Promise<{ p50: number; p99: number; achieved: number }> {
  const total = settings.openLoopRate * settings.openLoopSec;
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / settings.openLoopRate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolveWait) => setTimeout(resolveWait, wait));
    const sent = performance.now();
    pending.push(store.append([syntheticEvent(i, Date.now())]).then(() => { latencies.push(performance.now() - sent); }));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), achieved: total / seconds };
}

async function queries(store: EventStore, settings: StoreBenchSettings): Promise<Record<string, number>> {
  const now = Date.now();
  for (let loaded = 0; loaded < settings.queryEvents;) {
    const batch = Array.from({ length: Math.min(2000, settings.queryEvents - loaded) }, (_, i) => syntheticEvent(loaded + i, now - (settings.queryEvents - loaded - i) * 1000));
    await store.append(batch);
    loaded += batch.length;
  }
  const timed = async (run: (i: number) => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < settings.queryRepeats; i++) {
      const started = performance.now();
      await run(i);
      times.push(performance.now() - started);
    }
    return percentile(times.sort((a, b) => a - b), 50);
  };
  return {
    'list 100, newest': await timed(() => store.listEvents({}, 100)),
    'list 100, one namespace': await timed((i) => store.listEvents({ namespace: `ns-${i % 100}` }, 100)),
    'list 100, one user group': await timed((i) => store.listEvents({ userGroup: `team-${i % 7}` }, 100)),
    'history of one object': await timed((i) => store.history({ group: 'apps', kind: 'Deployment', namespace: `ns-${(i * 37) % 100}`, name: `app-${(i * 37) % 10_000}` })),
    'overview, 24h': await timed(() => store.overview(now - 86_400_000)),
  };
}

export async function measureStoresBeside(settings: StoreBenchSettings, log: (line: string) => void = () => undefined): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-bench-stores-'));
  const postgres = await startPostgres();
  const results: Record<string, { fullSpeed: number; open: { p50: number; p99: number; achieved: number }; queries: Record<string, number> }> = {};
  try {
    const kinds: [string, (name: string) => Promise<EventStore>][] = [
      ['SQLite', async (name) => SqliteEventStore.open(join(dir, `${name}.db`), RETENTION)],
      ['PostgreSQL', async (name) => PostgresEventStore.open({ url: await postgres.createDatabase(name) }, RETENTION)],
    ];
    for (const [kind, open] of kinds) {
      log(`stores: ${kind}: capture at full speed`);
      const captureStore = await open('capture');
      const speed = await fullSpeed(captureStore, settings);
      log(`stores: ${kind}: ${settings.openLoopRate}/s for ${settings.openLoopSec}s`);
      const open1000 = await openLoop(captureStore, settings);
      await captureStore.close();
      log(`stores: ${kind}: queries at ${settings.queryEvents} events`);
      const queryStore = await open('query');
      const timings = await queries(queryStore, settings);
      await queryStore.close();
      results[kind] = { fullSpeed: speed, open: open1000, queries: timings };
    }
  } finally {
    await postgres.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const kinds = Object.keys(results);
  const row = (label: string, value: (kind: string) => string) => `| ${label} | ${kinds.map(value).join(' | ')} |`;
  const lines = [
    `Stores beside each other (store level, no HTTP; ${settings.callers} concurrent callers; queries at ${settings.queryEvents.toLocaleString('en')} events, median of ${settings.queryRepeats}):`,
    '',
    `| | ${kinds.join(' | ')} |`,
    `|---|${kinds.map(() => '---').join('|')}|`,
    row('capture at full speed (events/s)', (kind) => results[kind]!.fullSpeed.toFixed(0)),
    row(`${settings.openLoopRate}/s: append p50 / p99 (ms)`, (kind) => `${results[kind]!.open.p50.toFixed(1)} / ${results[kind]!.open.p99.toFixed(1)}`),
    ...Object.keys(results[kinds[0]!]!.queries).map((query) => row(`${query} (ms)`, (kind) => results[kind]!.queries[query]!.toFixed(1))),
  ];
  return lines.join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false } } });
  process.stdout.write(`${await measureStoresBeside(values.smoke ? SMOKE_STORE_BENCH : FULL_STORE_BENCH, (line) => process.stderr.write(`${line}\n`))}\n`);
  process.exit(0);
}
