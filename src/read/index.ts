// Where a server's reads are answered: on a reader thread for the SQLite store, on the calling thread for a
// store without a file a second connection could open.
import type { EventStore } from '../store/types.ts';
import { SqliteEventStore } from '../store/sqlite/sqlite-store.ts';
import { localReads } from './answer.ts';
import type { Reads } from './requests.ts';
import { ThreadReads } from './thread-reads.ts';

export type { Reads } from './requests.ts';

export function openReads(store: EventStore): Reads {
  return store instanceof SqliteEventStore ? new ThreadReads(store.path) : localReads(store);
}
