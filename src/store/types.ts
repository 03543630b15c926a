// The EventStore boundary: one interface, an embedded SQLite implementation now, PostgreSQL later.
import type { ActivityDenial, ActivityGrouping, ActivityObject } from '../api/activity.ts';
import type { OverviewEntry } from '../api/overview.ts';
import type { ChangeEvent, ChangeOperation, EventState, NewChangeEvent, ObjectKey } from '../event.ts';
import type { LogCursor } from './row-lines.ts';

export interface EventFilter {
  namespace?: string;
  group?: string;
  kind?: string;
  name?: string;
  user?: string;
  userGroup?: string;
  operation?: ChangeOperation;
  /** Epoch milliseconds, inclusive. */
  sinceMs?: number;
  /** Epoch milliseconds, exclusive. */
  untilMs?: number;
}

/** The most event bodies (uncompressed JSON) one page of a list holds, after its first event. */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;

export interface EventPage {
  items: ChangeEvent[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

/**
 * One event of an object's history as a reader walks it: what says whether it sets the object's state, read
 * without its body; its body is decompressed and parsed only when asked.
 */
export interface HistoryRow extends Pick<ChangeEvent, 'id' | 'operation' | 'subresource' | 'deniedBy' | 'state'> {
  /** The event's body, uncompressed JSON (a CREATE's twice: its patch repeats its object). */
  bytes(): number;
  event(): ChangeEvent;
}

/** One namespace's activity: the overview's entry, which the store fills. */
export type NamespaceActivity = OverviewEntry;

/** The dashboard's overview as the store counts it: a window cut into equal buckets. */
export interface ActivityQuery {
  /** Epoch milliseconds, inclusive. */
  sinceMs: number;
  /** Epoch milliseconds, exclusive. */
  untilMs: number;
  bucketMs: number;
  buckets: number;
  by: ActivityGrouping;
  /** How many objects, people and service accounts to rank. */
  top: number;
  /** How many of the newest denials. */
  denials: number;
}

/**
 * Every event of the window counted exactly, with SQL aggregates over the events' columns (an index holds them):
 * no body is read or decompressed.
 */
export interface ActivityCounts {
  /** Changes per grouping key (namespace or username) and bucket index; only cells with changes. */
  cells: { key: string; bucket: number; changes: number }[];
  /** The most changed objects, most first, then the most recently changed. */
  topObjects: ActivityObject[];
  /** The most active callers that are not service accounts, and those that are, each up to `top`. */
  people: { username: string; changes: number }[];
  serviceAccounts: { username: string; changes: number }[];
  /** The newest denials, newest first. */
  denials: ActivityDenial[];
}

/** The prefix of a service account's username, by which the overview lists them apart from people. */
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export interface RetentionPolicy {
  maxEventsPerObject: number;
  maxAgeMs: number;
  /** The most bytes the store's events may take (0 or absent: no limit); the oldest go first. */
  maxStoreBytes?: number;
}

export interface PruneResult {
  prunedByAge: number;
  /** Events removed because the store was over its size limit. */
  prunedBySize?: number;
}

export interface EventStore {
  /** Resolves once the events are durable; concurrent calls share one transaction. */
  append(events: NewChangeEvent[]): Promise<void>;
  /**
   * Newest first unless order is 'asc'; the cursor continues in the same order. A page ends early, with its
   * cursor, once its events hold `maxBytes` (default MAX_PAGE_BYTES), so a page of large events stays small.
   */
  listEvents(filter: EventFilter, limit: number, cursor?: string, order?: 'asc' | 'desc', maxBytes?: number): Promise<EventPage>;
  getEvent(id: string): Promise<ChangeEvent | null>;
  /** The API groups under which events of this kind, namespace and name were recorded. */
  objectGroups(kind: string, namespace: string, name: string): Promise<string[]>;
  /** One object's events, oldest first. */
  history(key: ObjectKey, filter?: Pick<EventFilter, 'sinceMs' | 'untilMs'>): Promise<ChangeEvent[]>;
  overview(sinceMs: number, topUsers?: number): Promise<NamespaceActivity[]>;
  /** The dashboard's overview of a window, counted exactly without reading a body. */
  activity(query: ActivityQuery): Promise<ActivityCounts>;
  /**
   * Removes events older than the retention age, then the oldest while the store is over its size limit, in
   * small steps that never stall captures.
   */
  pruneByAge(nowMs: number): Promise<PruneResult>;
  /** The kind of each resource seen on a main-resource event, so a restarted server knows them. */
  resourceKinds(): Promise<{ group: string; resource: string; kind: string }[]>;
  /** Throws when the store cannot serve. */
  ping(): Promise<void>;
  /** Waits for every pending write, then closes. */
  close(): Promise<void>;
}

/**
 * A store the commit log fills (src/log/indexer.ts): its records' rows and the log's cursor go in one transaction,
 * so a replay after a crash starts right after what was stored.
 */
export interface LogConsumerStore {
  /** How far the log `logId` is stored: the position after its last stored record, 0 when none. */
  logCursor(logId: string): Promise<number>;
  /**
   * Stores the rows (each payload one row line, store/row-lines.ts) and moves the log's cursor, atomically; resolves
   * to how many events the per-object limit removed. The payloads' memory may be handed to another thread: the caller
   * must not read them afterwards.
   */
  appendFromLog(payloads: Buffer[], cursor: LogCursor): Promise<number>;
}

export function isLogConsumerStore(store: object): store is LogConsumerStore {
  return typeof (store as Partial<LogConsumerStore>).appendFromLog === 'function';
}

/** An event's move out of pending, decided by the provenance watcher (src/provenance/). */
export interface EventStateChange {
  requestUid: string;
  state: Exclude<EventState, 'pending' | 'unattributed'>;
  /** Epoch milliseconds. */
  atMs: number;
}

export interface ObjectStateKey {
  /** group/resource, e.g. apps/deployments, /configmaps. */
  resource: string;
  namespace: string;
  name: string;
}

/** What the watch last saw of one object: its uid and the hash of its normalised content, never the content. */
export interface ObjectState extends ObjectStateKey {
  uid: string;
  hash: string;
  resourceVersion: string;
  /** Epoch milliseconds. */
  seenMs: number;
}

/**
 * What provenance needs besides EventStore. Each method is one or two plain SQL statements (see
 * src/store/sqlite: writer-worker.ts for the writes, sqlite-reader.ts for the reads):
 * - setEventStates: UPDATE events SET state, state_changed_ms WHERE request_uid = ? AND state = 'pending'
 *   (or state = 'not-applied' when the new state is confirmed); resolves to the rows changed.
 * - pendingEvents: state = 'pending' AND time_ms < beforeMs, oldest first (index events_pending).
 * - oldestPendingTime: MIN(time_ms) WHERE state = 'pending', null when none.
 * - saveObjectStates / objectStates: upsert into, delete from, and select by resource from object_states.
 */
export interface ProvenanceStore {
  setEventStates(changes: EventStateChange[]): Promise<number>;
  pendingEvents(beforeMs: number, limit: number): Promise<ChangeEvent[]>;
  oldestPendingTime(): Promise<number | null>;
  saveObjectStates(states: ObjectState[], deleted: ObjectStateKey[]): Promise<void>;
  objectStates(resource: string): Promise<ObjectState[]>;
}

export function isProvenanceStore(store: object): store is ProvenanceStore {
  return typeof (store as Partial<ProvenanceStore>).setEventStates === 'function';
}

/** The store failed or refused: the message says what, the capture path counts it and fails open. */
export class StoreError extends Error {
  override name = 'StoreError';
  /** Why a write that was attempted will not last, when more is known than "the store failed". */
  readonly lostReason?: 'store-file-gone' | 'log-full' | 'log-error';
  constructor(message: string, lostReason?: 'store-file-gone' | 'log-full' | 'log-error') {
    super(message);
    if (lostReason) this.lostReason = lostReason;
  }
}

/** A cursor or filter the store cannot use. */
export class InvalidQueryError extends Error {
  override name = 'InvalidQueryError';
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(message);
    this.parameter = parameter;
  }
}

/**
 * The store's worker threads (the SQLite writer, the reader): a young generation of 16 MiB instead of V8's default
 * of up to 64 MiB each; they allocate little per event, and each isolate's young generation counts in the
 * server's resident memory (bench/analysis.md).
 */
export const STORE_WORKER_LIMITS = { maxYoungGenerationSizeMb: 16 } as const;
