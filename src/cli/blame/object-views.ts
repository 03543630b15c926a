// The computations behind --at, --revert and --fields, on one object's recorded history. Pure: events and the
// live object in, objects (or a BlameError saying why not) out.
import { normaliseObject } from '../../admission/normalise.ts';
import { isFingerprint, LAST_APPLIED_ANNOTATION } from '../../admission/redact.ts';
import { isObject, type ChangeEvent, type JsonObject } from '../../event.ts';
import { copyJson } from '../../exact-json.ts';
import { eventKey } from '../../format/diff.ts';
import { changedState, chronologicalOrder } from '../../history/walk.ts';
import { BlameError } from './errors.ts';

function metadataOf(obj: JsonObject): JsonObject {
  return isObject(obj['metadata']) ? obj['metadata'] : {};
}

/** `alice (UPDATE, 2025-06-12T11:25:00.000Z, change 1003)`: who did a change, for messages. */
export function describeEvent(event: ChangeEvent): string {
  const op = event.subresource ? `${event.operation} ${event.subresource}` : event.operation;
  return `${event.user.username} (${op}, ${event.time}, change ${event.id})`;
}

// ---------------------------------------------------------------------------------------------------
// Subresource events

/**
 * Does the event record some other object than the one it changed? A `kubectl scale` goes through
 * deployments/scale: the webhook sees (and logistis records) an autoscaling/v1 Scale, not the Deployment.
 */
export function recordsPartialObject(event: ChangeEvent): boolean {
  return event.subresource !== '' && typeof event.object['kind'] === 'string' && event.object['kind'] !== event.kind;
}

// ---------------------------------------------------------------------------------------------------
// --at

export type StateAt =
  /** The object existed: `event` is the last change at or before the time, `object` the object after it. */
  | { state: 'exists'; event: ChangeEvent; object: JsonObject }
  | { state: 'deleted'; event: ChangeEvent }
  | { state: 'not-created-yet'; first: ChangeEvent }
  /** The recorded history starts later, with an update: what came before is not known. */
  | { state: 'before-history'; first: ChangeEvent };

/** The object as it was at `atMs`, from its history (any order). */
export function objectAt(recorded: readonly ChangeEvent[], atMs: number): StateAt {
  const history = recorded.filter(changedState);
  const order = chronologicalOrder(history);
  if (order.length === 0) throw new BlameError('no recorded history');
  let found: ChangeEvent | undefined;
  for (const i of order) {
    const event = history[i]!;
    if (Date.parse(event.time) > atMs) break;
    found = event;
  }
  if (found === undefined) {
    const first = history[order[0]!]!;
    return first.operation === 'CREATE' ? { state: 'not-created-yet', first } : { state: 'before-history', first };
  }
  if (found.operation === 'DELETE') return { state: 'deleted', event: found };
  return { state: 'exists', event: found, object: found.object };
}

/** The object at a time, or a BlameError that says why there is none. */
export function objectAtOrExplain(history: readonly ChangeEvent[], atMs: number): { event: ChangeEvent; object: JsonObject } {
  if (history.length === 0) throw new BlameError('logistis has recorded no change to this object');
  const at = new Date(atMs).toISOString();
  const state = objectAt(history, atMs);
  switch (state.state) {
    case 'exists':
      return state;
    case 'deleted':
      return explainAbsent(`at ${at}, ${eventKey(state.event)} did not exist: deleted by ${describeEvent(state.event)}`);
    case 'not-created-yet':
      return explainAbsent(`at ${at}, ${eventKey(state.first)} did not exist yet: created by ${describeEvent(state.first)}`);
    case 'before-history':
      return explainAbsent(
        `logistis has no record of ${eventKey(state.first)} at ${at}: its recorded history starts with ${describeEvent(state.first)}`,
      );
  }
}

function explainAbsent(message: string): never {
  throw new BlameError(message);
}

// ---------------------------------------------------------------------------------------------------
// --revert

/** Server-set fields that `kubectl apply` must not get back from an old object. */
const SERVER_SET_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
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

function isSecretEvent(event: Pick<ChangeEvent, 'group' | 'kind'>): boolean {
  return event.group === '' && event.kind === 'Secret';
}

/** `kubectl delete deployments.apps web -n shop`: the command that undoes a creation. */
export function deleteCommand(event: ChangeEvent): string {
  const type = event.group ? `${event.resource}.${event.group}` : event.resource;
  return `kubectl delete ${type} ${event.name}${event.namespace ? ` -n ${event.namespace}` : ''}`;
}

