import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeUrl, poolConfig } from '../../../src/store/postgres/connection.ts';
import { partitionName } from '../../../src/store/postgres/partitions.ts';
import { POSTGRES_MIGRATIONS } from '../../../src/store/postgres/schema.ts';
import { parseStoreSpec } from '../../../src/store/index.ts';

describe('PostgreSQL connection settings', () => {
  it('passes the URL through, with the pool size and timeouts', () => {
    const config = poolConfig({ url: 'postgres://logistis@db:5432/audit?sslmode=require', poolSize: 3 });
    assert.equal(config.connectionString, 'postgres://logistis@db:5432/audit?sslmode=require');
    assert.equal(config.max, 3);
    assert.ok((config.connectionTimeoutMillis ?? 0) > 0);
  });

  it('reads the password from its file at each connection, over an empty one in the URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-pg-unit-'));
    try {
      const file = join(dir, 'password');
      writeFileSync(file, 'first\n');
      const config = poolConfig({ url: 'postgres://logistis@db:5433/audit', passwordFile: file });
      assert.equal(config.connectionString, undefined);
      assert.equal(config.host, 'db');
      assert.equal(String(config.port), '5433');
      assert.equal(config.user, 'logistis');
      assert.equal(config.database, 'audit');
      const password = config.password as () => Promise<string>;
      assert.equal(await password(), 'first');
      writeFileSync(file, 'rotated\n');
      assert.equal(await password(), 'rotated');
      assert.throws(() => poolConfig({ url: 'postgres://db/x', passwordFile: join(dir, 'missing') }), /cannot read the PostgreSQL password file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires a verified TLS connection when given a CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logistis-pg-unit-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const config = poolConfig({ url: 'postgres://db/x', tlsCaFile: join(dir, 'ca.pem') });
      assert.deepEqual(config.ssl, { rejectUnauthorized: true, ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never shows the password in messages', () => {
    assert.equal(describeUrl('postgres://logistis:s3cret@db:5432/audit'), 'postgres://logistis:***@db:5432/audit');
    assert.ok(!describeUrl('postgres://u:p%40ss@db/x').includes('p%40ss'));
  });

  it('accepts postgres:// and postgresql:// stores', () => {
    assert.deepEqual(parseStoreSpec('postgres://db/x'), { driver: 'postgres', location: 'postgres://db/x' });
    assert.equal(parseStoreSpec('postgresql://db/x').driver, 'postgres');
  });
});

describe('PostgreSQL schema', () => {
  it('numbers its migrations 1, 2, … without gaps', () => {
    assert.deepEqual(POSTGRES_MIGRATIONS.map((migration) => migration.version), POSTGRES_MIGRATIONS.map((_, i) => i + 1));
  });

  it('names a day partition by its UTC date', () => {
    assert.equal(partitionName(Math.floor(Date.UTC(2026, 11, 3, 23, 59) / 86_400_000)), 'events_d20261203');
    assert.equal(partitionName(0), 'events_d19700101');
  });
});
