// The commit log's one consumer today: it moves records from the log into the store in large batches, off the
// request's path, and deletes segments the store has durably taken. Its cursor lives in the store, written in the
// transaction that stores the batch (LogConsumerStore), so a replay after a crash stores nothing twice. While the store
// fails (PostgreSQL down) it retries with a growing pause and loses nothing: the records wait in the log.
import type { CommitLog } from './commit-log.ts';
import { isPadding, type LogRecord } from './frame.ts';
import { rowLineProblem } from '../store/row-lines.ts';
import type { LogConsumerStore } from '../store/types.ts';

export interface IndexerOptions {
  /** The most log bytes one store transaction takes (at least one record). */
  batchBytes?: number;
  /** The most records one store transaction takes. */
  batchRecords?: number;
  /**
   * How long the indexer lets records gather before it stores them when it is caught up: a batch of many records
   * costs the store about what a batch of one does. A read that must see them cuts the wait short (waitFor).
   */
  gatherMs?: number;
  /** The first and the longest pause after a failed batch. */
  retryMs?: [number, number];
  onError?(error: Error, attempt: number): void;
  /** A record whose payload is not an event row: kept in the log, and indexing stops (a bug or damage). */
  onStuck?(error: Error): void;
}

type WakeReason = 'append' | 'urgent' | 'stop';

interface Waiter {
  position: number;
  resolve(reached: boolean): void;
  timer: NodeJS.Timeout;
}

export class LogIndexer {
  private readonly log: CommitLog;
  private readonly store: LogConsumerStore;
  private readonly batchBytes: number;
  private readonly batchRecords: number;
  private readonly gatherMs: number;
  private readonly retryMs: [number, number];
  private readonly options: IndexerOptions;
  /** Where the next record to store starts; unknown until the store has told it. */
  private cursor: number | undefined;
  private storedRecords = 0;
  private recoveredStoredRecords = 0;
  private waiters: Waiter[] = [];
  private wake: ((reason: WakeReason) => void) | undefined;
  private urgent = false;
  private stopping = false;
  private running: Promise<void> | undefined;
  private lastError: Error | undefined;
  private stuck: Error | undefined;
  private readonly unsubscribe: () => void;

  constructor(log: CommitLog, store: LogConsumerStore, options: IndexerOptions = {}) {
    this.log = log;
    this.store = store;
    this.options = options;
    this.batchBytes = options.batchBytes ?? 4 * 1024 * 1024;
    this.batchRecords = options.batchRecords ?? 2000;
    this.gatherMs = options.gatherMs ?? 20;
    this.retryMs = options.retryMs ?? [100, 1000];
    this.unsubscribe = log.onAppended(() => this.wake?.('append'));
  }

  start(): void {
    this.running ??= this.run();
  }

  /** The position up to which the store holds the log's records, once known. */
  get position(): number | undefined {
    return this.cursor;
  }

  /** Why the last batch failed, while the indexer is behind because of it. */
  get failure(): string | undefined {
    return this.stuck?.message ?? this.lastError?.message;
  }

  /** Records the open found in the log that the store already held. */
  get recoveredStored(): number {
    return this.recoveredStoredRecords;
  }

  /** Records stored since the start. */
  get stored(): number {
    return this.storedRecords;
  }

