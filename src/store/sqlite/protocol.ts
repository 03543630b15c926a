// Messages between the store (request thread) and the writer worker that owns the write connection.
import { EVENT_ROW_FIELDS, type EventRow } from '../event-columns.ts';

export type { EventRow } from '../event-columns.ts';

/**
 * A batch crosses to the writer as one string: structured cloning an array of row objects cost more than the
 * rest of the capture path. Each row is a JSON array of the small fields, a tab, then the JSON body; rows are
 * separated by newlines. JSON text never holds a raw tab or newline, so the separators are unambiguous.
 */
export function encodeRows(rows: EventRow[]): string {
  return rows.map((row) => `${JSON.stringify(EVENT_ROW_FIELDS.map((field) => row[field]))}\t${row.body}`).join('\n');
}

export function decodeRows(batch: string): EventRow[] {
  return batch.split('\n').map((line) => {
    const tab = line.indexOf('\t');
    const values = JSON.parse(line.slice(0, tab)) as (string | number)[];
    const row = { body: line.slice(tab + 1) } as Record<string, string | number>;
    EVENT_ROW_FIELDS.forEach((field, index) => { row[field] = values[index]!; });
    return row as unknown as EventRow;
  });
}

export interface WriterOptions {
  path: string;
  maxEventsPerObject: number;
}

export type WriterRequest =
  | { type: 'append'; id: number; rows: string }
  | { type: 'prune-age'; id: number; beforeMs: number; chunk: number }
  /** Deletes up to `chunk` of the oldest events if the database holds more than `maxBytes` in use. */
  | { type: 'prune-size'; id: number; maxBytes: number; chunk: number }
  | { type: 'ping'; id: number }
  | { type: 'set-states'; id: number; changes: StateChange[] }
  | { type: 'save-object-states'; id: number; states: ObjectStateRow[]; deleted: ObjectStateKey[] };

/** Moves one event (by request uid) out of pending (or not-applied, when the watch shows it late). */
export interface StateChange {
  requestUid: string;
  state: string;
  atMs: number;
}

export interface ObjectStateKey {
  /** group/resource, e.g. apps/deployments, /configmaps. */
  resource: string;
  namespace: string;
  name: string;
}

export interface ObjectStateRow extends ObjectStateKey {
  uid: string;
  hash: string;
  resourceVersion: string;
  seenMs: number;
}

export type WriterResponse =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'done'; id: number; prunedPerObject?: number; pruned?: number; changed?: number; error?: string; code?: string };
