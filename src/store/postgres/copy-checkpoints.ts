// How far `logistis migrate` (store/copy.ts) has copied each source store into PostgreSQL, so a copy resumes.
import type pg from 'pg';

/** The last source id a copy from `source` committed, or 0. */
export async function copyCheckpoint(pool: pg.Pool, source: string): Promise<number> {
  const { rows } = await pool.query<{ last_id: string }>('SELECT last_id FROM copy_checkpoints WHERE source = $1', [source]);
  return rows[0] ? Number(rows[0].last_id) : 0;
}

export async function saveCopyCheckpoint(pool: pg.Pool, source: string, lastId: number): Promise<void> {
  await pool.query(`
    INSERT INTO copy_checkpoints (source, last_id) VALUES ($1, $2)
    ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id, updated_at = now()`, [source, lastId]);
}
