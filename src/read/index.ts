// Where a server's reads are answered: on a reader thread for the SQLite store, on the calling thread for a
// store without a file a second connection could open.
import type { EventStore } from '../store/types.ts';
import { SqliteEventStore } from '../store/sqlite/sqlite-store.ts';
import { PostgresEventStore } from '../store/postgres/postgres-store.ts';
import { localReads } from './answer.ts';
import type { Reads } from './requests.ts';
import { ThreadReads } from './thread-reads.ts';

export type { Reads } from './requests.ts';

export function openReads(store: EventStore): Reads {
  if (store instanceof SqliteEventStore) return new ThreadReads(store.path);
  // A pool of the reader thread's own: reads never wait for a connection the commits hold.
  if (store instanceof PostgresEventStore) return new ThreadReads({ postgres: store.options });
  return localReads(store);
}
