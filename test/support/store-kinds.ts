// The two EventStores a store test runs against: the embedded SQLite store in a temp dir, and a real PostgreSQL
// (Debian's postgresql package, started by harness/postgres.ts on a free loopback port), each store a new database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-store.ts';
import { PostgresEventStore } from '../../src/store/postgres/postgres-store.ts';
import type { EventStore, RetentionPolicy } from '../../src/store/types.ts';
import { startPostgres, type Postgres } from '../../harness/postgres.ts';

export interface StoreKind {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A new, empty store. */
  open(retention: RetentionPolicy): Promise<EventStore>;
}

/** SQLite and PostgreSQL; `prefix` names their temp dirs and databases, `poolSize` PostgreSQL's pool. */
export function storeKinds(prefix: string, poolSize: number): StoreKind[] {
  let dir = '';
  let server: Postgres | undefined;
  let count = 0;
  return [
    {
      name: 'SQLite',
      async setUp() { dir = mkdtempSync(join(tmpdir(), `logistis-${prefix}-`)); },
      async tearDown() { rmSync(dir, { recursive: true, force: true }); },
      open: (retention) => SqliteEventStore.open(join(dir, `events-${++count}.db`), retention),
    },
    {
      name: 'PostgreSQL',
      async setUp() { server = await startPostgres(); },
      async tearDown() { await server?.destroy(); },
      open: async (retention) => PostgresEventStore.open({ url: await server!.createDatabase(`${prefix}_${++count}`), poolSize }, retention),
    },
  ];
}
