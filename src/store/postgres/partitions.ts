// The events table's day partitions: kept ready a few days ahead (and created on demand for an odd timestamp), so
// a capture never waits for one, and dropped whole by retention. One replica at a time changes them.
import pg from 'pg';
import { SCHEMA_LOCK_KEY } from './schema.ts';

export const DAY_MS = 86_400_000;
/** Partitions kept ready ahead of today, so a capture never waits for one to be created. */
const DAYS_AHEAD = 3;

export function partitionName(day: number): string {
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
  return `events_d${date}`;
}

export interface Partition {
  name: string;
  fromMs: number;
  toMs: number;
}

export class Partitions {
  private readonly pool: pg.Pool;
  /** The days this server knows to have a partition. */
  private readonly days = new Set<number>();

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /** The day partitions of events, oldest first. */
  async list(): Promise<Partition[]> {
    const rows = (await this.pool.query<{ name: string; bound: string }>(`
      SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass`)).rows;
    const partitions: Partition[] = [];
    for (const row of rows) {
      const match = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(row.bound);
      if (match) partitions.push({ name: row.name, fromMs: Number(match[1]), toMs: Number(match[2]) });
    }
    return partitions.sort((a, b) => a.fromMs - b.fromMs);
  }

  /** Makes sure the days of these times have partitions. */
  forTimes(timesMs: Iterable<number>): Promise<void> {
    const days = new Set<number>();
    for (const timeMs of timesMs) days.add(Math.floor(timeMs / DAY_MS));
    return this.ensure([...days]);
  }

  ensureAhead(nowMs: number): Promise<void> {
    const today = Math.floor(nowMs / DAY_MS);
    return this.ensure(Array.from({ length: DAYS_AHEAD + 2 }, (_, i) => today - 1 + i));
  }

  /** Forgets what it knew: another replica may have dropped a day this one thought it had. */
  forget(): void {
    this.days.clear();
  }

  private async ensure(days: number[]): Promise<void> {
    const missing = days.filter((day) => !this.days.has(day));
    if (missing.length === 0) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // One replica at a time changes the partitions; the others then find them there.
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      for (const day of missing) {
        await client.query(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF events FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`);
      }
      await client.query('COMMIT');
      for (const day of missing) this.days.add(day);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Drops one partition; returns how many events it held. */
  async drop(partition: Partition): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      const exists = (await client.query('SELECT 1 FROM pg_class WHERE relname = $1', [partition.name])).rowCount;
      if (!exists) {
        await client.query('COMMIT');
        return 0;
      }
      const name = pg.escapeIdentifier(partition.name);
      const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${name}`);
      await client.query(`DROP TABLE ${name}`);
      await client.query('COMMIT');
      this.days.delete(Math.floor(partition.fromMs / DAY_MS));
      return Number(rows[0]!.count);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
