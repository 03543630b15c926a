// Peak memory of concurrent heavy reads: a SQLite store holds one ConfigMap of KEYS keys changed VERSIONS times
// (every value each time), and READS clients ask for its whole JSON history at once, following continue tokens
// when the server pages (from the header: the clients keep no body, so what is measured is the server's).
// Prints the process's resident set before and at its peak (reader threads included).
// Run: node_modules/.bin/node bench/read-memory.ts [keys=6000] [versions=100] [reads=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULT_NORMALISE_OPTIONS } from '../src/admission/normalise.ts';
import type { JsonObject, NewChangeEvent } from '../src/event.ts';
import { computePatch } from '../src/history/patch.ts';
import { buildApp } from '../src/server/app.ts';
import { createMetrics } from '../src/server/metrics.ts';
import { SqliteEventStore } from '../src/store/sqlite/sqlite-store.ts';

const [keys, versions, reads] = [6000, 100, 3].map((fallback, i) => Number(process.argv[2 + i] ?? fallback)) as [number, number, number];
const MiB = 2 ** 20;

function configMap(version: number): JsonObject {
  const data: Record<string, string> = {};
  for (let k = 0; k < keys; k++) data[`key-${k}`] = `value-${k}-version-${version}`;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wide', namespace: 'bench' }, data };
}

const dir = mkdtempSync(join(tmpdir(), 'logistis-read-memory-'));
const store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: versions, maxAgeMs: 30 * 86_400_000 });
let previous: JsonObject | undefined;
for (let v = 0; v < versions; v++) {
  const object = configMap(v);
  const event: NewChangeEvent = {
    time: new Date(Date.now() - (versions - v) * 1000).toISOString(), requestUid: `bench-${v}`, operation: previous ? 'UPDATE' : 'CREATE',
    user: { username: 'bench', uid: '', groups: [], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
    subresource: '', namespace: 'bench', name: 'wide', objectUid: 'wide', fieldManager: '', patch: previous ? computePatch(previous, object) : [], object,
  };
  await store.append([event]);
  previous = object;
}
previous = undefined;
const app = buildApp({
  store, metrics: createMetrics({ defaultMetrics: false }), logger: pino({ level: 'silent' }), maxBodyBytes: 3 * MiB, commitTimeoutMs: 2000,
  capture: { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 1), recordUnchanged: false },
});
await app.ready();
// Let the seeding's garbage go before the baseline.
(globalThis as { gc?: () => void }).gc?.();
await new Promise((resolve) => setTimeout(resolve, 500));
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);

async function readWholeHistory(): Promise<{ bytes: number; pages: number; status: number }> {
  const url = '/api/v1/history?namespace=bench&kind=ConfigMap&name=wide';
  let token: string | undefined;
  let bytes = 0;
  let pages = 0;
  do {
    const response = await app.inject(`${url}${token ? `&continue=${token}` : ''}`);
    if (response.statusCode !== 200) return { bytes, pages, status: response.statusCode };
    bytes += response.rawPayload.length;
    token = response.headers['logistis-continue'] as string | undefined;
    pages += 1;
  } while (token);
  return { bytes, pages, status: 200 };
}

const started = performance.now();
const results = await Promise.all(Array.from({ length: reads }, readWholeHistory));
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(`${reads} concurrent JSON history reads of a ${keys}-key ConfigMap with ${versions} versions: ${results.map((r) => `${r.status} ${(r.bytes / MiB).toFixed(0)} MiB in ${r.pages} pages`).join('; ')}`);
console.log(`rss before ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB (+${((peak - baseline) / MiB).toFixed(0)} MiB), ${seconds.toFixed(1)} s`);
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
