// The rules of one object's past, in one place for the server, kubectl blame and the dashboard: which events make
// up its states, the object as it was at a time, and the manifest that reverts a change (with the reasons it
// cannot be given). Pure: events in, states or a HistoryRefusal saying why not out.
import { isFingerprint, isObject, printable, type ChangeEvent, type ChangeOperation, type JsonObject } from '../event.ts';
import { copyJson } from '../exact-json.ts';
import { changedState, chronologicalOrder } from './walk.ts';

/** Why the past cannot answer: each reason comes with a message written for the person who asked. */
export type RefusalReason =
  | 'no-history' | 'not-in-history' | 'creation' | 'secret' | 'state-before-unknown'
  | 'deleted' | 'not-created-yet' | 'before-history' | 'oversized';

export class HistoryRefusal extends Error {
  override name = 'HistoryRefusal';
  readonly reason: RefusalReason;
  /** A command that does what was asked in another way (deleting, for the revert of a creation). */
  readonly command?: string;
  constructor(reason: RefusalReason, message: string, command?: string) {
    super(message);
    this.reason = reason;
    if (command !== undefined) this.command = command;
  }
}

/** What people need to know of a change to name it: who, what operation, when, which. */
export interface ChangeSummary {
  id: string;
  time: string;
  operation: ChangeOperation;
  subresource: string;
  username: string;
  fieldManager: string;
}

export function summarise(event: ChangeEvent): ChangeSummary {
  return {
    id: event.id, time: event.time, operation: event.operation, subresource: event.subresource,
    username: event.user.username, fieldManager: event.fieldManager,
  };
}

/** `shop/Deployment/web`: an object, safe to print. */
export function objectLabel(event: Pick<ChangeEvent, 'namespace' | 'kind' | 'name'>): string {
  return printable(event.namespace === '' ? `${event.kind}/${event.name}` : `${event.namespace}/${event.kind}/${event.name}`);
}

/** `alice (UPDATE, 2025-06-12T11:25:00.000Z, change 1003)`: who did a change, for messages. */
export function describeChange(change: ChangeSummary): string {
  const op = change.subresource ? `${change.operation} ${change.subresource}` : change.operation;
  return `${change.username} (${op}, ${change.time}, change ${change.id})`;
}

/** The events that made the object what it was, oldest first: no denied attempts, CONNECTs or changes not applied. */
export function pastStates(recorded: readonly ChangeEvent[]): ChangeEvent[] {
  const history = recorded.filter(changedState);
  return chronologicalOrder(history).map((i) => history[i]!);
}

/**
 * Does the event record some other object than the one it changed? A `kubectl scale` goes through
 * deployments/scale: the webhook sees (and logistis records) an autoscaling/v1 Scale, not the Deployment.
 */
export function recordsPartialObject(event: ChangeEvent): boolean {
  return event.subresource !== '' && typeof event.object['kind'] === 'string' && event.object['kind'] !== event.kind;
}

/**
 * For each event of a history (oldest first, as materialised), the id of the event whose object is the state
 * before it, as `previousObjects` pairs them for the diffs: undefined for a creation, after a deletion, or when
 * recording started later. Attempts that did not change the object point at the state they would have changed.
 */
export function previousStateIds(history: readonly ChangeEvent[]): (string | undefined)[] {
  let last: ChangeEvent | undefined;
  return history.map((event) => {
    const before = event.operation === 'CREATE' || last === undefined ? undefined : last.id;
    // An oversized review recorded the metadata only: what the object became is not known.
    if (changedState(event)) last = event.operation === 'DELETE' || event.oversized ? undefined : event;
    return before;
  });
}

// ---------------------------------------------------------------------------------------------------
// The object at a time

export type StateAt =
  /** The object existed: `event` is the last change at or before the time, `object` the object after it. */
  | { state: 'exists'; event: ChangeEvent; object: JsonObject }
  | { state: 'deleted'; event: ChangeEvent }
  | { state: 'not-created-yet'; first: ChangeEvent }
  /** The recorded history starts later, with an update: what came before is not known. */
  | { state: 'before-history'; first: ChangeEvent };

/** The object as it was at `atMs`, from its history (any order). */
export function objectAt(recorded: readonly ChangeEvent[], atMs: number): StateAt {
  const past = pastStates(recorded);
  if (past.length === 0) throw new HistoryRefusal('no-history', 'logistis has recorded no change to this object');
  let found: ChangeEvent | undefined;
  for (const event of past) {
    if (Date.parse(event.time) > atMs) break;
    found = event;
  }
  if (found === undefined) {
    const first = past[0]!;
    return first.operation === 'CREATE' ? { state: 'not-created-yet', first } : { state: 'before-history', first };
  }
  if (found.operation === 'DELETE') return { state: 'deleted', event: found };
  if (found.oversized) {
    throw new HistoryRefusal('oversized',
      `the change before then, ${describeChange(summarise(found))}, was too large to record whole (only its metadata is kept), so logistis cannot show ${objectLabel(found)} as it was`);
  }
  return { state: 'exists', event: found, object: found.object };
}

