// Messages between the store (request thread) and the writer worker that owns the write connection.
export type { EventRow } from '../event-columns.ts';
export type { LogCursor } from '../row-lines.ts';
import type { LogCursor } from '../row-lines.ts';
export { decodeRow, decodeRows, encodeRows } from '../row-lines.ts';

export interface WriterOptions {
  path: string;
  maxEventsPerObject: number;
}

export type WriterRequest =
  | { type: 'append'; id: number; rows: string }
  /** Row lines as UTF-8 in `bytes` (taken over from the sender), line i from ranges[2i] to ranges[2i+1]. */
  | { type: 'append-lines'; id: number; bytes: ArrayBuffer; ranges: number[]; cursor: LogCursor }
  | { type: 'log-cursor'; id: number; logId: string }
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
  | { type: 'done'; id: number; prunedPerObject?: number; pruned?: number; changed?: number; position?: number; error?: string; code?: string };
