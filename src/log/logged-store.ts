// The store as the server uses it once the commit log is in front of it: an append is durable when its record is in
// the log (the indexer fills the store later, in batches), and whatever reads the store first waits, bounded, for
// the indexer to pass the log position the read started at, so an acknowledged change is in every later answer.
// Provenance's state updates wait the same way and fail (to be retried by the watcher) rather than miss an event
// still only in the log.
import type { ChangeEvent, NewChangeEvent, ObjectKey } from '../event.ts';
import { toEventRow } from '../store/event-codec.ts';
import { encodeRow } from '../store/row-lines.ts';
import {
  StoreError,
  type ActivityCounts, type ActivityQuery, type EventFilter, type EventPage, type EventStateChange, type EventStore,
  type LogConsumerStore, type NamespaceActivity, type ObjectState, type ObjectStateKey, type ProvenanceStore,
  type PruneResult,
} from '../store/types.ts';
import { LogError, type CommitLog } from './commit-log.ts';
import { LogIndexer } from './indexer.ts';

export type InnerStore = EventStore & ProvenanceStore & LogConsumerStore;

export interface LoggedStoreOptions {
  /** How long a read waits for the indexer before it answers from what the store has. */
  readWaitMs: number;
  /** How long close() keeps storing the log's records before it leaves the rest for the next start. */
  closeDrainMs: number;
}

/** What /readyz and the metrics say about the log and the store behind it. */
export interface LogHealth {
  logId: string;
  /** Bytes and records appended but not yet in the store, and the age of the oldest of them. */
  backlogBytes: number;
  backlogRecords: number;
  oldestRecordSeconds: number;
  logBytes: number;
  maxLogBytes: number;
  /** Why the store is not taking records now, if it is not. */
  storeBehind?: string;
}

export class LoggedStore implements EventStore, ProvenanceStore {
  readonly inner: InnerStore;
  readonly log: CommitLog;
  readonly indexer: LogIndexer;
  private readonly options: LoggedStoreOptions;
  private appended = 0;
  private closed = false;

  constructor(inner: InnerStore, log: CommitLog, indexer: LogIndexer, options: LoggedStoreOptions) {
    this.inner = inner;
    this.log = log;
    this.indexer = indexer;
    this.options = options;
  }

  async append(events: NewChangeEvent[]): Promise<void> {
    if (this.closed) throw new StoreError('the store is closed');
    try {
      await Promise.all(events.map((event) => this.log.append(Buffer.from(encodeRow(toEventRow(event))))));
      this.appended += events.length;
    } catch (error) {
      if (error instanceof LogError) throw new StoreError(error.message, error.lostReason);
      throw error;
    }
  }

  /** Resolves once the store holds every record appended before the call, or after `ms` (then false). */
  caughtUp(ms = this.options.readWaitMs): Promise<boolean> {
    return this.indexer.waitFor(this.log.head, ms);
  }

  health(nowMs = Date.now()): LogHealth {
    const position = this.indexer.position ?? this.log.tail;
    const oldest = this.log.oldestAppendedMs(position);
    return {
      logId: this.log.id,
      backlogBytes: Math.max(0, this.log.head - position),
      // The open's records and the appends since, less those the store holds: stored since the start, or already
      // before it (known once the indexer has read its cursor).
      backlogRecords: Math.max(0, this.log.recovery.records + this.appended - this.indexer.stored - this.indexer.recoveredStored),
      oldestRecordSeconds: oldest === null ? 0 : Math.max(0, (nowMs - oldest) / 1000),
      logBytes: this.log.bytesOnDisk,
      maxLogBytes: this.log.maxLogBytes,
      ...(this.indexer.failure ? { storeBehind: this.indexer.failure } : {}),
    };
  }

  async listEvents(filter: EventFilter, limit: number, cursor?: string, order?: 'asc' | 'desc', maxBytes?: number): Promise<EventPage> {
    await this.caughtUp();
    return this.inner.listEvents(filter, limit, cursor, order, maxBytes);
  }

  async getEvent(id: string): Promise<ChangeEvent | null> {
    await this.caughtUp();
    return this.inner.getEvent(id);
  }

  async objectGroups(kind: string, namespace: string, name: string): Promise<string[]> {
    await this.caughtUp();
    return this.inner.objectGroups(kind, namespace, name);
  }

  async history(key: ObjectKey, filter?: Pick<EventFilter, 'sinceMs' | 'untilMs'>): Promise<ChangeEvent[]> {
    await this.caughtUp();
    return this.inner.history(key, filter);
  }

  async overview(sinceMs: number, topUsers?: number): Promise<NamespaceActivity[]> {
    await this.caughtUp();
    return this.inner.overview(sinceMs, topUsers);
  }

  async activity(query: ActivityQuery): Promise<ActivityCounts> {
    await this.caughtUp();
    return this.inner.activity(query);
  }

  pruneByAge(nowMs: number): Promise<PruneResult> {
    return this.inner.pruneByAge(nowMs);
  }

  resourceKinds(): Promise<{ group: string; resource: string; kind: string }[]> {
    return this.inner.resourceKinds();
  }

  /** Ready while the log takes appends: the store being down or behind is reported (health), not a failure. */
  async ping(): Promise<void> {
    if (this.closed) throw new StoreError('the store is closed');
    const failure = this.log.failure;
    if (failure) throw new StoreError(`the commit log cannot be written: ${failure}`);
    const full = this.log.full ?? (this.log.bytesOnDisk >= this.log.maxLogBytes ? `${this.log.bytesOnDisk} bytes, --max-log-bytes ${this.log.maxLogBytes}` : undefined);
    if (full) {
      throw new StoreError(`the commit log is full (${full}): new captures are allowed but not recorded${this.indexer.failure ? `; the store is not taking records: ${this.indexer.failure}` : ''}`);
    }
  }

  /**
   * A state change for an event still only in the log would change nothing: wait until the store holds every event
   * acknowledged so far, and fail otherwise, so that the watcher keeps the change and tries again.
   */
  async setEventStates(changes: EventStateChange[]): Promise<number> {
    await this.requireCaughtUp('state update');
    return this.inner.setEventStates(changes);
  }

  async pendingEvents(beforeMs: number, limit: number): Promise<ChangeEvent[]> {
    await this.requireCaughtUp('reading pending events');
    return this.inner.pendingEvents(beforeMs, limit);
  }

  async oldestPendingTime(): Promise<number | null> {
    await this.caughtUp();
    return this.inner.oldestPendingTime();
  }

  saveObjectStates(states: ObjectState[], deleted: ObjectStateKey[]): Promise<void> {
    return this.inner.saveObjectStates(states, deleted);
  }

  objectStates(resource: string): Promise<ObjectState[]> {
    return this.inner.objectStates(resource);
  }

  private async requireCaughtUp(what: string): Promise<void> {
    if (!(await this.caughtUp())) {
      throw new StoreError(`${what} postponed: the store has not yet taken every event of the commit log${this.indexer.failure ? ` (${this.indexer.failure})` : ''}`);
    }
  }

  /** Stops taking appends, stores what it can within closeDrainMs (the rest waits in the log), and closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.log.close();
    await this.indexer.stop(this.options.closeDrainMs);
    await this.inner.close();
  }
}
