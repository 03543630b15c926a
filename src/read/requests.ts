// What a reader may ask, already parsed and checked at the HTTP edge, and what it gets back. Plain data: a
// request crosses to the reader thread as it is, and an answer comes back as the text to send.
import type { ActivityGrouping } from '../api/activity.ts';
import type { HistoryFormat } from '../api/history.ts';
import type { IncludeObject } from '../format/change-table.ts';
import type { EventFilter } from '../store/types.ts';
import type { ChangeEvent } from '../event.ts';

export interface ListQuery {
  filter: EventFilter;
  limit: number;
  /** The token of the page before, if any. */
  continue?: string;
  order: 'asc' | 'desc';
}

/** One object, named as a caller names it: the API group may be left out when the kind is unambiguous. */
export interface ObjectQuery {
  namespace: string;
  kind: string;
  name: string;
  group?: string;
}

export type ReadRequest =
  /** `/api/v1/events`: events with `nextCursor`. */
  | { kind: 'events'; list: ListQuery }
  /** The live stream's poll: of the newest `limit` events, those after `afterId`, each serialised once (`events`). */
  | { kind: 'live'; limit: number; afterId?: string }
  /** The aggregated API's `changes` list: a ChangeList, or a Table for kubectl. */
  | { kind: 'changes'; list: ListQuery; table?: IncludeObject; now: number }
  | { kind: 'change'; id: string; namespace?: string; table: boolean; now: number }
  /** A page of one object's history: up to `limit` events, after the event the `continue` token names. */
  | { kind: 'history'; object: ObjectQuery; sinceMs?: number; untilMs?: number; format: HistoryFormat; limit: number; continue?: string }
  /** `emptyWithoutHistory`: no lines rather than 404 for an object without recorded changes. */
  | { kind: 'blame'; object: ObjectQuery; emptyWithoutHistory?: boolean }
  /** The object as it was at `atMs` (src/history/past.ts). */
  | { kind: 'state'; object: ObjectQuery; atMs: number }
  /** The manifest that restores the object as it was before change `changeId`. */
  | { kind: 'revert'; object: ObjectQuery; changeId: string }
  /** `resource`: as the aggregated API's Overview object (apiVersion, kind). */
  | { kind: 'overview'; sinceMs: number; topUsers: number; resource: boolean }
  /** The dashboard's overview: changes per time bucket, top objects and users, denials. */
  | { kind: 'activity'; sinceMs: number; untilMs: number; by: ActivityGrouping; buckets: number; top: number };

/** What a live filter looks at (src/server/routes/live.ts): a ChangeEvent has it all. */
export type LiveFields = Pick<ChangeEvent, 'namespace' | 'group' | 'kind' | 'name' | 'operation'> & { user: Pick<ChangeEvent['user'], 'username' | 'groups'> };

/** One event of a live poll: the JSON text of the event as `/api/v1/events` lists it, sent as it is. */
export interface LiveEvent {
  id: string;
  fields: LiveFields;
  json: string;
}

export interface ReadAnswer {
  /** The body, ready to send (empty for 'live', whose events come apart in `events`). */
  body: string;
  contentType: string;
  /** The token of the next page of a history, also sent as the `Logistis-Continue` header. */
  continue?: string;
  /** 'live': the new events, newest first. */
  events?: LiveEvent[];
}

/** Reads that cost more than a page of a list: they never take every reader thread (see thread-reads.ts). */
export function isHeavyRead(request: ReadRequest): boolean {
  return request.kind === 'history' || request.kind === 'blame' || request.kind === 'revert' || request.kind === 'activity';
}

/** How a running read learns it should stop: `check()`, called between rows and versions, throws then. */
export interface ReadControl {
  check: () => void;
}

export const UNSTOPPABLE: ReadControl = { check: () => undefined };

export interface ReadOptions {
  /** Aborted when the client has gone: the read stops and its answer is dropped. */
  signal?: AbortSignal;
}

/** Where reads are answered: on this thread, or on reader threads beside it. */
export interface Reads {
  answer(request: ReadRequest, options?: ReadOptions): Promise<ReadAnswer>;
  close(): Promise<void>;
}
