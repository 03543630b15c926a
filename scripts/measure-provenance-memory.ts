// Prints the heap the provenance watch costs per object count (default 10,000 Deployments like
// test/fixtures/provenance/deployment-watched.json): the real Informer caching reduced objects (hash and
// identity) plus the tracker's known states, with and without the bounded map of recent recorded forms (kept only
// for versions the tracker does not know), against the same
// Informer caching whole objects. Run: node --expose-gc scripts/measure-provenance-memory.ts [count]
import { readFileSync } from 'node:fs';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { Informer } from '../src/kube/informers.ts';
import { ProvenanceTracker, objectKey } from '../src/provenance/match.ts';
import { reduceWatched, type ReducedObject } from '../src/provenance/watcher.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../src/admission/normalise.ts';
import type { WatchedResource } from '../src/provenance/discovery.ts';

const count = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const template = JSON.parse(readFileSync(new URL('../test/fixtures/provenance/deployment-watched.json', import.meta.url), 'utf8')) as KubernetesObject;
const resource: WatchedResource = { group: 'apps', version: 'v1', apiVersion: 'apps/v1', resource: 'deployments', kind: 'Deployment', namespaced: true, path: '/apis/apps/v1/deployments' };
const settings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 1), recordUnchanged: false };

function objects(): KubernetesObject[] {
  return Array.from({ length: count }, (_, i) => {
    const object = structuredClone(template);
    Object.assign(object.metadata ??= {}, { name: `api-${i}`, namespace: `ns-${i % 50}`, uid: `uid-${i}-${'x'.repeat(24)}`, resourceVersion: String(1000 + i) });
    return object;
  });
}

// The watch itself points nowhere: only the list fills the cache, which is what is measured.
const kubeConfig = new KubeConfig();
kubeConfig.loadFromOptions({
  clusters: [{ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'none' }],
  contexts: [{ name: 'none', cluster: 'none', user: 'none' }], currentContext: 'none',
});

async function heapWith(setUp: () => Promise<unknown>): Promise<number> {
  gc!(); gc!();
  const before = process.memoryUsage().heapUsed;
  const kept = await setUp();
  gc!(); gc!();
  const after = process.memoryUsage().heapUsed;
  if (!kept) throw new Error('nothing kept');
  return after - before;
}

async function filledInformer(reduce?: (object: KubernetesObject) => KubernetesObject): Promise<Informer<KubernetesObject>> {
  const informer = new Informer<KubernetesObject>({
    kubeConfig, name: 'measure', path: resource.path, resyncMs: 0, backoff: { initialMs: 60_000, maxMs: 60_000 },
    list: async () => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: objects() }),
    ...(reduce ? { reduce } : {}),
  });
  informer.start();
  while (informer.list().length < count) await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  await informer.stop();
  return informer;
}

const whole = await heapWith(() => filledInformer());
const measureReduced = (keepRecent: boolean) => heapWith(async () => {
  const recent = new Map<string, unknown>();
  const informer = await filledInformer((object) => {
    const result = reduceWatched(resource, object, 'list', settings);
    const key = objectKey('apps', 'deployments', object.metadata!.namespace!, object.metadata!.name!);
    if (keepRecent) recent.set(key, result.recorded);
    if (recent.size > 2000) recent.delete(recent.keys().next().value!);
    return result.reduced;
  });
  const tracker = new ProvenanceTracker();
  for (const object of informer.list() as ReducedObject[]) {
    tracker.observe({
      type: 'added', continuous: false, baseline: true,
      state: { key: objectKey('apps', 'deployments', object.metadata!.namespace!, object.metadata!.name!), uid: object.metadata!.uid!, hash: object.provenance.hash, resourceVersion: object.metadata!.resourceVersion!, deleting: false },
    }, Date.now());
  }
  return [informer, tracker, recent];
});
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
console.log(`objects: ${count} Deployments`);
console.log(`informer caching whole objects: ${mib(whole)} (${Math.round(whole / count)} B/object)`);
const steady = await measureReduced(false);
const worst = await measureReduced(true);
console.log(`provenance, steady state (reduced cache + known hashes): ${mib(steady)} (${Math.round(steady / count)} B/object)`);
console.log(`provenance, at most (plus the 2000 recent recorded forms kept for unattributed changes): ${mib(worst)}`);