export interface Revert {
  /** The object as it was before the change, ready for `kubectl apply -f -`. */
  manifest: JsonObject;
  change: ChangeEvent;
  /** Changes after it, which the manifest undoes as well (newest last). */
  later: ChangeEvent[];
}

/**
 * The manifest that restores the object as it was before change `changeId`. Refuses (BlameError) for a
 * creation (reverting it is deleting: the message gives the command), for a Secret or any object whose
 * recorded values are redacted, and when the object before the change is not in the history.
 */
export function revertTo(recorded: readonly ChangeEvent[], changeId: string): Revert {
  const history = recorded.filter(changedState);
  const ordered = chronologicalOrder(history).map((i) => history[i]!);
  const at = ordered.findIndex((e) => e.id === changeId);
  if (at < 0) {
    const key = ordered[0] ? ` of ${eventKey(ordered[0])}` : '';
    throw new BlameError(`change "${changeId}" is not in the recorded history${key}; the IDs are in -f diff and in kubectl get changes`);
  }
  const change = ordered[at]!;
  const later = ordered.slice(at + 1);
  if (change.operation === 'CREATE') {
    throw new BlameError(
      `change ${changeId} created ${eventKey(change)}; before it the object did not exist, so reverting it means deleting it.\n` +
        `Nothing to apply; if that is what you want, run:\n  ${deleteCommand(change)}`,
    );
  }
  let before: JsonObject;
  if (change.operation === 'DELETE') {
    before = change.object;
  } else {
    const previous = ordered[at - 1];
    if (previous === undefined || previous.operation === 'DELETE' || recordsPartialObject(previous)) {
      throw new BlameError(
        `the object before change ${changeId} is not in the recorded history of ${eventKey(change)} ` +
          '(recording started with this change, or older changes were pruned), so logistis cannot rebuild it',
      );
    }
    before = previous.object;
  }
  if (isSecretEvent(change) || hasFingerprint(before)) {
    const data = isObject(before['data']) ? Object.keys(before['data']) : [];
    throw new BlameError(
      `${eventKey(change)} is a Secret: logistis recorded its values only as fingerprints, never the values, so it cannot ` +
        `print a manifest that restores them${data.length > 0 ? ` (keys: ${data.join(', ')})` : ''}.\n` +
        'Restore the values from where they are kept (a secret manager, sealed or external secrets); -f diff shows which keys changed.',
    );
  }
  return { manifest: cleanForApply(before, change), change, later };
}

// ---------------------------------------------------------------------------------------------------
// --fields

/** A Secret with every value hidden, and no last-applied annotation (it carries the values too). */
export function maskSecretValues(secret: JsonObject): JsonObject {
  const copy = copyJson(secret);
  for (const field of ['data', 'stringData']) {
    const values = copy[field];
    if (isObject(values)) copy[field] = Object.fromEntries(Object.keys(values).map((k) => [k, '<hidden>']));
  }
  const annotations = metadataOf(copy)['annotations'];
  if (isObject(annotations)) delete annotations[LAST_APPLIED_ANNOTATION];
  return copy;
}

/**
 * The object `blameObject` shows for --fields: the live object, normalised like the recorded ones but with its
 * managedFields (they name the owners of fields no recorded change explains). A Secret's live values never
 * reach the screen: it shows the last recorded (redacted) Secret with only the live managedFields, or, with no
 * history, the live Secret with its values hidden. Undefined without a live object (the newest recorded
 * object is shown then).
 */
export function blameSubject(history: readonly ChangeEvent[], live: JsonObject | undefined, isSecret: boolean): JsonObject | undefined {
  if (live === undefined) return undefined;
  const managedFields = metadataOf(live)['managedFields'];
  if (isSecret) {
    const order = chronologicalOrder(history);
    const newest = order.length > 0 ? history[order[order.length - 1]!] : undefined;
    const base = newest !== undefined && newest.operation !== 'DELETE' ? newest.object : maskSecretValues(normaliseObject(live));
    return { ...base, metadata: { ...metadataOf(base), ...(managedFields !== undefined ? { managedFields } : {}) } };
  }
  return normaliseObject(live, { dropManagedFields: false, dropResourceVersion: true, dropGeneration: true, dropStatus: true });
}
