// The provenance watcher against a recorded API server (discovery, a list and a watch of ConfigMaps) over a real
// SQLite store: a recorded change the watch shows is confirmed, one it never shows becomes not-applied after the
// window, and a change no captured request explains is recorded as unattributed.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProvenanceWatcher } from '../../../src/provenance/watcher.ts';
import { recordedObject, type CaptureSettings } from '../../../src/capture/record.ts';
import { DEFAULT_NORMALISE_OPTIONS } from '../../../src/admission/normalise.ts';
import { SqliteEventStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { ChangeEvent, JsonObject, NewChangeEvent } from '../../../src/event.ts';
import { eventually, RecordedApiServer } from '../../support/recorded-api-server.ts';

const PATH = '/api/v1/configmaps';
const SETTINGS: CaptureSettings = { normalise: DEFAULT_NORMALISE_OPTIONS, redactionKey: Buffer.alloc(32, 7), recordUnchanged: false };
const UID = '0c1d2e3f-0000-4000-8000-00000000a001';

/** kube-apiserver's discovery of the core group, cut to ConfigMaps, and no other group. */
const CORE_RESOURCES = {
  kind: 'APIResourceList', groupVersion: 'v1',
  resources: [{
    name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['cm'], storageVersionHash: 'qFsyl6wFWjQ=',
  }],
};
const GROUPS = { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };

function configMap(resourceVersion: string, data: Record<string, string>, manager = 'kubectl-client-side-apply', time = '2026-12-07T09:00:00Z'): JsonObject {
  return {
    kind: 'ConfigMap', apiVersion: 'v1',
    metadata: {
      name: 'settings', namespace: 'demo', uid: UID, resourceVersion, creationTimestamp: '2026-12-07T09:00:00Z',
      managedFields: [{ manager, operation: 'Update', apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:mode': {} } } }],
    },
    data,
  };
}

/** The event capture records for an update that leaves the ConfigMap as `object`: pending until the watch decides. */
function capturedUpdate(requestUid: string, object: JsonObject): NewChangeEvent {
  return {
    time: new Date().toISOString(), requestUid, operation: 'UPDATE', user: { username: 'alice', uid: '', groups: ['dev'], extra: {} },
    group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', subresource: '', namespace: 'demo', name: 'settings', objectUid: UID,
    fieldManager: 'kubectl-client-side-apply', patch: [{ op: 'replace', path: '/data/mode', value: (object['data'] as Record<string, string>)['mode']! }],
    object: recordedObject(object, { group: '', version: 'v1', kind: 'ConfigMap' }, { namespace: 'demo', name: 'settings' }, SETTINGS),
    state: 'pending',
  };
}

describe('ProvenanceWatcher against a recorded API server', () => {
  let api: RecordedApiServer;
  let store: SqliteEventStore;
  let dir: string;
  let watcher: ProvenanceWatcher;
  const logged: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'logistis-provenance-'));
    store = await SqliteEventStore.open(join(dir, 'events.db'), { maxEventsPerObject: 100, maxAgeMs: 86_400_000 });
    api = await RecordedApiServer.start();
    api.document('/api/v1', CORE_RESOURCES);
    api.document('/apis', GROUPS);
    api.lists(PATH, { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '500' }, items: [{ ...configMap('480', { mode: 'a' }), kind: undefined, apiVersion: undefined }] });
    const log = { info: (_fields: object, message: string) => logged.push(message), warn: (_fields: object, message: string) => logged.push(message), error: (_fields: object, message: string) => logged.push(message) };
    watcher = new ProvenanceWatcher({ kubeConfig: api.kubeConfig(), store, settings: SETTINGS, log, windowMs: 300, graceMs: 200, discoveryIntervalMs: 60_000 });
    await watcher.start();
    await eventually(() => (watcher.health().resources === 1 && watcher.health().failing.length === 0 && api.openWatches(PATH) === 1 ? true : undefined), 'the ConfigMaps were never watched');
  });

  afterEach(async () => {
    await watcher.stop();
    await api.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stateOf = async (requestUid: string): Promise<ChangeEvent['state']> =>
    (await store.listEvents({ name: 'settings' }, 100)).items.find((event) => event.requestUid === requestUid)?.state;

  it('confirms a recorded change once the watch shows the object in its recorded state', async () => {
    assert.deepEqual(api.requestsOf(PATH, true).map((request) => request.resourceVersion), ['500'], 'watching from the list');
    const object = configMap('510', { mode: 'b' });
    const event = capturedUpdate('uid-confirmed', object);
    await store.append([event]);
    assert.equal(watcher.initialState(event), 'pending', 'ConfigMaps are watched');
    watcher.recorded(event);
    api.push(PATH, { type: 'MODIFIED', object });
    await eventually(async () => ((await stateOf('uid-confirmed')) === 'confirmed' ? true : undefined), 'never confirmed');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal((await store.listEvents({ name: 'settings' }, 100)).items.length, 1, 'the watched change is the captured one: nothing unattributed');
  });

  it('marks a recorded change the watch never shows not-applied once the window has passed', async () => {
    const event = capturedUpdate('uid-never-applied', configMap('520', { mode: 'denied-later' }));
    await store.append([event]);
    watcher.recorded(event);
    assert.equal(await stateOf('uid-never-applied'), 'pending');
    await eventually(async () => ((await stateOf('uid-never-applied')) === 'not-applied' ? true : undefined), 'never judged not-applied');
  });

  it('records a watched change no captured request explains as unattributed, with its author guessed from managedFields', async () => {
    api.push(PATH, { type: 'MODIFIED', object: configMap('530', { mode: 'edited-around-the-webhook' }, 'helm', '2026-12-07T09:05:00Z') });
    const [recorded] = await eventually(async () => {
      const items = (await store.listEvents({ name: 'settings' }, 100)).items;
      return items.length > 0 ? items : undefined;
    }, 'no unattributed event');
    assert.equal(recorded!.state, 'unattributed');
    assert.equal(recorded!.operation, 'UPDATE');
    assert.equal(recorded!.user.username, '');
    assert.equal(recorded!.authorGuess?.manager, 'helm');
    assert.equal(recorded!.time, '2026-12-07T09:05:00.000Z', 'when the manager wrote it');
    assert.deepEqual(recorded!.object['data'], { mode: 'edited-around-the-webhook' });
    assert.ok(logged.includes('provenance: recorded a change no captured request explains'));
  });
});
