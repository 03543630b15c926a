// Applies the PostgreSQL store's migrations (schema.ts) under a session advisory lock, so replicas starting at once
// apply each exactly once, and refuses a database whose schema is newer than this logistis.
import type pg from 'pg';
import { POSTGRES_MIGRATIONS, SCHEMA_LOCK_KEY } from './schema.ts';

export async function applyMigrations(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Session lock: replicas starting together wait here, then find the migrations applied.
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK_KEY]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
      for (const migration of POSTGRES_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${migration.version} (${migration.description}) failed: ${(error as Error).message}`);
        }
      }
      const newest = Math.max(...POSTGRES_MIGRATIONS.map((migration) => migration.version));
      const ahead = [...applied].filter((version) => version > newest);
      if (ahead.length > 0) throw new Error(`the database has schema version ${Math.max(...ahead)}, newer than this logistis knows (${newest}); upgrade logistis`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
