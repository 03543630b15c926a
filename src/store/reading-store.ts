// What both stores answer from their reader (sqlite-reader.ts, postgres-reader.ts) as it is: every read of
// EventStore and ProvenanceStore, refused once the store is closed. A store adds its writes and its lifecycle.
import type { ChangeEvent, ObjectKey } from '../event.ts';
import {
  StoreError, type ActivityCounts, type ActivityQuery, type EventFilter, type EventPage, type EventStore, type NamespaceActivity, type ObjectState,
  type ProvenanceStore,
} from './types.ts';

/** A store's read side: the reads of EventStore and ProvenanceStore. */
export type EventReader = Pick<EventStore, 'listEvents' | 'getEvent' | 'objectGroups' | 'history' | 'overview' | 'activity' | 'resourceKinds'>
  & Pick<ProvenanceStore, 'pendingEvents' | 'oldestPendingTime' | 'objectStates'>;

export abstract class ReadingStore<Reader extends EventReader> {
  protected closed = false;
  protected abstract readonly reader: Reader;

  protected reading(): Reader {
    if (this.closed) throw new StoreError('the store is closed');
    return this.reader;
  }

  listEvents(filter: EventFilter, limit: number, cursor?: string, order: 'asc' | 'desc' = 'desc', maxBytes?: number): Promise<EventPage> {
    return this.reading().listEvents(filter, limit, cursor, order, maxBytes);
  }

  getEvent(id: string): Promise<ChangeEvent | null> {
    return this.reading().getEvent(id);
  }

  objectGroups(kind: string, namespace: string, name: string): Promise<string[]> {
    return this.reading().objectGroups(kind, namespace, name);
  }

  history(key: ObjectKey, filter: Pick<EventFilter, 'sinceMs' | 'untilMs'> = {}): Promise<ChangeEvent[]> {
    return this.reading().history(key, filter);
  }

  overview(sinceMs: number, topUsers = 3): Promise<NamespaceActivity[]> {
    return this.reading().overview(sinceMs, topUsers);
  }

  activity(query: ActivityQuery): Promise<ActivityCounts> {
    return this.reading().activity(query);
  }

  resourceKinds(): Promise<{ group: string; resource: string; kind: string }[]> {
    return this.reading().resourceKinds();
  }

  pendingEvents(beforeMs: number, limit: number): Promise<ChangeEvent[]> {
    return this.reading().pendingEvents(beforeMs, limit);
  }

  oldestPendingTime(): Promise<number | null> {
    return this.reading().oldestPendingTime();
  }

  objectStates(resource: string): Promise<ObjectState[]> {
    return this.reading().objectStates(resource);
  }
}
