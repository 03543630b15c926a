// The event codec of both stores: an event to the row a writer takes, a stored row back to the event. The columns
// are declared in event-columns.ts; test/integration/event-codec.test.ts writes every field through both stores.
import type { AuthorGuess, ChangeEvent, ChangeOperation, EventState, NewChangeEvent } from '../event.ts';
import { decodeEventBody, encodeEventBody } from './event-body.ts';
import type { EventRow, StoredEventRow } from './event-columns.ts';

/** On the request thread, once per captured event: one object, no other allocation than its JSON texts. */
export function toEventRow(event: NewChangeEvent): EventRow {
  const timeMs = Date.parse(event.time);
  return {
    timeMs,
    requestUid: event.requestUid,
    operation: event.operation,
    username: event.user.username,
    userUid: event.user.uid,
    userGroups: JSON.stringify(event.user.groups),
    userExtra: JSON.stringify(event.user.extra),
    group: event.group,
    version: event.version,
    kind: event.kind,
    resource: event.resource,
    subresource: event.subresource,
    namespace: event.namespace,
    name: event.name,
    objectUid: event.objectUid,
    fieldManager: event.fieldManager,
    deniedBy: event.deniedBy ?? '',
    state: event.state ?? '',
    // A copied event (`logistis migrate`) keeps when its state changed; a captured one has just been recorded.
    stateChangedMs: event.state ? (event.stateChangedAt ? Date.parse(event.stateChangedAt) : timeMs) : 0,
    authorGuess: event.authorGuess ? JSON.stringify(event.authorGuess) : '',
    body: encodeEventBody(event),
  };
}

/** The event a stored row holds, given its body's JSON text. */
export function eventFromRow(row: StoredEventRow, bodyText: string): ChangeEvent {
  return {
    id: String(row.id),
    time: new Date(Number(row.time_ms)).toISOString(),
    requestUid: row.request_uid,
    operation: row.operation as ChangeOperation,
    user: {
      username: row.username,
      uid: row.user_uid,
      groups: JSON.parse(row.user_groups) as string[],
      extra: JSON.parse(row.user_extra) as Record<string, string[]>,
    },
    group: row.api_group,
    version: row.api_version,
    kind: row.kind,
    resource: row.resource,
    subresource: row.subresource,
    namespace: row.namespace,
    name: row.name,
    objectUid: row.object_uid,
    fieldManager: row.field_manager,
    ...decodeEventBody(bodyText),
    ...(row.denied_by ? { deniedBy: row.denied_by } : {}),
    ...(row.state ? { state: row.state as EventState, stateChangedAt: new Date(Number(row.state_changed_ms ?? 0)).toISOString() } : {}),
    ...(row.author_guess ? { authorGuess: JSON.parse(row.author_guess) as AuthorGuess } : {}),
  };
}
