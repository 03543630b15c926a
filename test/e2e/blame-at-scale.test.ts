// kubectl blame --fields and --at of an object with 5,000 recorded changes, through the real aggregated API: the
// server answers from the history it holds, so the plugin moves a few small answers instead of 5,000 objects.
// The bytes are counted by a TCP relay between the plugin and kube-apiserver (TLS passes through it untouched).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startControlPlane, type ControlPlane } from '../../harness/control-plane.ts';
import { startLogistis, TEST_STORE, type Logistis } from '../../harness/logistis.ts';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { JsonObject, NewChangeEvent } from '../../src/event.ts';

const BIN = fileURLToPath(new URL('../../bin', import.meta.url));
const BUILT_PLUGIN = fileURLToPath(new URL('../../dist/cli/kubectl-blame.js', import.meta.url));
const CHANGES = 5000;
const MAX_SECONDS = 1;
const MAX_BYTES = 1_000_000;

/** A TCP relay to kube-apiserver that counts the bytes it sends back. */
async function countingRelay(target: URL): Promise<{ server: Server; port: number; bytes(): number; reset(): void }> {
  let received = 0;
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    upstream.on('data', (chunk: Buffer) => { received += chunk.length; });
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return { server, port: (server.address() as AddressInfo).port, bytes: () => received, reset: () => { received = 0; } };
}

function deployment(namespace: string, replicas: number, revision: number): JsonObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace, labels: { app: 'web' }, annotations: { 'example.com/revision': String(revision) } },
    spec: {
      replicas, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: `nginx:1.${revision % 30}` }] } },
    },
  };
}

/** CREATE by alice, then 4,999 updates by alternating users, a minute apart, ending an hour ago. */
function history(namespace: string): NewChangeEvent[] {
  const start = Date.now() - 3_600_000 - CHANGES * 60_000;
  return Array.from({ length: CHANGES }, (_, i): NewChangeEvent => ({
    time: new Date(start + i * 60_000).toISOString(), requestUid: `scale-${i}`, operation: i === 0 ? 'CREATE' : 'UPDATE',
    user: { username: i === 0 ? 'alice' : `deployer-${i % 7}`, uid: '', groups: ['system:authenticated'], extra: {} },
    group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', subresource: '', namespace, name: 'web',
    objectUid: 'u-web', fieldManager: 'kubectl',
    patch: i === 0 ? [] : [
      { op: 'replace', path: '/spec/replicas', value: 1 + (i % 9) },
      { op: 'replace', path: '/metadata/annotations/example.com~1revision', value: String(i) },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `nginx:1.${i % 30}` },
    ],
    object: deployment(namespace, i === 0 ? 1 : 1 + (i % 9), i),
  }));
}

describe(`kubectl blame of an object with ${CHANGES} recorded changes`, { skip: TEST_STORE !== 'sqlite' ? 'seeds the SQLite file directly' : false, timeout: 300_000 }, () => {
  let cp: ControlPlane;
  let logistis: Logistis;
  let ns: string;
  let relay: Awaited<ReturnType<typeof countingRelay>>;
  let kubeconfig: string;

  before(async () => {
    assert.ok(existsSync(BUILT_PLUGIN), `${BUILT_PLUGIN} is missing: run make build (make test-e2e does)`);
    cp = await startControlPlane();
    ns = await cp.createNamespace('scale');
    await cp.grant('alice', 'edit', ns);
    await cp.grant('alice', 'logistis-viewer', ns);
    const dataDir = join(cp.dir, 'logistis');
    const store = await SqliteEventStore.open(join(dataDir, 'events.db'), { maxEventsPerObject: CHANGES * 2, maxAgeMs: 365 * 86_400_000 });
    await store.append(history(ns));
    await store.close();
    logistis = await startLogistis(cp, { dataDir });
    relay = await countingRelay(new URL(cp.server));
    kubeconfig = join(cp.dir, 'kubeconfig-alice-relayed');
    writeFileSync(kubeconfig, readFileSync(cp.kubeconfigFor('alice'), 'utf8').replaceAll(cp.server, `https://127.0.0.1:${relay.port}`));
  });

  after(async () => {
    relay?.server.close();
    await logistis?.stop();
    await cp?.stop();
  });

  /** Runs the plugin through the relay; the time and bytes of the plugin's whole run. */
  async function measured(args: string[]): Promise<{ stdout: string; seconds: number; bytes: number }> {
    relay.reset();
    const started = process.hrtime.bigint();
    const { stdout } = await cp.kubectl('alice', ['blame', ...args], { env: { PATH: `${BIN}:${process.env.PATH ?? ''}`, KUBECONFIG: kubeconfig, COLUMNS: '200' } });
    return { stdout, seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes: relay.bytes() };
  }

  /**
   * The median of three runs, after two to warm up: the plugin's compile cache, and the JIT of both of the server's
   * reader threads (a server that has answered before, as one in use has).
   */
  async function settled(args: string[]): Promise<{ stdout: string; seconds: number; bytes: number }> {
    for (let i = 0; i < 2; i++) await measured(args);
    const runs = [await measured(args), await measured(args), await measured(args)].sort((a, b) => a.seconds - b.seconds);
    return { ...runs[1]!, bytes: Math.max(...runs.map((run) => run.bytes)) };
  }

  test(`--fields answers in under ${MAX_SECONDS} s and moves under ${MAX_BYTES} bytes`, async () => {
    const run = await settled(['deploy/web', '-n', ns, '--fields']);
    const replicasLine = run.stdout.split('\n').find((line) => / {2}replicas: \d+$/.test(line));
    assert.match(replicasLine ?? '', /^deployer-\d /, run.stdout.slice(0, 2000));
    console.log(`--fields: ${run.seconds.toFixed(3)} s (median of 3), ${run.bytes} bytes through kube-apiserver`);
    assert.ok(run.bytes < MAX_BYTES, `moved ${run.bytes} bytes`);
    assert.ok(run.seconds < MAX_SECONDS, `took ${run.seconds.toFixed(3)} s`);
  });

  test(`--at answers in under ${MAX_SECONDS} s and moves under ${MAX_BYTES} bytes`, async () => {
    const at = new Date(Date.now() - 3_600_000 - 2_000 * 60_000 + 30_000).toISOString();
    const run = await settled(['deploy/web', '-n', ns, '--at', at, '-o', 'json']);
    const object = JSON.parse(run.stdout) as { metadata: { annotations: Record<string, string> } };
    assert.equal(object.metadata.annotations['example.com/revision'], String(CHANGES - 2000));
    console.log(`--at: ${run.seconds.toFixed(3)} s (median of 3), ${run.bytes} bytes through kube-apiserver`);
    assert.ok(run.bytes < MAX_BYTES, `moved ${run.bytes} bytes`);
    assert.ok(run.seconds < MAX_SECONDS, `took ${run.seconds.toFixed(3)} s`);
  });
});
