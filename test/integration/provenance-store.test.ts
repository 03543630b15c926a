// The store's provenance side on a real SQLite file: states move out of pending once, pending events are found
// by age, an unattributed change keeps its author guess apart from the user, and object hashes survive a reopen.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { NewChangeEvent } from '../../src/event.ts';

const RETENTION = { maxEventsPerObject: 100, maxAgeMs: 30 * 86_400_000 };

function event(requestUid: string, timeMs: number, extra: Partial<NewChangeEvent> = {}): NewChangeEvent {
  return {
    time: new Date(timeMs).toISOString(), requestUid, operation: 'UPDATE',
    user: { username: 'alice', uid: '', groups: ['dev'], extra: {} }, group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps',
    subresource: '', namespace: 'ns', name: 'cm', objectUid: 'u', fieldManager: 'kubectl', patch: [], object: { data: { t: requestUid } },
    ...extra,
  };
}

async function withStore(work: (store: SqliteEventStore, path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'logistis-prov-store-'));
  const store = await SqliteEventStore.open(join(dir, 'events.db'), RETENTION);
  try {
    await work(store, join(dir, 'events.db'));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('provenance in the SQLite store', () => {
  it('moves events out of pending once, lets a late watch confirm a not-applied one, and finds pending ones by age', async () => {
    await withStore(async (store) => {
      const now = Date.now();
      await store.append([
        event('old', now - 60_000, { state: 'pending' }), event('new', now - 1000, { state: 'pending' }),
        event('untracked', now - 90_000), event('late', now - 50_000, { state: 'pending' }),
      ]);
      assert.deepEqual((await store.pendingEvents(now - 30_000, 10)).map((item) => item.requestUid), ['old', 'late']);
      assert.equal(await store.oldestPendingTime(), now - 60_000);
      assert.equal(await store.setEventStates([
        { requestUid: 'old', state: 'confirmed', atMs: now }, { requestUid: 'late', state: 'not-applied', atMs: now },
        { requestUid: 'untracked', state: 'confirmed', atMs: now },
      ]), 2, 'an event recorded without provenance stays without a state');
      assert.equal(await store.setEventStates([{ requestUid: 'old', state: 'not-applied', atMs: now + 1 }]), 0, 'confirmed is final');
      assert.equal(await store.setEventStates([{ requestUid: 'late', state: 'confirmed', atMs: now + 2 }]), 1, 'a late watch confirms');
      const items = (await store.listEvents({}, 10, undefined, 'asc')).items;
      assert.deepEqual(items.map((item) => [item.requestUid, item.state ?? '-']), [['old', 'confirmed'], ['new', 'pending'], ['untracked', '-'], ['late', 'confirmed']]);
      assert.equal(items[3]!.stateChangedAt, new Date(now + 2).toISOString());
      assert.deepEqual((await store.pendingEvents(now + 1, 10)).map((item) => item.requestUid), ['new']);
      await store.setEventStates([{ requestUid: 'new', state: 'confirmed', atMs: now }]);
      assert.equal(await store.oldestPendingTime(), null);
    });
  });

  it('keeps an unattributed change\'s author guess apart from the user', async () => {
    await withStore(async (store) => {
      const guess = { manager: 'kubectl', operation: 'Update', time: '2026-12-03T06:00:00Z' };
      await store.append([event('watch-1', Date.now(), { state: 'unattributed', user: { username: '', uid: '', groups: [], extra: {} }, authorGuess: guess })]);
      const [item] = (await store.listEvents({}, 10)).items;
      assert.equal(item!.state, 'unattributed');
      assert.equal(item!.user.username, '');
      assert.deepEqual(item!.authorGuess, guess);
    });
  });

  it('keeps the watched objects\' hashes across a reopen, and forgets deleted ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-prov-store-'));
    const path = join(dir, 'events.db');
    try {
      let store = await SqliteEventStore.open(path, RETENTION);
      const state = (name: string, hash: string) => ({ resource: 'apps/deployments', namespace: 'ns', name, uid: `uid-${name}`, hash, resourceVersion: '7', seenMs: 5 });
      await store.saveObjectStates([state('a', 'h1'), state('b', 'h2')], []);
      await store.saveObjectStates([state('a', 'h3')], [{ resource: 'apps/deployments', namespace: 'ns', name: 'b' }]);
      await store.close();
      store = await SqliteEventStore.open(path, RETENTION);
      assert.deepEqual(await store.objectStates('apps/deployments'), [state('a', 'h3')]);
      assert.deepEqual(await store.objectStates('/configmaps'), []);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