/** Why there was no object at `atMs`, for a state other than 'exists'. */
export function absenceAt(state: Exclude<StateAt, { state: 'exists' }>, atMs: number): HistoryRefusal {
  const at = new Date(atMs).toISOString();
  switch (state.state) {
    case 'deleted':
      return new HistoryRefusal('deleted', `at ${at}, ${objectLabel(state.event)} did not exist: deleted by ${describeChange(summarise(state.event))}`);
    case 'not-created-yet':
      return new HistoryRefusal('not-created-yet', `at ${at}, ${objectLabel(state.first)} did not exist yet: created by ${describeChange(summarise(state.first))}`);
    case 'before-history':
      return new HistoryRefusal('before-history',
        `logistis has no record of ${objectLabel(state.first)} at ${at}: its recorded history starts with ${describeChange(summarise(state.first))}`);
  }
}

/** The change a state names: the last one at or before the time, or the first one recorded. */
export function changeOf(state: StateAt): ChangeEvent {
  return state.state === 'exists' || state.state === 'deleted' ? state.event : state.first;
}

// ---------------------------------------------------------------------------------------------------
// The revert manifest

/** Server-set fields that `kubectl apply` must not get back from an old object. */
const SERVER_SET_METADATA = [
  'uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds',
] as const;

/**
 * An old object as a manifest `kubectl apply -f -` (or `kubectl replace -f -`) takes: without uid,
 * resourceVersion, creationTimestamp, managedFields, generation and status. apiVersion and kind are filled
 * in from the change when the recorded object lacks them.
 */
export function cleanForApply(object: JsonObject, type?: Pick<ChangeEvent, 'group' | 'version' | 'kind'>): JsonObject {
  const copy = copyJson(object);
  delete copy['status'];
  const metadata = isObject(copy['metadata']) ? copy['metadata'] : {};
  for (const field of SERVER_SET_METADATA) delete metadata[field];
  copy['metadata'] = metadata;
  if (type && typeof copy['apiVersion'] !== 'string') copy['apiVersion'] = type.group ? `${type.group}/${type.version}` : type.version;
  if (type && typeof copy['kind'] !== 'string') copy['kind'] = type.kind;
  return copy;
}

function hasFingerprint(value: unknown): boolean {
  if (isFingerprint(value)) return true;
  if (Array.isArray(value)) return value.some(hasFingerprint);
  if (isObject(value)) return Object.values(value).some(hasFingerprint);
  return false;
}

/** `kubectl delete deployments.apps web -n shop`: the command that undoes a creation. */
export function deleteCommand(event: Pick<ChangeEvent, 'group' | 'resource' | 'name' | 'namespace'>): string {
  const type = event.group ? `${event.resource}.${event.group}` : event.resource;
  return `kubectl delete ${type} ${event.name}${event.namespace ? ` -n ${event.namespace}` : ''}`;
}

export interface Revert {
  /** The object as it was before the change, ready for `kubectl apply -f -`. */
  manifest: JsonObject;
  change: ChangeEvent;
  /** Changes after it, which the manifest undoes as well (oldest first). */
  later: ChangeEvent[];
}

/** The change `changeId` among an object's past states, or the refusal that it is not one of them. */
export function findChange(recorded: readonly ChangeEvent[], changeId: string): { past: ChangeEvent[]; at: number } {
  const past = pastStates(recorded);
  const at = past.findIndex((e) => e.id === changeId);
  if (at < 0) {
    const key = past[0] ? ` of ${objectLabel(past[0])}` : '';
    throw new HistoryRefusal('not-in-history', `change "${changeId}" is not in the recorded history${key}; the IDs are in -f diff and in kubectl get changes`);
  }
  return { past, at };
}

/**
 * The manifest that restores the object as it was before change `changeId`. Refuses (HistoryRefusal) for a
 * creation (reverting it is deleting: the refusal carries the command), for a Secret or any object whose
 * recorded values are redacted, and when the object before the change is not in the history.
 */
export function revertTo(recorded: readonly ChangeEvent[], changeId: string): Revert {
  const { past, at } = findChange(recorded, changeId);
  const change = past[at]!;
  const later = past.slice(at + 1);
  if (change.operation === 'CREATE') {
    const command = deleteCommand(change);
    throw new HistoryRefusal('creation',
      `change ${changeId} created ${objectLabel(change)}; before it the object did not exist, so reverting it means deleting it.\n` +
        `Nothing to apply; if that is what you want, run:\n  ${command}`, command);
  }
  let before: JsonObject;
  if (change.operation === 'DELETE') {
    before = change.object;
  } else {
    const previous = past[at - 1];
    if (previous === undefined || previous.operation === 'DELETE' || previous.oversized || recordsPartialObject(previous)) {
      throw new HistoryRefusal('state-before-unknown',
        `the object before change ${changeId} is not in the recorded history of ${objectLabel(change)} ` +
          '(recording started with this change, or older changes were pruned), so logistis cannot rebuild it');
    }
    before = previous.object;
  }
  if ((change.group === '' && change.kind === 'Secret') || hasFingerprint(before)) {
    const data = isObject(before['data']) ? Object.keys(before['data']) : [];
    throw new HistoryRefusal('secret',
      `${objectLabel(change)} is a Secret: logistis recorded its values only as fingerprints, never the values, so it cannot ` +
        `print a manifest that restores them${data.length > 0 ? ` (keys: ${data.join(', ')})` : ''}.\n` +
        'Restore the values from where they are kept (a secret manager, sealed or external secrets); -f diff shows which keys changed.');
  }
  return { manifest: cleanForApply(before, change), change, later };
}
