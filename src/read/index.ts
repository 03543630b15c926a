// Where a server's reads are answered: on reader threads for the SQLite and PostgreSQL stores, on the calling
// thread for a store without a file or database a second connection could open.
import type { EventStore } from '../store/types.ts';
import { SqliteEventStore } from '../store/sqlite/sqlite-store.ts';
import { PostgresEventStore } from '../store/postgres/postgres-store.ts';
import { localReads } from './answer.ts';
import { LoggedStore } from '../log/logged-store.ts';
import type { Reads } from './requests.ts';
import { DEFAULT_READ_POOL, ThreadReads, type ReadPoolSettings } from './thread-reads.ts';

export type { Reads } from './requests.ts';
export { DEFAULT_READ_POOL, type ReadPoolSettings } from './thread-reads.ts';

export function openReads(store: EventStore, settings: ReadPoolSettings = DEFAULT_READ_POOL): Reads {
  // Behind the commit log, each read first waits (bounded) for the indexer to pass the log's end as the read starts:
  // a change acknowledged before the read is in its answer.
  if (store instanceof LoggedStore) return afterIndexing(openReads(store.inner, settings), store);
  if (store instanceof SqliteEventStore) return new ThreadReads(store.path, settings);
  // Pools of the reader threads' own: reads never wait for a connection the commits hold.
  if (store instanceof PostgresEventStore) return new ThreadReads({ postgres: store.options }, settings);
  return localReads(store);
}

function afterIndexing(reads: Reads, store: LoggedStore): Reads {
  return {
    async answer(request, options) {
      await store.caughtUp();
      return reads.answer(request, options);
    },
    close: () => reads.close(),
  };
}
