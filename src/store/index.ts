// Opens the EventStore named by a `--store` value: `sqlite:PATH` (default) or `postgres://…`.
import { SqliteEventStore, type SqliteStoreHooks } from './sqlite/sqlite-store.ts';
import { PostgresEventStore } from './postgres/postgres-store.ts';
import type { PostgresOptions } from './postgres/connection.ts';
import type { EventStore, RetentionPolicy } from './types.ts';

export type { EventStore } from './types.ts';

export interface StoreSpec {
  driver: 'sqlite' | 'postgres';
  location: string;
}

/** Parses a `--store` value; throws with a message that says what is accepted. */
export function parseStoreSpec(value: string): StoreSpec {
  if (value.startsWith('sqlite:')) {
    const location = value.slice('sqlite:'.length);
    if (!location) throw new Error('--store sqlite: needs a file path, e.g. sqlite:/var/lib/logistis/events.db');
    return { driver: 'sqlite', location };
  }
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) return { driver: 'postgres', location: value };
  throw new Error(`--store must be sqlite:PATH or postgres://…, got "${value}"`);
}

/** Connection settings beside the URL, for a PostgreSQL store. */
export type PostgresConnectionSettings = Omit<PostgresOptions, 'url'>;

export async function openEventStore(
  value: string, retention: RetentionPolicy, hooks: SqliteStoreHooks = {}, postgres: PostgresConnectionSettings = {},
): Promise<EventStore> {
  const spec = parseStoreSpec(value);
  if (spec.driver === 'postgres') return PostgresEventStore.open({ ...postgres, url: spec.location }, retention, hooks);
  return SqliteEventStore.open(spec.location, retention, hooks);
}
