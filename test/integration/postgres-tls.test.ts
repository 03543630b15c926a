// The PostgreSQL store over TLS: a real PostgreSQL with a certificate from a CA of the test's own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPool } from '../../src/store/postgres/connection.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import { StoreError } from '../../src/store/types.ts';
import { createCa } from '../../harness/certs.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';

const RETENTION = { maxEventsPerObject: 100, maxAgeMs: 86_400_000 };

describe('PostgreSQL over TLS', () => {
  let postgres: Postgres;
  let dir: string;
  before(async () => {
    postgres = await startPostgres({ tls: true });
    dir = mkdtempSync(join(tmpdir(), 'logistis-pg-tls-'));
  });
  after(async () => {
    await postgres.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with TLS, verifying the server against --store-tls-ca-file', async () => {
    const url = await postgres.createDatabase('tls');
    const pool = openPool({ url, tlsCaFile: postgres.caPath! });
    try {
      const { rows } = await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      assert.deepEqual(rows, [{ ssl: true }]);
    } finally {
      await pool.end();
    }
    const store = await PostgresEventStore.open({ url, tlsCaFile: postgres.caPath! }, RETENTION);
    await store.ping();
    await store.close();
  });

  it('refuses a server whose certificate another CA signed, and says so at start', async () => {
    const url = await postgres.createDatabase('tls_other_ca');
    const other = await createCa(dir, { name: 'other-ca', commonName: 'someone-else' });
    await assert.rejects(
      PostgresEventStore.open({ url, tlsCaFile: other.certPath }, RETENTION),
      (error: Error) => error instanceof StoreError && /cannot open postgres:\/\/logistis:\*\*\*@127\.0\.0\.1:\d+\/tls_other_ca: .*(certificate|self.signed)/i.test(error.message),
    );
  });
});
