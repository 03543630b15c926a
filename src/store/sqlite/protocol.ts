// Messages between the store (request thread) and the writer worker that owns the write connection.
export interface EventRow {
  timeMs: number;
  requestUid: string;
  operation: string;
  username: string;
  userUid: string;
  userGroups: string;
  userExtra: string;
  group: string;
  version: string;
  kind: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  objectUid: string;
  fieldManager: string;
  /** JSON {"patch", "object"}; the worker compresses it. */
  body: string;
}

export interface WriterOptions {
  path: string;
  maxEventsPerObject: number;
}

export type WriterRequest =
  | { type: 'append'; id: number; rows: EventRow[] }
  | { type: 'prune-age'; id: number; beforeMs: number; chunk: number }
  | { type: 'ping'; id: number };

export type WriterResponse =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'done'; id: number; prunedPerObject?: number; pruned?: number; error?: string; code?: string };
