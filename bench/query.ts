// Query speed at scale: a store holding N events (1,000,000 in the full run) over 10,000 objects in 100 namespaces,
// loaded through the store module (src/store), then served by `logistis serve` and queried over HTTPS: overview,
// a namespace page, an object's history and per-field blame, p50 and p95 of each.
//
// The loaded database is cached in ~/.cache/logistis/bench/query-db/<key>/, where the key hashes this generator's
// version, the dataset size and the built store (dist/store, dist/event.js) the run loads with: any change to the
// store's code or schema makes a new key, so a cached file is only reused with the exact code that wrote it. A cache entry older than
// 7 days is rebuilt (its events would age out of the overview window and towards --max-age).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { prng } from './fixtures.ts';
import { HttpsClient } from './lib/https-client.ts';
import { percentiles } from './lib/stats.ts';
import { startLogistis, type BenchEnv } from './lib/targets.ts';
import { CoreMeter, CpuMeter, peakRssBytes } from './lib/proc.ts';
import { BENCH_CACHE } from './lib/tools.ts';
import type { NewChangeEvent, PatchOperation, JsonObject } from '../src/event.ts';

const GENERATOR_VERSION = 4;
const CACHE_MAX_AGE_MS = 7 * 86_400_000;
const SPAN_MS = 23 * 3_600_000;

export interface QuerySettings {
  events: number;
  objects: number;
  namespaces: number;
  samples: number;
  warmup: number;
  cache: boolean;
}

export const FULL_QUERY: QuerySettings = { events: 1_000_000, objects: 10_000, namespaces: 100, samples: 200, warmup: 20, cache: true };
export const SMOKE_QUERY: QuerySettings = { events: 10_000, objects: 1_000, namespaces: 100, samples: 20, warmup: 3, cache: false };

export type QueryName = 'overview' | 'namespace page' | 'object history' | 'field blame';
export const QUERY_NAMES: QueryName[] = ['overview', 'namespace page', 'object history', 'field blame'];

export interface QueryTiming {
  count: number;
  p50: number;
  p95: number;
  max: number;
  /** Response bytes of the last answer, to show what was fetched. */
  bytes: number;
  /** Share of the server's core other processes used while this query was timed. */
  otherCpuPercent: number;
}

export interface QueryResult {
  events: number;
  objects: number;
  namespaces: number;
  load: { seconds: number; eventsPerSec: number; cached: boolean; cacheDir?: string };
  dbBytes: number;
  queries: Record<QueryName, QueryTiming | { unavailable: string }>;
  /** The query server's peak RSS (VmHWM) over the whole query phase. */
  peakRssBytes: number;
}

interface MinimalStore {
  append(events: NewChangeEvent[]): Promise<void>;
  close(): Promise<void>;
}
type OpenStore = (spec: string, retention: { maxEventsPerObject: number; maxAgeMs: number }) => Promise<MinimalStore>;

// ---------------------------------------------------------------------------------------------------------------
// The dataset: rounds of one change to every object, oldest first. Round 0 creates each object.

