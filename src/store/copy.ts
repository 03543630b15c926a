// Copies an embedded SQLite store into a PostgreSQL store, oldest first, in batches. Resumable: after each
// committed batch the target records the last source id it holds, and a copy that stopped starts after it; a
// batch cut off before its checkpoint is sent again and stored once, since a request uid is stored once.
import { DatabaseSync } from 'node:sqlite';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { SqliteReader } from './sqlite/sqlite-reader.ts';
import { encodeCursor } from './read-rows.ts';
import type { PostgresEventStore } from './postgres/postgres-store.ts';
import { StoreError } from './types.ts';

export interface CopyProgress {
  /** Events copied in this run. */
  copied: number;
  /** Events this run has to copy. */
  total: number;
}

export interface CopyResult extends CopyProgress {
  /** The source id the copy resumed after (0: from the start). */
  resumedAfter: number;
}

export async function copySqliteStore(
  sourcePath: string, target: PostgresEventStore, onProgress: (progress: CopyProgress) => void, batchSize = 1000,
): Promise<CopyResult> {
  const path = resolve(sourcePath);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new StoreError(`${path}: no such SQLite store`);
  const source = `sqlite:${path}`;
  const resumedAfter = await target.copyCheckpoint(source);
  const counter = new DatabaseSync(path, { readOnly: true });
  let total: number;
  try {
    total = (counter.prepare('SELECT COUNT(*) AS events FROM events WHERE id > ?').get(resumedAfter) as { events: number }).events;
  } finally {
    counter.close();
  }
  const reader = SqliteReader.open(path);
  let copied = 0;
  onProgress({ copied, total });
  try {
    let cursor: string | undefined = resumedAfter > 0 ? encodeCursor(resumedAfter) : undefined;
    do {
      const page = await reader.listEvents({}, batchSize, cursor, 'asc');
      if (page.items.length === 0) break;
      await target.append(page.items.map(({ id: _id, ...event }) => event));
      const lastId = Number(page.items[page.items.length - 1]!.id);
      await target.saveCopyCheckpoint(source, lastId);
      copied += page.items.length;
      onProgress({ copied, total });
      cursor = page.nextCursor;
    } while (cursor);
  } finally {
    reader.close();
  }
  return { copied, total, resumedAfter };
}
