// One contract for every EventStore: the same cases against the embedded SQLite store and a real PostgreSQL
// (Debian's postgresql package, started by harness/postgres.ts on a free loopback port).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  InvalidQueryError, isProvenanceStore, type EventStore, type ObjectState, type ProvenanceStore, type RetentionPolicy,
} from '../../src/store/types.ts';
import type { NewChangeEvent } from '../../src/event.ts';
import { storeKinds } from '../support/store-kinds.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

let uidCounter = 0;
function event(name: string, timeMs: number, fields: Partial<NewChangeEvent> = {}): NewChangeEvent {
  return {
    time: new Date(timeMs).toISOString(), requestUid: `uid-${++uidCounter}`, operation: 'UPDATE',
    user: { username: 'alice', uid: 'u-1', groups: ['dev', 'system:authenticated'], extra: { scopes: ['a'] } },
    group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', subresource: '', namespace: 'ns', name,
    objectUid: `obj-${name}`, fieldManager: 'kubectl', patch: [{ op: 'replace', path: '/data/t', value: String(timeMs) }],
    object: { metadata: { name }, data: { t: String(timeMs) } }, ...fields,
  };
}

for (const kind of storeKinds('contract', 4)) {
  describe(`EventStore contract: ${kind.name}`, () => {
    before(() => kind.setUp());
    after(() => kind.tearDown());
    const withStore = async (retention: RetentionPolicy, body: (store: EventStore) => Promise<void>) => {
      const store = await kind.open(retention);
      try {
        await body(store);
      } finally {
        await store.close();
      }
    };
    const defaults = { maxEventsPerObject: 100, maxAgeMs: 30 * DAY };
    const withProvenanceStore = (body: (store: EventStore & ProvenanceStore) => Promise<void>) => withStore(defaults, async (store) => {
      assert.ok(isProvenanceStore(store), `${kind.name} keeps event states`);
      await body(store);
    });

    it('appends and reads an event back as it was given, by list and by id', async () => {
      await withStore(defaults, async (store) => {
        const now = Date.now();
        const given = event('cm', now, { deniedBy: 'freeze', subresource: '', operation: 'UPDATE' });
        await store.append([given]);
        const page = await store.listEvents({}, 10);
        assert.equal(page.items.length, 1);
        assert.equal(page.nextCursor, undefined);
        const { id, ...stored } = page.items[0]!;
        assert.match(id, /^\d+$/);
        assert.deepEqual(stored, given);
        assert.deepEqual(await store.getEvent(id), page.items[0]);
        assert.equal(await store.getEvent('999999'), null);
      });
    });

    it('keeps the oversized marker of a review too large to read whole, in history and by id', async () => {
      await withStore(defaults, async (store) => {
        const oversized = { reviewBytes: 7_340_032, maxBodyBytes: 3_145_728, omitted: ['request.object.metadata.annotations'] };
        const given = event('big', Date.now(), { object: { metadata: { name: 'big', labels: { a: 'b' } } }, patch: [], oversized });
        const plain = event('small', Date.now());
        await store.append([given, plain]);
        const [stored] = await store.history({ group: '', kind: 'ConfigMap', namespace: 'ns', name: 'big' });
        assert.deepEqual(stored?.oversized, oversized);
        assert.deepEqual((await store.getEvent(stored.id))?.oversized, oversized);
        const other = (await store.listEvents({ name: 'small' }, 1)).items[0];
        assert.ok(other && !('oversized' in other), 'absent on an event recorded whole');
      });
    });

    it('gives a CREATE its patch from the object', async () => {
      await withStore(defaults, async (store) => {
        await store.append([event('made', Date.now(), { operation: 'CREATE', patch: [], object: { metadata: { name: 'made' }, data: { a: '1' } } })]);
        const [created] = (await store.listEvents({}, 1)).items;
        assert.ok(created!.patch.length > 0);
        assert.deepEqual(created!.object, { metadata: { name: 'made' }, data: { a: '1' } });
      });
    });

    it('lists newest first, filters, and continues with a cursor in both orders', async () => {
      await withStore(defaults, async (store) => {
        const now = Date.now();
        const events = Array.from({ length: 25 }, (_, i) => event(`cm-${i % 5}`, now - 25_000 + i * 1000, {
          user: { username: i % 2 ? 'bob' : 'alice', uid: '', groups: i % 3 ? ['dev'] : ['ops'], extra: {} },
          namespace: i < 20 ? 'ns' : 'other', operation: i === 0 ? 'CREATE' : 'UPDATE',
        }));
        for (const chunk of [events.slice(0, 10), events.slice(10)]) await store.append(chunk);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listEvents({}, 7, cursor);
          seen.push(...page.items.map((item) => item.time));
          cursor = page.nextCursor;
        } while (cursor);
        assert.equal(seen.length, 25);
        assert.deepEqual(seen, [...seen].sort().reverse());
        const ascending: string[] = [];
        cursor = undefined;
        do {
          const page = await store.listEvents({}, 10, cursor, 'asc');
          ascending.push(...page.items.map((item) => item.time));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(ascending, [...seen].reverse());
        assert.equal((await store.listEvents({ user: 'bob' }, 100)).items.length, 12);
        assert.equal((await store.listEvents({ userGroup: 'ops' }, 100)).items.length, 9);
        assert.equal((await store.listEvents({ namespace: 'other' }, 100)).items.length, 5);
        assert.equal((await store.listEvents({ name: 'cm-1', namespace: 'ns', kind: 'ConfigMap', group: '' }, 100)).items.length, 4);
        assert.equal((await store.listEvents({ operation: 'CREATE' }, 100)).items.length, 1);
        assert.equal((await store.listEvents({ sinceMs: now - 5000, untilMs: now - 2000 }, 100)).items.length, 3);
        await assert.rejects(async () => store.listEvents({}, 10, 'not-a-cursor'), InvalidQueryError);
      });
    });

    it('ends a page early once its bodies reach the byte cap, never before its first event', async () => {
      await withStore(defaults, async (store) => {
        const big = 'x'.repeat(10_000);
        await store.append(Array.from({ length: 5 }, (_, i) => event(`big-${i}`, Date.now() + i, { object: { data: { big } } })));
        const first = await store.listEvents({}, 10, undefined, 'desc', 25_000);
        assert.equal(first.items.length, 2);
        assert.ok(first.nextCursor);
        const one = await store.listEvents({}, 10, undefined, 'desc', 100);
        assert.equal(one.items.length, 1);
      });
    });

    it('keeps one object\'s history oldest first, with its groups, and keeps only its newest N events', async () => {
      await withStore({ maxEventsPerObject: 5, maxAgeMs: 30 * DAY }, async (store) => {
        const now = Date.now();
        await store.append(Array.from({ length: 4 }, (_, i) => event('deploy', now + i, { group: 'apps', kind: 'Deployment', resource: 'deployments' })));
        await store.append(Array.from({ length: 4 }, (_, i) => event('deploy', now + 10 + i, { group: 'apps', kind: 'Deployment', resource: 'deployments' })));
        await store.append([event('deploy', now, { group: 'extensions', kind: 'Deployment', resource: 'deployments' })]);
        const history = await store.history({ group: 'apps', kind: 'Deployment', namespace: 'ns', name: 'deploy' });
        assert.equal(history.length, 5);
        assert.deepEqual(history.map((item) => Date.parse(item.time) - now), [3, 10, 11, 12, 13]);
        const window = await store.history({ group: 'apps', kind: 'Deployment', namespace: 'ns', name: 'deploy' }, { sinceMs: now + 11, untilMs: now + 13 });
        assert.equal(window.length, 2);
        assert.deepEqual((await store.objectGroups('Deployment', 'ns', 'deploy')).sort(), ['apps', 'extensions']);
        const kinds = (await store.resourceKinds()).map((entry) => ({ ...entry })).sort((a, b) => a.group.localeCompare(b.group));
        assert.deepEqual(kinds, [{ group: 'apps', resource: 'deployments', kind: 'Deployment' }, { group: 'extensions', resource: 'deployments', kind: 'Deployment' }]);
      });
    });

    it('stores a retried review (same request uid) once, within a batch, across batches and concurrent appends', async () => {
      await withStore(defaults, async (store) => {
        const now = Date.now();
        const first = event('cm', now, { requestUid: 'retried' });
        await store.append([first, { ...first, time: new Date(now + 5).toISOString() }]);
        await store.append([{ ...first, time: new Date(now + 10).toISOString() }]);
        await Promise.all(Array.from({ length: 5 }, () => store.append([event('cm', now + 20, { requestUid: 'concurrent' })])));
        const items = (await store.listEvents({}, 100)).items;
        assert.deepEqual(items.map((item) => item.requestUid).sort(), ['concurrent', 'retried']);
        const [entry] = await store.overview(now - HOUR);
        assert.equal(entry!.changes, 2);
      });
    });

    it('summarises namespaces: counts per user inside a window that starts mid-hour, and the last change', async () => {
      await withStore(defaults, async (store) => {
        const hour = Math.floor(Date.now() / HOUR) * HOUR;
        const as = (username: string) => ({ user: { username, uid: '', groups: [], extra: {} } });
        await store.append([
          event('a', hour - 3 * HOUR + 10 * 60_000, as('alice')),
          event('b', hour - 2 * HOUR + 40 * 60_000, as('bob')),
          event('c', hour - HOUR + 5 * 60_000, as('bob')),
          event('d', hour + 1000, as('alice')),
          event('e', hour + 2000, { ...as('carol'), namespace: 'quiet' }),
        ]);
        const overview = await store.overview(hour - 2 * HOUR + 30 * 60_000, 2);
        assert.deepEqual(overview.map((entry) => entry.namespace), ['quiet', 'ns']);
        const ns = overview[1]!;
        assert.equal(ns.changes, 3);
        assert.deepEqual(ns.topUsers, [{ username: 'bob', changes: 2 }, { username: 'alice', changes: 1 }]);
        assert.equal(ns.lastChange!.name, 'd');
        assert.equal(ns.lastChange!.user, 'alice');
      });
    });

    it('prunes by age, and keeps what is newer and what arrives meanwhile', async () => {
      await withStore({ maxEventsPerObject: 10_000, maxAgeMs: 7 * DAY }, async (store) => {
        const now = Date.now();
        const old = Array.from({ length: 1200 }, (_, i) => event(`old-${i % 40}`, now - 10 * DAY + i * 60_000));
        const edge = [event('edge-old', now - 7 * DAY - 1000), event('edge-new', now - 7 * DAY + 60_000)];
        const recent = Array.from({ length: 30 }, (_, i) => event(`new-${i}`, now - DAY + i));
        await store.append([...old, ...edge, ...recent]);
        const [result] = await Promise.all([store.pruneByAge(now), store.append([event('during', now)])]);
        assert.equal(result.prunedByAge, 1201);
        const names = (await store.listEvents({}, 1000)).items.map((item) => item.name);
        assert.equal(names.length, 32);
        assert.ok(names.includes('edge-new') && !names.includes('edge-old'));
        assert.ok(names.every((name) => !name.startsWith('old-')));
        assert.equal((await store.pruneByAge(now)).prunedByAge, 0);
      });
    });

    it('prunes the oldest events while the store is over its size limit', async () => {
      await withStore({ maxEventsPerObject: 10_000, maxAgeMs: 30 * DAY, maxStoreBytes: 3 * 1024 * 1024 }, async (store) => {
        const now = Date.now();
        // Bodies that do not compress: 12 days of 10 events of 40 KB, about 5 MB in all.
        const events = Array.from({ length: 120 }, (_, i) => event(`e-${i}`, now - (12 - Math.floor(i / 10)) * DAY + i * 1000, {
          object: { data: { noise: randomBytes(30_000).toString('base64') } },
        }));
        for (let day = 0; day < 12; day++) await store.append(events.slice(day * 10, day * 10 + 10));
        const result = await store.pruneByAge(now);
        assert.ok((result.prunedBySize ?? 0) > 0, 'something was pruned by size');
        assert.equal(result.prunedByAge, 0);
        const left = (await store.listEvents({}, 1000)).items.map((item) => item.name);
        assert.ok(left.length > 0 && left.length < 120, `${left.length} events left`);
        // The oldest went first: what is left is the newest, without a gap.
        assert.deepEqual(left, events.slice(120 - left.length).map((item) => item.name).reverse());
      });
    });

    it('moves events out of pending once, lets a late watch confirm a not-applied one, and finds pending ones by age', async () => {
      await withProvenanceStore(async (store) => {
        const now = Date.now();
        // Days apart, so on PostgreSQL they sit in different day partitions.
        await store.append([
          event('a', now - 2 * DAY, { requestUid: 'old', state: 'pending' }), event('a', now - 1000, { requestUid: 'new', state: 'pending' }),
          event('a', now - 3 * DAY, { requestUid: 'untracked' }), event('a', now - 50_000, { requestUid: 'late', state: 'pending' }),
          event('a', now - 40_000, { requestUid: 'twice', state: 'pending' }),
        ]);
        assert.deepEqual((await store.pendingEvents(now - 30_000, 10)).map((item) => item.requestUid), ['old', 'late', 'twice']);
        assert.deepEqual((await store.pendingEvents(now - 30_000, 1)).map((item) => item.requestUid), ['old']);
        assert.equal(await store.oldestPendingTime(), now - 2 * DAY);
        const [pending] = await store.pendingEvents(now - DAY, 1);
        assert.equal(pending!.state, 'pending');
        assert.equal(pending!.stateChangedAt, new Date(now - 2 * DAY).toISOString(), 'a pending event\'s state dates from its capture');
        const decisions = [
          { requestUid: 'old', state: 'confirmed', atMs: now }, { requestUid: 'late', state: 'not-applied', atMs: now },
          { requestUid: 'untracked', state: 'confirmed', atMs: now }, { requestUid: 'unknown', state: 'confirmed', atMs: now },
        ] as const;
        assert.equal(await store.setEventStates([...decisions]), 2, 'an event recorded without provenance stays without a state');
        assert.equal(await store.setEventStates([...decisions]), 0, 'the same decisions again change nothing');
        assert.equal(await store.setEventStates([{ requestUid: 'old', state: 'not-applied', atMs: now + 1 }]), 0, 'confirmed is final');
        assert.equal(await store.setEventStates([{ requestUid: 'late', state: 'confirmed', atMs: now + 2 }]), 1, 'a late watch confirms');
        // Within one call, applied in order: not-applied, then a confirmation that overrides it.
        assert.ok(await store.setEventStates([
          { requestUid: 'twice', state: 'not-applied', atMs: now + 3 }, { requestUid: 'twice', state: 'confirmed', atMs: now + 4 },
          { requestUid: 'twice', state: 'not-applied', atMs: now + 5 },
        ]) >= 1);
        assert.equal(await store.setEventStates([]), 0);
        const items = (await store.listEvents({}, 10, undefined, 'asc')).items;
        assert.deepEqual(items.map((item) => [item.requestUid, item.state ?? '-', item.stateChangedAt ?? '-']), [
          ['old', 'confirmed', new Date(now).toISOString()], ['new', 'pending', new Date(now - 1000).toISOString()], ['untracked', '-', '-'],
          ['late', 'confirmed', new Date(now + 2).toISOString()], ['twice', 'confirmed', new Date(now + 4).toISOString()],
        ]);
        const untracked = items[2]!;
        assert.ok(!('state' in untracked) && !('stateChangedAt' in untracked) && !('authorGuess' in untracked));
        assert.deepEqual(await store.getEvent(items[0]!.id), items[0]);
        assert.deepEqual((await store.pendingEvents(now + 1, 10)).map((item) => item.requestUid), ['new']);
        assert.equal(await store.setEventStates([{ requestUid: 'new', state: 'confirmed', atMs: now }]), 1);
        assert.equal(await store.oldestPendingTime(), null);
        assert.deepEqual(await store.pendingEvents(now + 1, 10), []);
      });
    });

    it('stores an unattributed change with its author guess, once per request uid, and reads it back everywhere', async () => {
      await withProvenanceStore(async (store) => {
        const now = Date.now();
        const guess = { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-12-03T06:00:00Z' };
        const unattributed = event('cm', now, {
          requestUid: 'watch:obj-cm:42:MODIFIED', state: 'unattributed', authorGuess: guess,
          user: { username: '', uid: '', groups: [], extra: {} }, fieldManager: '',
        });
        await store.append([unattributed]);
        await store.append([{ ...unattributed, time: new Date(now + 5).toISOString() }]);
        const { items } = await store.listEvents({}, 10);
        assert.equal(items.length, 1);
        const { id, stateChangedAt, ...stored } = items[0]!;
        assert.deepEqual(stored, unattributed);
        assert.equal(stateChangedAt, new Date(now).toISOString());
        assert.deepEqual(await store.getEvent(id), items[0]);
        assert.deepEqual(await store.history({ group: '', kind: 'ConfigMap', namespace: 'ns', name: 'cm' }), items);
        assert.deepEqual(await store.pendingEvents(now + 10, 10), [], 'unattributed is not pending');
        assert.equal(await store.setEventStates([{ requestUid: unattributed.requestUid, state: 'confirmed', atMs: now + 1 }]), 0, 'unattributed is final');
      });
    });

    it('saves, replaces and deletes the watched objects\' states, per resource, idempotently', async () => {
      await withProvenanceStore(async (store) => {
        const state = (resource: string, name: string, hash: string, namespace = 'ns'): ObjectState => ({
          resource, namespace, name, uid: `uid-${name}`, hash, resourceVersion: `rv-${hash}`, seenMs: Date.parse('2026-12-03T07:00:00Z'),
        });
        const sorted = (states: ObjectState[]) => [...states].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
        assert.deepEqual(await store.objectStates('apps/deployments'), []);
        await store.saveObjectStates([], []);
        await store.saveObjectStates([state('apps/deployments', 'a', 'h1'), state('apps/deployments', 'b', 'h2'), state('/configmaps', 'a', 'h9'),
          state('apps/deployments', 'a', 'h1', '')], []);
        assert.deepEqual(sorted(await store.objectStates('apps/deployments')),
          [state('apps/deployments', 'a', 'h1', ''), state('apps/deployments', 'a', 'h1'), state('apps/deployments', 'b', 'h2')]);
        assert.deepEqual(await store.objectStates('/configmaps'), [state('/configmaps', 'a', 'h9')]);
        const update = [state('apps/deployments', 'a', 'h3')];
        const deletes = [{ resource: 'apps/deployments', namespace: 'ns', name: 'b' }, { resource: 'apps/deployments', namespace: 'ns', name: 'never-saved' }];
        await store.saveObjectStates(update, deletes);
        await store.saveObjectStates(update, deletes);
        assert.deepEqual(sorted(await store.objectStates('apps/deployments')), [state('apps/deployments', 'a', 'h1', ''), state('apps/deployments', 'a', 'h3')]);
        assert.deepEqual(await store.objectStates('/configmaps'), [state('/configmaps', 'a', 'h9')], 'another resource\'s object of the same name stays');
        await store.saveObjectStates([], [{ resource: '/configmaps', namespace: 'ns', name: 'a' }]);
        assert.deepEqual(await store.objectStates('/configmaps'), []);
      });
    });

    it('answers ping while it can serve, and refuses appends after close after draining what was pending', async () => {
      const store = await kind.open(defaults);
      await store.ping();
      const pending = store.append([event('last', Date.now())]);
      await store.close();
      await pending;
      await assert.rejects(store.append([event('late', Date.now())]), /closed/);
      const reopened = await kind.open(defaults);
      await reopened.close();
    });
  });
}