const KINDS = [
  { kind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', prefix: 'api' },
  { kind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', prefix: 'worker' },
  { kind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', prefix: 'web' },
  { kind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', prefix: 'cron' },
  { kind: 'ConfigMap', group: '', version: 'v1', resource: 'configmaps', prefix: 'settings' },
  { kind: 'ConfigMap', group: '', version: 'v1', resource: 'configmaps', prefix: 'features' },
  { kind: 'ConfigMap', group: '', version: 'v1', resource: 'configmaps', prefix: 'routes' },
  { kind: 'Secret', group: '', version: 'v1', resource: 'secrets', prefix: 'credentials' },
  { kind: 'Service', group: '', version: 'v1', resource: 'services', prefix: 'svc' },
  { kind: 'Service', group: '', version: 'v1', resource: 'services', prefix: 'internal' },
] as const;

const USERS = Array.from({ length: 20 }, (_, i) =>
  i < 12
    ? { username: `user${i}@example.com`, uid: `u-${i}`, groups: ['developers', 'system:authenticated'], extra: {} }
    : { username: `system:serviceaccount:ci:deployer-${i}`, uid: `sa-${i}`, groups: ['system:serviceaccounts', 'system:authenticated'], extra: {} },
);

export interface ObjectRef {
  namespace: string;
  group: string;
  kind: string;
  name: string;
}

export function objectRef(o: number, namespaces: number): ObjectRef {
  const k = KINDS[o % KINDS.length]!;
  return { namespace: namespaceName(o % namespaces), group: k.group, kind: k.kind, name: `${k.prefix}-${Math.floor(o / namespaces)}` };
}

export function namespaceName(n: number): string {
  return `ns-${n.toString().padStart(3, '0')}`;
}

function hexId(a: number, b: number): string {
  const h = (a.toString(16).padStart(8, '0') + b.toString(16).padStart(12, '0')).slice(-20);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(0, 12)}`;
}

function objectAt(o: number, r: number, ref: ObjectRef, uid: string): JsonObject {
  const labels = { app: ref.name, team: `team-${o % 17}`, 'app.kubernetes.io/part-of': ref.namespace };
  const metadata = { name: ref.name, namespace: ref.namespace, uid, labels, annotations: { 'example.com/owner': `team-${o % 17}@example.com`, 'example.com/revision': String(r) } };
  switch (ref.kind) {
    case 'Deployment':
      return {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata,
        spec: {
          replicas: 2 + (Math.floor(r / 7) % 3),
          selector: { matchLabels: { app: ref.name } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
          template: {
            metadata: { labels: { app: ref.name } },
            spec: {
              containers: [{
                name: 'app', image: `registry.example.com/${ref.namespace}/${ref.name}:v1.${r}.0`,
                env: [{ name: 'LOG_LEVEL', value: Math.floor(r / 5) % 2 ? 'debug' : 'info' }, { name: 'REGION', value: 'eu-west-1' }],
                ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: `${512 + 128 * (Math.floor(r / 11) % 2)}Mi` } },
              }],
              serviceAccountName: ref.name,
            },
          },
        },
      };
    case 'ConfigMap':
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'app.yaml': `server:\n  port: 8080\nrevision: ${r}\nfeatures:\n  ledger: ${r % 2 === 0}\n`, LOG_FORMAT: 'json' } };
    case 'Secret':
      return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata, data: { password: `redacted:hmac-sha256:${createHash('sha256').update(`${o}:${r}`).digest('hex').slice(0, 32)}`, username: 'redacted:hmac-sha256:5e884898da28047151d0e56f8dc62927' } };
    default:
      return { apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'ClusterIP', selector: { app: ref.name }, ports: [{ name: 'http', port: 80, targetPort: 8080 + (r % 3), protocol: 'TCP' }] } };
  }
}

function patchFor(r: number, ref: ObjectRef, object: JsonObject): PatchOperation[] {
  if (r === 0) return Object.keys(object).map((key) => ({ op: 'add', path: `/${key}`, value: object[key] }));
  const ops: PatchOperation[] = [{ op: 'replace', path: '/metadata/annotations/example.com~1revision', value: String(r) }];
  const spec = object['spec'] as JsonObject | undefined;
  switch (ref.kind) {
    case 'Deployment': {
      const template = (spec!['template'] as JsonObject)['spec'] as { containers: Array<{ image: string; env: Array<{ value: string }>; resources: { limits: { memory: string } } }> };
      const c = template.containers[0]!;
      ops.push({ op: 'replace', path: '/spec/template/spec/containers/0/image', value: c.image });
      if (r % 7 === 0) ops.push({ op: 'replace', path: '/spec/replicas', value: spec!['replicas'] });
      if (r % 5 === 0) ops.push({ op: 'replace', path: '/spec/template/spec/containers/0/env/0/value', value: c.env[0]!.value });
      if (r % 11 === 0) ops.push({ op: 'replace', path: '/spec/template/spec/containers/0/resources/limits/memory', value: c.resources.limits.memory });
      break;
    }
    case 'ConfigMap':
      ops.push({ op: 'replace', path: '/data/app.yaml', value: (object['data'] as JsonObject)['app.yaml'] });
      break;
    case 'Secret':
      ops.push({ op: 'replace', path: '/data/password', value: (object['data'] as JsonObject)['password'] });
      break;
    default:
      if (r % 3 !== (r - 1) % 3) ops.push({ op: 'replace', path: '/spec/ports/0/targetPort', value: 8080 + (r % 3) });
  }
  return ops;
}

export function* generateEvents(settings: Pick<QuerySettings, 'events' | 'objects' | 'namespaces'>, startMs: number): Generator<NewChangeEvent> {
  const rounds = Math.ceil(settings.events / settings.objects);
  let produced = 0;
  for (let r = 0; r < rounds; r++) {
    for (let o = 0; o < settings.objects && produced < settings.events; o++, produced++) {
      const ref = objectRef(o, settings.namespaces);
      const k = KINDS[o % KINDS.length]!;
      const objUid = hexId(0xb0b, o);
      const object = objectAt(o, r, ref, objUid);
      const user = USERS[(o * 7 + r) % USERS.length]!;
      yield {
        time: new Date(startMs + Math.floor((produced / settings.events) * SPAN_MS)).toISOString(),
        // One uid per admission request: the store keeps a retried request uid once.
        requestUid: `req-${r}-${o}`,
        operation: r === 0 ? 'CREATE' : 'UPDATE',
        user,
        group: k.group, version: k.version, kind: k.kind, resource: k.resource, subresource: '',
        namespace: ref.namespace, name: ref.name, objectUid: objUid,
        fieldManager: user.username.startsWith('system:') ? 'argocd-controller' : 'kubectl-client-side-apply',
        patch: patchFor(r, ref, object),
        object,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (entry.endsWith('.js')) out.push(path);
  }
  return out;
}

function cacheKey(root: string, settings: QuerySettings): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ GENERATOR_VERSION, events: settings.events, objects: settings.objects, namespaces: settings.namespaces }));
  for (const file of [...sourceFiles(join(root, 'dist', 'store')), join(root, 'dist', 'event.js')]) {
    if (!existsSync(file)) continue;
    hash.update(relative(root, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

interface CacheMeta {
  createdMs: number;
  startMs: number;
  loadSeconds: number;
  events: number;
}

async function loadStore(env: BenchEnv, settings: QuerySettings, dbPath: string, startMs: number): Promise<number> {
  const storeModule = join(env.appRoot, 'dist', 'store', 'index.js');
  if (!existsSync(storeModule)) throw new Error(`${storeModule} is missing`);
  const { openEventStore } = (await import(pathToFileURL(storeModule).href)) as { openEventStore: OpenStore };
  const store = await openEventStore(`sqlite:${dbPath}`, { maxEventsPerObject: 1_000_000, maxAgeMs: 365 * 86_400_000 });
  const t0 = performance.now();
  const BATCH = 2000;
  const MAX_IN_FLIGHT = 4;
  const inFlight = new Set<Promise<void>>();
  let batch: NewChangeEvent[] = [];
  let loaded = 0;
  let nextReport = 100_000;
  const flush = async (): Promise<void> => {
    const p = store.append(batch).then(() => {
      inFlight.delete(p);
    });
    inFlight.add(p);
    loaded += batch.length;
    batch = [];
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    if (loaded >= nextReport) {
      env.log(`query: loaded ${loaded} events (${Math.round(loaded / ((performance.now() - t0) / 1000))}/s)`);
      nextReport += 100_000;
    }
  };
  for (const event of generateEvents(settings, startMs)) {
    batch.push(event);
    if (batch.length === BATCH) await flush();
  }
  if (batch.length) await flush();
  await Promise.all(inFlight);
  await store.close();
  return (performance.now() - t0) / 1000;
}

/** Returns the path of a database holding the dataset, copied into this run's temp dir. */
async function prepareDatabase(env: BenchEnv, settings: QuerySettings): Promise<{ dbPath: string; meta: CacheMeta; cached: boolean; cacheDir?: string }> {
  const dbDir = join(env.tmp, 'query');
  mkdirSync(dbDir, { recursive: true });
  const dbPath = join(dbDir, 'events.db');
  if (!settings.cache) {
    const startMs = Date.now() - SPAN_MS - 60_000;
    const loadSeconds = await loadStore(env, settings, dbPath, startMs);
    return { dbPath, meta: { createdMs: Date.now(), startMs, loadSeconds, events: settings.events }, cached: false };
  }
  const cacheRoot = join(BENCH_CACHE, 'query-db');
  const key = cacheKey(env.appRoot, settings);
  const cacheDir = join(cacheRoot, key);
  const metaFile = join(cacheDir, 'meta.json');
  let meta: CacheMeta | undefined;
  if (existsSync(metaFile)) {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as CacheMeta;
    if (Date.now() - meta.createdMs > CACHE_MAX_AGE_MS) meta = undefined;
  }
  let cached = true;
  if (!meta) {
    cached = false;
    env.log(`query: generating ${settings.events} events into the cache ${cacheDir}`);
    // Other keys are stale (the store's code changed): keep one dataset on disk.
    if (existsSync(cacheRoot)) for (const entry of readdirSync(cacheRoot)) rmSync(join(cacheRoot, entry), { recursive: true, force: true });
    const building = join(cacheRoot, `${key}.building-${process.pid}`);
    mkdirSync(building, { recursive: true });
    const startMs = Date.now() - SPAN_MS - 60_000;
    const loadSeconds = await loadStore(env, settings, join(building, 'events.db'), startMs);
    meta = { createdMs: Date.now(), startMs, loadSeconds, events: settings.events };
    writeFileSync(join(building, 'meta.json'), JSON.stringify(meta));
    renameSync(building, cacheDir);
  } else {
    env.log(`query: reusing the cached dataset ${cacheDir}`);
  }
  for (const file of readdirSync(cacheDir)) {
    if (file.startsWith('events.db')) copyFileSync(join(cacheDir, file), join(dbDir, file));
  }
  return { dbPath, meta, cached, cacheDir };
}

function fileBytes(dbPath: string): number {
  let total = 0;
  for (const suffix of ['', '-wal']) if (existsSync(dbPath + suffix)) total += statSync(dbPath + suffix).size;
  return total;
}

export async function measureQueries(env: BenchEnv, settings: QuerySettings): Promise<QueryResult> {
  const { dbPath, meta, cached, cacheDir } = await prepareDatabase(env, settings);
  const dbBytes = fileBytes(dbPath);
  const target = await startLogistis(env, dbPath, { name: 'logistis-query' });
  const client = new HttpsClient(target.url, readFileSync(env.cert.cert), 1);
  const rand = prng(42);
  const pick = (n: number): number => Math.floor(rand() * n);
  const since = encodeURIComponent(new Date(meta.startMs - 60_000).toISOString());
  const objectQuery = (): string => {
    const ref = objectRef(pick(Math.min(settings.objects, settings.events)), settings.namespaces);
    return `namespace=${ref.namespace}&group=${ref.group}&kind=${ref.kind}&name=${ref.name}`;
  };
  const paths: Record<QueryName, () => string> = {
    // The dataset spans the last 23 h when fresh; `since` names its start so a cached copy covers the same events.
    overview: () => `/api/v1/overview?since=${since}`,
    'namespace page': () => `/api/v1/events?namespace=${namespaceName(pick(settings.namespaces))}&limit=100`,
    'object history': () => `/api/v1/history?${objectQuery()}`,
    'field blame': () => `/api/v1/blame?${objectQuery()}`,
  };
  const queries = {} as QueryResult['queries'];
  let peakRss = NaN;
  try {
    for (const name of QUERY_NAMES) {
      const first = await client.send('GET', paths[name]());
      if (first.status === 404 && /route|not found/i.test(first.body) && name === 'field blame') {
        queries[name] = { unavailable: `GET /api/v1/blame answered 404 (${first.body.slice(0, 120)})` };
        continue;
      }
      if (first.status !== 200) {
        queries[name] = { unavailable: `answered ${first.status}: ${first.body.slice(0, 200)}` };
        continue;
      }
      for (let i = 0; i < settings.warmup; i++) await client.send('GET', paths[name]());
      const times: number[] = [];
      let bytes = 0;
      const serverCpu = new CpuMeter(target.server.pid);
      const cores = new CoreMeter();
      serverCpu.start();
      cores.start();
      for (let i = 0; i < settings.samples; i++) {
        const path = paths[name]();
        const t0 = performance.now();
        const res = await client.send('GET', path);
        times.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 200)}`);
        bytes = res.body.length;
      }
      const busy = cores.stop()[env.serverCpu ?? 0] ?? NaN;
      const own = serverCpu.stop().cpuPercent;
      const p = percentiles(times);
      queries[name] = { count: p.count, p50: p.p50, p95: p.p95, max: p.max, bytes, otherCpuPercent: env.serverCpu === undefined ? NaN : Math.max(0, busy - own) };
    }
    peakRss = peakRssBytes(target.server.pid);
  } finally {
    client.close();
    await target.server.stop();
  }
  const result: QueryResult = {
    events: settings.events,
    objects: settings.objects,
    namespaces: settings.namespaces,
    load: { seconds: meta.loadSeconds, eventsPerSec: settings.events / meta.loadSeconds, cached },
    dbBytes,
    queries,
    peakRssBytes: peakRss,
  };
  if (cacheDir) result.load.cacheDir = cacheDir;
  return result;
}
