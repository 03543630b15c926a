// Do reads hold up captures on the PostgreSQL store? `logistis serve` on a real PostgreSQL holding N large
// events; captures at a fixed rate over HTTPS, first alone, then while readers page through the events.
//
//   node bench/lib/postgres-reads.ts [--events 20000] [--rate 200] [--seconds 10] [--readers 4] [--store sqlite]
// (--store sqlite: the same on the embedded store, for comparison)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { NewChangeEvent } from '../../src/event.ts';
import { startPostgres } from '../../harness/postgres.ts';
import { startServer, type ServerProcess } from '../../harness/server-process.ts';
import { testCertificate } from '../../harness/tls.ts';
import { loadFixture, withFreshUid } from '../../harness/fixtures.ts';

const { values } = parseArgs({ options: {
  events: { type: 'string', default: '20000' }, rate: { type: 'string', default: '200' },
  seconds: { type: 'string', default: '10' }, readers: { type: 'string', default: '4' }, store: { type: 'string', default: 'postgres' },
} });
const [events, rate, seconds, readers] = [values.events, values.rate, values.seconds, values.readers].map(Number) as [number, number, number, number];

async function captures(server: ServerProcess): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolveWait) => setTimeout(resolveWait, wait));
    const sent = performance.now();
    pending.push(server.request('POST', '/capture', withFreshUid(loadFixture('deployment-scale'))).then(() => { latencies.push(performance.now() - sent); }));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return { p50: latencies[Math.floor(latencies.length / 2)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
}

const dir = mkdtempSync(join(tmpdir(), 'logistis-bench-reads-'));
const postgres = await startPostgres();
try {
  const retention = { maxEventsPerObject: 1_000_000, maxAgeMs: 365 * 86_400_000 };
  const url = values.store === 'sqlite' ? `sqlite:${join(dir, 'events.db')}` : await postgres.createDatabase('reads');
  const store = values.store === 'sqlite' ? await SqliteEventStore.open(join(dir, 'events.db'), retention) : await PostgresEventStore.open({ url }, retention);
  const now = Date.now();
  for (let loaded = 0; loaded < events; loaded += 1000) {
    await store.append(Array.from({ length: 1000 }, (_, i): NewChangeEvent => ({
      time: new Date(now - (events - loaded - i) * 100).toISOString(), requestUid: `pre-${loaded + i}`, operation: 'UPDATE',
      user: { username: 'alice', uid: '', groups: [], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
      subresource: '', namespace: 'big', name: `cm-${(loaded + i) % 500}`, objectUid: '', fieldManager: '', patch: [],
      object: { data: Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`key-${k}`, `value ${k} of ${loaded + i} `.repeat(8)])) },
    })));
  }
  await store.close();
  const tls = await testCertificate(dir);
  const server = await startServer(['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--store', url, '--auth', 'none',
    '--redaction-key-file', join(dir, 'redaction.key'), '--log-dir', join(dir, 'commit-log'), '--log-level', 'warn'], { caFile: tls.caFile });
  try {
    const alone = await captures(server);
    let reading = true;
    let pages = 0;
    const loops = Array.from({ length: readers }, async () => {
      while (reading) {
        await server.request('GET', '/api/v1/events?namespace=big&limit=500');
        pages++;
      }
    });
    const withReads = await captures(server);
    reading = false;
    await Promise.all(loops);
    process.stdout.write([
      `captures at ${rate}/s for ${seconds}s on ${values.store} holding ${events} events (each ~3 KB of JSON):`,
      `  alone:                         p50 ${alone.p50.toFixed(1)} ms, p99 ${alone.p99.toFixed(1)} ms`,
      `  with ${readers} readers of 500 events: p50 ${withReads.p50.toFixed(1)} ms, p99 ${withReads.p99.toFixed(1)} ms (${(pages / seconds).toFixed(1)} pages/s read)`,
      '',
    ].join('\n'));
  } finally {
    await server.kill('SIGTERM');
  }
} finally {
  await postgres.destroy();
  rmSync(dir, { recursive: true, force: true });
}
