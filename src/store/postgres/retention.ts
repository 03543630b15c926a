// Retention on PostgreSQL: by age, whole day partitions are dropped and the older part of the day the cut falls in
// deleted in small steps; by size, the oldest partitions go first, then the oldest rows of today.
import type pg from 'pg';
import { HOUR_MS } from '../read-rows.ts';
import { StoreError, type PruneResult, type RetentionPolicy } from '../types.ts';
import type { Partitions } from './partitions.ts';

const PRUNE_CHUNK = 5000;

export class Retention {
  private readonly pool: pg.Pool;
  private readonly partitions: Partitions;
  private readonly policy: RetentionPolicy;
  private readonly closed: () => boolean;

  constructor(pool: pg.Pool, partitions: Partitions, policy: RetentionPolicy, closed: () => boolean) {
    this.pool = pool;
    this.partitions = partitions;
    this.policy = policy;
    this.closed = closed;
  }

  /**
   * Drops the day partitions wholly older than the retention age, then deletes the older part of the day the
   * cut falls in, in small steps. Creates the partitions ahead as it goes.
   */
  async prune(nowMs: number): Promise<PruneResult> {
    const beforeMs = nowMs - this.policy.maxAgeMs;
    let prunedByAge = 0;
    try {
      await this.partitions.ensureAhead(nowMs);
      for (const partition of await this.partitions.list()) {
        if (partition.toMs > beforeMs) break;
        prunedByAge += await this.partitions.drop(partition);
      }
      for (;;) {
        const deleted = (await this.pool.query(
          'DELETE FROM events WHERE (id, time_ms) IN (SELECT id, time_ms FROM events WHERE time_ms < $1 LIMIT $2)', [beforeMs, PRUNE_CHUNK],
        )).rowCount ?? 0;
        prunedByAge += deleted;
        if (deleted < PRUNE_CHUNK || this.closed()) break;
      }
      await this.pool.query('DELETE FROM activity WHERE hour < $1', [Math.floor(beforeMs / HOUR_MS)]);
      await this.pool.query('DELETE FROM request_uids WHERE time_ms < $1', [beforeMs]);
    } catch (error) {
      throw new StoreError(`pruning failed: ${(error as Error).message}`);
    }
    let prunedBySize = 0;
    if (this.policy.maxStoreBytes) {
      try {
        prunedBySize = await this.pruneBySize(this.policy.maxStoreBytes, nowMs);
      } catch (error) {
        throw new StoreError(`pruning by size failed: ${(error as Error).message}`);
      }
    }
    return { prunedByAge, prunedBySize };
  }

  /** Bytes the store's tables take on disk, indexes and TOAST included. */
  async sizeBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: string }>(`
      SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes FROM pg_class c
      WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass)
        OR c.oid IN ('request_uids'::regclass, 'activity'::regclass, 'resource_kinds'::regclass, 'object_states'::regclass)`);
    return Number(rows[0]!.bytes);
  }

  /**
   * While over the limit: drop the oldest day partitions (which frees their space at once), never today's; if
   * today alone is over, delete the oldest rows worth the excess (their space is reused once vacuumed).
   */
  private async pruneBySize(maxBytes: number, nowMs: number): Promise<number> {
    let pruned = 0;
    for (const partition of await this.partitions.list()) {
      if (this.closed() || partition.toMs > nowMs || (await this.sizeBytes()) <= maxBytes) break;
      pruned += await this.partitions.drop(partition);
    }
    const [oldest] = await this.partitions.list();
    // The uids of dropped days go too: nothing of theirs is left to retry against.
    if (oldest && pruned > 0) await this.pool.query('DELETE FROM request_uids WHERE time_ms < $1', [oldest.fromMs]);
    const size = await this.sizeBytes();
    if (size <= maxBytes || this.closed()) return pruned;
    const { rows } = await this.pool.query<{ events: string }>('SELECT count(*) AS events FROM events');
    const events = Number(rows[0]!.events);
    if (events === 0) return pruned;
    let excess = Math.ceil(((size - maxBytes) / size) * events);
    while (excess > 0 && !this.closed()) {
      const deleted = (await this.pool.query(
        'DELETE FROM events WHERE (id, time_ms) IN (SELECT id, time_ms FROM events ORDER BY time_ms, id LIMIT $1)', [Math.min(excess, PRUNE_CHUNK)],
      )).rowCount ?? 0;
      if (deleted === 0) break;
      pruned += deleted;
      excess -= deleted;
    }
    return pruned;
  }
}
