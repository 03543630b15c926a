// The one event codec and the one filter table, through both stores: an event with every field set comes back
// whole from the embedded SQLite store and a real PostgreSQL (harness/postgres.ts), and each store's list decides a
// filter as the live stream's in-memory test does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventFilter, RetentionPolicy } from '../../src/store/types.ts';
import type { ChangeEvent, NewChangeEvent } from '../../src/event.ts';
import { matchesFilter } from '../../src/store/event-filter.ts';
import { storeKinds } from '../support/store-kinds.ts';
import { everyFieldEvent } from '../support/every-field-event.ts';

const RETENTION: RetentionPolicy = { maxEventsPerObject: 100, maxAgeMs: 30 * 86_400_000 };

const withoutId = ({ id: _id, ...event }: ChangeEvent): NewChangeEvent => event;

for (const kind of storeKinds('codec', 2)) {
  describe(`event codec and filter table: ${kind.name}`, () => {
    before(() => kind.setUp());
    after(() => kind.tearDown());

    it('reads back an event with every field set, field for field, by id, list and history', async () => {
      const store = await kind.open(RETENTION);
      try {
        const written = withoutId(everyFieldEvent(Date.now() - 60_000));
        await store.append([written]);
        const [listed] = (await store.listEvents({}, 10)).items;
        assert.ok(listed, 'the event is listed');
        const byId = await store.getEvent(listed.id);
        const [inHistory] = await store.history(written);
        for (const [how, read] of [['list', listed], ['id', byId], ['history', inHistory]] as const) {
          assert.ok(read, `found by ${how}`);
          for (const field of Object.keys(written) as (keyof NewChangeEvent)[]) {
            assert.deepEqual(read[field], written[field], `${field}, read by ${how}`);
          }
          assert.deepEqual(withoutId(read), written, `read by ${how}`);
        }
      } finally {
        await store.close();
      }
    });

    it('lists what the live stream would pass, for every filter field', async () => {
      const store = await kind.open(RETENTION);
      try {
        const base = Date.now() - 3_600_000;
        const variants: Partial<NewChangeEvent>[] = [
          {},
          { namespace: 'other-namespace', group: '', kind: 'ConfigMap', name: 'other-name', operation: 'CREATE' },
          { user: { username: 'someone-else', uid: '', groups: ['system:authenticated'], extra: {} }, operation: 'DELETE' },
          { kind: 'ConfigMap', user: { username: 'user-name', uid: '', groups: ['user-group-b'], extra: {} } },
        ];
        const written = variants.map((fields, index) => ({ ...withoutId(everyFieldEvent(base + index * 60_000, `filter-uid-${index}`)), ...fields }));
        await store.append(written);
        const all = (await store.listEvents({}, 100)).items;
        assert.equal(all.length, written.length);
        const filters: EventFilter[] = [
          { namespace: 'namespace-1' }, { namespace: 'other-namespace' }, { group: '' }, { group: 'api-group.example.com' },
          { kind: 'ConfigMap' }, { name: 'name-1' }, { user: 'user-name' }, { user: 'someone-else' }, { userGroup: 'user-group-a' },
          { userGroup: 'user-group-b' }, { userGroup: 'nobody' }, { operation: 'DELETE' }, { operation: 'UPDATE' },
          { sinceMs: base + 60_000 }, { untilMs: base + 120_000 }, { sinceMs: base + 60_000, untilMs: base + 180_000, kind: 'ConfigMap' },
        ];
        for (const filter of filters) {
          const listed = (await store.listEvents(filter, 100)).items.map((event) => event.id);
          const passed = all.filter((event) => matchesFilter(event, filter)).map((event) => event.id);
          assert.deepEqual(listed, passed, JSON.stringify(filter));
          assert.ok(passed.length < all.length, `${JSON.stringify(filter)} leaves something out`);
        }
      } finally {
        await store.close();
      }
    });
  });
}
