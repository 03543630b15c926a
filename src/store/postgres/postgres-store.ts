// The EventStore on PostgreSQL, for several replicas sharing one database. This file wires its parts: readiness
// (readiness.ts), migrations (migrations.ts), day partitions (partitions.ts), the group commit (store/group-commit.ts)
// of batches written by one statement (append-batch.ts; a retried review is stored once across replicas),
// provenance states (provenance-states.ts), retention (retention.ts), `logistis migrate`'s checkpoints
// (copy-checkpoints.ts), and reads (postgres-reader.ts).
import type pg from 'pg';
import type { NewChangeEvent } from '../../event.ts';
import {
  StoreError,
  type EventStateChange, type EventStore, type ObjectState, type ObjectStateKey, type ProvenanceStore, type PruneResult,
  type LogConsumerStore, type RetentionPolicy,
} from '../types.ts';
import type { EventRow } from '../event-columns.ts';
import { toEventRow } from '../event-codec.ts';
import { GroupCommit, timedCommit, type OnCommit } from '../group-commit.ts';
import { ReadingStore } from '../reading-store.ts';
import { describeUrl, openPool, type PostgresOptions } from './connection.ts';
import { PostgresReader } from './postgres-reader.ts';
import { Readiness } from './readiness.ts';
import { applyMigrations } from './migrations.ts';
import { Partitions, type Partition } from './partitions.ts';
import { AppendBatch, logCursor } from './append-batch.ts';
import { decodeRowPayloads, type LogCursor } from '../row-lines.ts';
import { Retention } from './retention.ts';
import { saveObjectStates, setEventStates } from './provenance-states.ts';
import { copyCheckpoint, saveCopyCheckpoint } from './copy-checkpoints.ts';

export interface PostgresStoreHooks {
  /** Called after each committed batch, for metrics. */
  onCommit?: OnCommit;
}

export class PostgresEventStore extends ReadingStore<PostgresReader> implements EventStore, ProvenanceStore, LogConsumerStore {
  readonly options: PostgresOptions;
  private readonly pool: pg.Pool;
  protected readonly reader: PostgresReader;
  private readonly partitionSet: Partitions;
  private readonly batches: AppendBatch;
  private readonly commits: GroupCommit<EventRow>;
  private readonly retention: Retention;
  private readonly readiness: Readiness;
  private readonly hooks: PostgresStoreHooks;

  private constructor(options: PostgresOptions, retention: RetentionPolicy, hooks: PostgresStoreHooks) {
    super();
    this.options = options;
    this.hooks = hooks;
    this.pool = openPool(options);
    this.reader = new PostgresReader(this.pool);
    this.partitionSet = new Partitions(this.pool);
    this.batches = new AppendBatch(this.pool, this.partitionSet, retention.maxEventsPerObject);
    this.commits = new GroupCommit((rows) => this.commitBatch(rows), hooks.onCommit);
    this.retention = new Retention(this.pool, this.partitionSet, retention, () => this.closed);
    this.readiness = new Readiness(options.url, async () => {
      await applyMigrations(this.pool);
      await this.partitionSet.ensureAhead(Date.now());
    });
  }

  /**
   * Connects, applies pending migrations and creates the partitions ahead. An unreachable database is no error:
   * the store serves (fail-open, not ready) and keeps trying in the background.
   */
  static async open(options: PostgresOptions, retention: RetentionPolicy, hooks: PostgresStoreHooks = {}): Promise<PostgresEventStore> {
    let store: PostgresEventStore;
    try {
      store = new PostgresEventStore(options, retention, hooks);
    } catch (error) {
      throw new StoreError((error as Error).message);
    }
    try {
      await store.readiness.start();
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw new StoreError(`cannot open ${describeUrl(options.url)}: ${(error as Error).message}`);
    }
    return store;
  }

  /** The day partitions of events, oldest first. */
  partitions(): Promise<Partition[]> {
    return this.partitionSet.list();
  }

  append(events: NewChangeEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError('the store is closed'));
    if (events.length === 0) return Promise.resolve();
    return this.commits.add(events.map(toEventRow));
  }

  private async commitBatch(rows: EventRow[], cursor?: LogCursor): Promise<number> {
    if (this.readiness.notReady) throw new StoreError(`not ready: ${this.readiness.notReady}`);
    return this.batches.commit(rows, cursor);
  }

  async logCursor(logId: string): Promise<number> {
    if (this.readiness.notReady) throw new StoreError(`not ready: ${this.readiness.notReady}`);
    return logCursor(this.pool, logId);
  }

  async appendFromLog(payloads: Buffer[], cursor: LogCursor): Promise<number> {
    if (this.closed) throw new StoreError('the store is closed');
    const rows = decodeRowPayloads(payloads);
    return timedCommit(rows.length, this.hooks.onCommit, () => this.commitBatch(rows, cursor));
  }







  async setEventStates(changes: EventStateChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    if (this.closed) throw new StoreError('the store is closed');
    return setEventStates(this.pool, changes);
  }



  async saveObjectStates(states: ObjectState[], deleted: ObjectStateKey[]): Promise<void> {
    if (states.length === 0 && deleted.length === 0) return;
    if (this.closed) throw new StoreError('the store is closed');
    return saveObjectStates(this.pool, states, deleted);
  }



  pruneByAge(nowMs: number): Promise<PruneResult> {
    return this.retention.prune(nowMs);
  }

  /** Bytes the store's tables take on disk, indexes and TOAST included. */
  sizeBytes(): Promise<number> {
    return this.retention.sizeBytes();
  }

  /** The last source id a copy from `source` committed, or 0. */
  copyCheckpoint(source: string): Promise<number> {
    return copyCheckpoint(this.pool, source);
  }

  saveCopyCheckpoint(source: string, lastId: number): Promise<void> {
    return saveCopyCheckpoint(this.pool, source, lastId);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new StoreError('the store is closed');
    if (this.readiness.notReady) throw new StoreError(this.readiness.notReady);
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw new StoreError(`PostgreSQL unreachable: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.commits.drain();
    this.closed = true;
    this.readiness.stop();
    await this.pool.end();
  }
}
