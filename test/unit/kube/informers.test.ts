// The informer layer against a recorded API server: list then watch, resync, a watch that ends or fails and is
// started again with back-off, and a 410 Gone that makes it list again.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Informer, listRaw, type InformerOptions } from '../../../src/kube/informers.ts';
import { eventually, RecordedApiServer, statusObject } from '../../support/recorded-api-server.ts';

const PATH = '/api/v1/namespaces/demo/configmaps';

/** A ConfigMap as kube-apiserver lists and watches it (watch events carry apiVersion and kind, list items do not). */
function configMap(name: string, resourceVersion: string, data: Record<string, string>, inList = false): KubernetesObject & { data: Record<string, string> } {
  return {
    ...(inList ? {} : { kind: 'ConfigMap', apiVersion: 'v1' }),
    metadata: {
      name, namespace: 'demo', uid: `6a1f0c3e-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`, resourceVersion,
      creationTimestamp: '2026-12-07T09:00:00Z' as unknown as Date,
      managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2026-12-07T09:00:00Z' as unknown as Date, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }],
    },
    data,
  };
}

function configMapList(resourceVersion: string, items: KubernetesObject[]): object {
  return { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion }, items };
}

interface Seen {
  events: string[];
  synced: number;
}

describe('Informer against a recorded API server', () => {
  let api: RecordedApiServer;
  let informer: Informer<KubernetesObject> | undefined;
  beforeEach(async () => { api = await RecordedApiServer.start(); });
  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await api.close();
  });

  const start = (options: Partial<InformerOptions<KubernetesObject>> = {}): Seen => {
    const kubeConfig = api.kubeConfig();
    informer = new Informer<KubernetesObject>({
      kubeConfig, path: PATH, name: 'configmaps', list: () => listRaw(kubeConfig, PATH), resyncMs: 0, backoff: { initialMs: 100, maxMs: 400 }, ...options,
    });
    const seen: Seen = { events: [], synced: 0 };
    const note = (type: string) => (object: KubernetesObject) => seen.events.push(`${type} ${object.metadata?.name} ${object.metadata?.resourceVersion}`);
    informer.on({ add: note('add'), update: note('update'), delete: note('delete'), synced: () => { seen.synced++; } });
    informer.start();
    return seen;
  };

  it('lists, then watches from the list\'s resourceVersion, and follows the watch', async () => {
    api.lists(PATH, configMapList('1200', [configMap('a', '1100', { k: '1' }, true), configMap('b', '1150', { k: '2' }, true)]));
    const seen = start();
    await eventually(() => (seen.synced === 1 ? true : undefined), 'the informer never synced');
    assert.deepEqual(seen.events, ['add a 1100', 'add b 1150']);
    assert.equal(api.requestsOf(PATH, true)[0]?.resourceVersion, '1200', 'the watch starts where the list ended');
    assert.deepEqual(informer!.health(), { ...informer!.health(), state: 'synced', hasSynced: true, restarts: 0, objects: 2 });
    api.push(PATH, { type: 'MODIFIED', object: configMap('a', '1201', { k: '3' }) });
    api.push(PATH, { type: 'DELETED', object: configMap('b', '1202', { k: '2' }) });
    api.push(PATH, { type: 'ADDED', object: configMap('c', '1203', { k: '4' }) });
    await eventually(() => (seen.events.length === 5 ? true : undefined), `the watch events never arrived: ${seen.events.join(', ')}`);
    assert.deepEqual(seen.events.slice(2), ['update a 1201', 'delete b 1202', 'add c 1203']);
    assert.deepEqual(informer!.list().map((object) => object.metadata?.name).sort(), ['a', 'c']);
    assert.deepEqual((informer!.get('a', 'demo') as unknown as { data: object }).data, { k: '3' });
  });

  it('delivers every cached object again as an update each resync period', async () => {
    api.lists(PATH, configMapList('1200', [configMap('a', '1100', { k: '1' }, true), configMap('b', '1150', { k: '2' }, true)]));
    const seen = start({ resyncMs: 60 });
    await eventually(() => (seen.events.filter((event) => event.startsWith('update')).length >= 4 ? true : undefined), 'no resync');
    const updates = seen.events.filter((event) => event.startsWith('update'));
    assert.deepEqual(new Set(updates), new Set(['update a 1100', 'update b 1150']), 'the cached objects, as they are');
    assert.equal(api.requestsOf(PATH, false).length, 1, 'a resync reads the cache, not the API server');
  });

  it('resumes a watch the API server ended from the last resourceVersion it saw, without listing again', async () => {
    api.lists(PATH, configMapList('1200', [configMap('a', '1100', { k: '1' }, true)]));
    api.watches(PATH, { events: [{ type: 'MODIFIED', object: configMap('a', '1300', { k: '2' }) }], end: true });
    const seen = start();
    await eventually(() => (api.requestsOf(PATH, true).length >= 2 ? true : undefined), 'the ended watch was not started again');
    assert.deepEqual(api.requestsOf(PATH, true).slice(0, 2).map((request) => request.resourceVersion), ['1200', '1300']);
    assert.equal(api.requestsOf(PATH, false).length, 1);
    assert.deepEqual(seen.events, ['add a 1100', 'update a 1300']);
  });

  it('restarts a failing watch with doubling back-off, reports it failing meanwhile, and recovers', async () => {
    api.lists(PATH, configMapList('1200', [configMap('a', '1100', { k: '1' }, true)]));
    api.watches(PATH, { status: 500 }, { status: 500 }, { status: 500 });
    const seen = start();
    await eventually(() => (informer!.health().state === 'failing' ? true : undefined), 'the failure was not reported');
    assert.match(informer!.health().lastError ?? '', /500/);
    await eventually(() => (seen.synced >= 1 ? true : undefined), 'never recovered');
    const watches = api.requestsOf(PATH, true);
    assert.equal(watches.length, 4, 'three failed watches and the one that held');
    const gaps = watches.slice(1).map((request, i) => request.atMs - watches[i]!.atMs);
    assert.ok(gaps[0]! >= 90 && gaps[1]! >= 190 && gaps[2]! >= 390, `back-off 100, 200, 400 ms: ${gaps.join(', ')}`);
    assert.deepEqual(watches.map((request) => request.resourceVersion), ['1200', '1200', '1200', '1200'], 'each restart resumes from the list');
    const health = informer!.health();
    assert.equal(health.state, 'synced');
    assert.equal(health.restarts, 3);
    assert.equal(health.lastError, undefined);
  });

  it('lists again after 410 Gone, deleting what is gone and adding what is new', async () => {
    api.lists(PATH,
      configMapList('1200', [configMap('a', '1100', { k: '1' }, true), configMap('b', '1150', { k: '2' }, true)]),
      configMapList('2000', [configMap('a', '1900', { k: '9' }, true), configMap('d', '1950', { k: '5' }, true)]));
    api.watches(PATH, { events: [{ type: 'ERROR', object: statusObject(410, 'Expired', 'too old resource version: 1200 (1800)') }], end: true });
    const seen = start();
    await eventually(() => (api.requestsOf(PATH, false).length === 2 && seen.synced >= 2 ? true : undefined), 'no relist after 410');
    assert.deepEqual(seen.events, ['add a 1100', 'add b 1150', 'delete b 1150', 'update a 1900', 'add d 1950']);
    assert.deepEqual(api.requestsOf(PATH, true).map((request) => request.resourceVersion), ['1200', '2000'], 'the new watch starts from the new list');
    assert.deepEqual(informer!.list().map((object) => object.metadata?.name).sort(), ['a', 'd']);
  });
});