  /** Resolves true once the store holds every record before `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.cursor !== undefined && this.cursor >= position) return Promise.resolve(true);
    this.urgent = true;
    this.wake?.('urgent');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        position,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((other) => other !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Stops after the batch in flight; with `drainMs`, first keeps storing until caught up or that long has passed. */
  async stop(drainMs = 0): Promise<boolean> {
    const drained = drainMs > 0 ? await this.waitFor(this.log.head, drainMs) : this.cursor === this.log.head;
    this.stopping = true;
    this.unsubscribe();
    this.wake?.('stop');
    await this.running;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters = [];
    return drained;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      try {
        if (this.cursor === undefined) await this.learnCursor();
        if (this.cursor! >= this.log.head) {
          await this.sleep(undefined, 'idle');
          continue;
        }
        // Caught up a moment ago: let the records arriving now join this batch, unless a read waits for them.
        if (!this.urgent && this.log.head - this.cursor! < this.batchBytes / 4) await this.sleep(this.gatherMs, 'gather');
        this.urgent = false;
        await this.storeBatch();
        attempt = 0;
        this.lastError = undefined;
      } catch (error) {
        if (this.stuck) break;
        attempt += 1;
        this.lastError = error as Error;
        this.options.onError?.(error as Error, attempt);
        await this.sleep(Math.min(this.retryMs[0] * 2 ** (attempt - 1), this.retryMs[1]), 'retry');
      }
    }
  }

  private async learnCursor(): Promise<void> {
    const stored = await this.store.logCursor(this.log.id);
    if (stored > this.log.head) {
      this.stuck = new Error(`the store holds this commit log's records up to position ${stored}, but the log in ${this.log.dir} ends at ${this.log.head}: the log directory was replaced or restored from an older copy; new records would be taken for stored ones. Move the directory aside to start a new log`);
      this.options.onStuck?.(this.stuck);
      throw this.stuck;
    }
    let cursor = Math.max(stored, this.log.tail);
    // The log's records the store already held (the last batch before a stop or crash was stored, then its segment
    // not yet released): counted so that the backlog's record count is exact.
    let counted = 0;
    for (let at = this.log.tail; at < cursor;) {
      const records = await this.log.read(at, this.batchBytes);
      if (records.length === 0) break;
      for (const record of records) {
        if (record.end <= cursor) counted += 1;
        // `logistis log repair` replaced a damaged stretch holding several records with one padding record: a cursor
        // at a boundary inside it goes on after it (the padding holds nothing to store).
        else if (record.position < cursor && isPadding(record.payload)) {
          cursor = record.end;
          counted += 1;
        }
      }
      at = records.at(-1)!.end;
    }
    this.recoveredStoredRecords = counted;
    this.cursor = cursor;
    await this.log.release(cursor);
    this.settleWaiters();
  }

  private async storeBatch(): Promise<void> {
    const records = (await this.log.read(this.cursor!, this.batchBytes)).slice(0, this.batchRecords);
    if (records.length === 0) return;
    // Padding records (written by `logistis log repair` over damage) hold no event: skipped, but passed by the cursor.
    const rows = this.checked(records.filter((record) => !isPadding(record.payload)));
    const end = records.at(-1)!.end;
    if (rows.length > 0) await this.store.appendFromLog(rows, { logId: this.log.id, position: end });
    this.cursor = end;
    this.storedRecords += records.length;
    await this.log.release(end);
    this.settleWaiters();
  }

  /**
   * The payloads, once each looks like an event row line (rows are decoded where they are stored: the SQLite writer
   * thread decodes them itself, off the request thread). A payload that is not one stops indexing there.
   */
  private checked(records: LogRecord[]): Buffer[] {
    for (const record of records) {
      const reason = rowLineProblem(record.payload);
      if (reason) {
        this.stuck = new Error(`the commit log record at position ${record.position} in ${this.log.dir} is not an event row (${reason}); indexing stopped there`);
        this.options.onStuck?.(this.stuck);
        throw this.stuck;
      }
    }
    return records.map((record) => record.payload);
  }

  private settleWaiters(): void {
    const cursor = this.cursor ?? -1;
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.position > cursor) return true;
      clearTimeout(waiter.timer);
      waiter.resolve(true);
      return false;
    });
  }

  /**
   * Waits `ms` (undefined: no limit) or until something it listens to happens: the stop always; a read that waits
   * (urgent) unless the wait is a retry's pause; a durable append only when caught up (idle).
   */
  private sleep(ms: number | undefined, kind: 'idle' | 'gather' | 'retry'): Promise<void> {
    const heeds: Record<typeof kind, Set<WakeReason>> = {
      idle: new Set(['append', 'urgent', 'stop']), gather: new Set(['urgent', 'stop']), retry: new Set(['stop']),
    };
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.wake = (reason) => { if (heeds[kind].has(reason)) done(); };
    });
  }
}
