// Group commit, for both stores: appends wait in a queue, and whatever arrives while a batch commits goes into the
// next one (up to MAX_BATCH rows); each append resolves once its batch is committed. The store gives the function
// that commits one batch.
import { StoreError } from './types.ts';

export const MAX_BATCH = 2000;

/** Commits the rows in one transaction; resolves to how many events the per-object limit removed. */
export type CommitBatch<Row> = (rows: Row[]) => Promise<number>;

/** Called after each committed batch, for metrics. */
export type OnCommit = (batchSize: number, seconds: number, prunedPerObject: number) => void;

/** Runs one batch's commit, then tells `onCommit` its size, how long it took and how many events it trimmed. */
export async function timedCommit(batchSize: number, onCommit: OnCommit | undefined, commit: () => Promise<number>): Promise<number> {
  const started = process.hrtime.bigint();
  const trimmed = await commit();
  onCommit?.(batchSize, Number(process.hrtime.bigint() - started) / 1e9, trimmed);
  return trimmed;
}

interface PendingAppend<Row> {
  rows: Row[];
  resolve(): void;
  reject(error: Error): void;
}

export class GroupCommit<Row> {
  private readonly commitBatch: CommitBatch<Row>;
  private readonly onCommit: OnCommit | undefined;
  private pending: PendingAppend<Row>[] = [];
  private committing = false;
  private flushScheduled = false;

  constructor(commitBatch: CommitBatch<Row>, onCommit?: OnCommit) {
    this.commitBatch = commitBatch;
    this.onCommit = onCommit;
  }

  /** Resolves once the rows are committed; rejects with a StoreError when their batch failed. */
  add(rows: Row[]): Promise<void> {
    return new Promise((resolveAppend, rejectAppend) => {
      this.pending.push({ rows, resolve: resolveAppend, reject: rejectAppend });
      this.scheduleFlush();
    });
  }

  /** Commits everything queued, waiting for the batch in flight. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.committing) {
      if (!this.committing) await this.flush();
      else await new Promise((resolveTick) => setTimeout(resolveTick, 2));
    }
  }

  private scheduleFlush(): void {
    if (this.committing || this.flushScheduled || this.pending.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.committing || this.pending.length === 0) return;
    this.committing = true;
    const batch: PendingAppend<Row>[] = [];
    let size = 0;
    while (this.pending.length > 0 && (size === 0 || size + this.pending[0]!.rows.length <= MAX_BATCH)) {
      const next = this.pending.shift()!;
      batch.push(next);
      size += next.rows.length;
    }
    try {
      await timedCommit(size, this.onCommit, () => this.commitBatch(batch.flatMap((entry) => entry.rows)));
      for (const entry of batch) entry.resolve();
    } catch (error) {
      const failure = error instanceof StoreError ? error : new StoreError(`commit failed: ${(error as Error).message}`);
      for (const entry of batch) entry.reject(failure);
    } finally {
      this.committing = false;
      this.scheduleFlush();
    }
  }
}
