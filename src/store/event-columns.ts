// The event's stored fields, declared once for both stores: which column holds each field of ChangeEvent, the row
// the request thread hands to a store's writer, and the row a reader gets back (ADR 0025). Declarations only, so
// the SQLite writer thread loads nothing more; the codec between event and row is event-codec.ts.
import type { ChangeEvent } from '../event.ts';

/**
 * How a column holds its value: `integer` (SQLite INTEGER, PostgreSQL bigint), `text`, or `jsonb` (JSON text:
 * SQLite TEXT, PostgreSQL jsonb, so that a filter can look inside it).
 */
export type ColumnType = 'integer' | 'text' | 'jsonb';

interface RowColumn {
  /** The key in EventRow. */
  readonly field: string;
  readonly column: string;
  readonly type: ColumnType;
}

/**
 * The small columns of an event, in the order rows cross to the SQLite writer and PostgreSQL's unnest takes them.
 * The body (the compressed JSON of patch, object and oversized) follows them; `id` and `body_dictionary` the
 * stores set themselves (STORED_ONLY_COLUMNS).
 */
export const EVENT_ROW_COLUMNS = [
  { field: 'timeMs', column: 'time_ms', type: 'integer' },
  { field: 'requestUid', column: 'request_uid', type: 'text' },
  { field: 'operation', column: 'operation', type: 'text' },
  { field: 'username', column: 'username', type: 'text' },
  { field: 'userUid', column: 'user_uid', type: 'text' },
  { field: 'userGroups', column: 'user_groups', type: 'jsonb' },
  { field: 'userExtra', column: 'user_extra', type: 'text' },
  { field: 'group', column: 'api_group', type: 'text' },
  { field: 'version', column: 'api_version', type: 'text' },
  { field: 'kind', column: 'kind', type: 'text' },
  { field: 'resource', column: 'resource', type: 'text' },
  { field: 'subresource', column: 'subresource', type: 'text' },
  { field: 'namespace', column: 'namespace', type: 'text' },
  { field: 'name', column: 'name', type: 'text' },
  { field: 'objectUid', column: 'object_uid', type: 'text' },
  { field: 'fieldManager', column: 'field_manager', type: 'text' },
  /** The Lock that denied the attempt; '' for a change that was allowed. */
  { field: 'deniedBy', column: 'denied_by', type: 'text' },
  /** EventState, or '' when provenance is off. */
  { field: 'state', column: 'state', type: 'text' },
  /** When the state last changed (epoch ms): when it was recorded, unless the event says otherwise; 0 without a state. */
  { field: 'stateChangedMs', column: 'state_changed_ms', type: 'integer' },
  /** JSON AuthorGuess of an unattributed change, else ''. */
  { field: 'authorGuess', column: 'author_guess', type: 'text' },
] as const satisfies readonly RowColumn[];

type RowColumns = (typeof EVENT_ROW_COLUMNS)[number];
type RowValue<T extends ColumnType> = T extends 'integer' ? number : string;

/** One event as a store's writer takes it: the small columns, then the body as JSON text (store/event-body.ts). */
export type EventRow = { [C in RowColumns as C['field']]: RowValue<C['type']> } & {
  /** JSON {"patch", "object"}; the writer compresses it. */
  body: string;
};

/** The row's keys, in column order. */
export const EVENT_ROW_FIELDS: readonly (keyof Omit<EventRow, 'body'>)[] = EVENT_ROW_COLUMNS.map((column) => column.field);

/** Columns a store sets itself: the id it hands out, the body's zstd dictionary. */
export const STORED_ONLY_COLUMNS = ['id', 'body_dictionary'] as const;

/** The columns an INSERT names, in the order of its values: the row's, the body, its dictionary. */
export const INSERT_COLUMNS = [...EVENT_ROW_COLUMNS.map((column) => column.column), 'body', 'body_dictionary'];

/**
 * Where each field of ChangeEvent is kept: the EventRow fields (or the stored-only column) that hold it. Typed
 * against every key of ChangeEvent: a field added to the event does not compile until it is given a place here,
 * in toEventRow and eventFromRow (event-codec.ts).
 */
export const EVENT_FIELD_COLUMNS = {
  id: ['id'],
  time: ['timeMs'],
  requestUid: ['requestUid'],
  operation: ['operation'],
  user: ['username', 'userUid', 'userGroups', 'userExtra'],
  group: ['group'],
  version: ['version'],
  kind: ['kind'],
  resource: ['resource'],
  subresource: ['subresource'],
  namespace: ['namespace'],
  name: ['name'],
  objectUid: ['objectUid'],
  fieldManager: ['fieldManager'],
  patch: ['body'],
  object: ['body'],
  oversized: ['body'],
  deniedBy: ['deniedBy'],
  state: ['state'],
  stateChangedAt: ['stateChangedMs'],
  authorGuess: ['authorGuess'],
} as const satisfies { [K in keyof Required<ChangeEvent>]: readonly (keyof EventRow | (typeof STORED_ONLY_COLUMNS)[number])[] };

type ReadValue<T extends ColumnType> = T extends 'integer' ? number | string : string;
/** Columns a later migration added: a SQLite reader of an older file (`logistis migrate`'s source) finds none. */
type AddedLater = 'state' | 'state_changed_ms' | 'author_guess';

/**
 * An event row as a reader gets it: PostgreSQL's bigint comes as a string, SQLite's INTEGER as a number; jsonb is
 * read as its text (`::text`), as SQLite keeps it.
 */
export type StoredEventRow =
  & { [C in RowColumns as C['column'] extends AddedLater ? never : C['column']]: ReadValue<C['type']> }
  & { [C in RowColumns as C['column'] extends AddedLater ? C['column'] : never]?: ReadValue<C['type']> }
  & { id: number | string; body: Uint8Array; body_dictionary: number };

/** The column list of a PostgreSQL SELECT of whole events (SQLite selects `*`, whatever its migrations added). */
export const POSTGRES_EVENT_SELECT = [
  'id', ...EVENT_ROW_COLUMNS.map((column) => (column.type === 'jsonb' ? `${column.column}::text AS ${column.column}` : column.column)),
  'body', 'body_dictionary',
].join(', ');
