// The recorded change, as the store keeps it and the API returns it. Shared by capture, store, API and CLI.

/**
 * The project's own RFC 6902 operation: what events store and every reader walks. No library type leaks through
 * it, so the patch library (src/history/) can change without touching the event format.
 */
export type PatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'move'; path: string; from: string }
  | { op: 'copy'; path: string; from: string }
  | { op: 'test'; path: string; value: unknown };

/** CONNECT: `kubectl exec`, `attach` or `port-forward` on a pod, recorded when the exec capture preset is on. */
export type ChangeOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface EventUser {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export type JsonObject = { [key: string]: unknown };

/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Sets a key as an own property. `object[key] = value` with key `__proto__` would replace the prototype
 * instead (and drop the key); Kubernetes allows that key in data, labels, annotations and specs.
 */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Provenance (src/provenance/): did the recorded change really happen? pending: captured, not yet seen by the
 * watch; confirmed: the watch showed the object in the recorded state; not-applied: it never did (a later
 * admission step or the write refused it); unattributed: the watch saw a change that no captured request
 * explains. Absent: recorded without --provenance, or before the store knew states.
 */
export type EventState = 'pending' | 'confirmed' | 'not-applied' | 'unattributed';

/** For an unattributed change: who probably made it, from the object's managedFields. A guess, never a user. */
export interface AuthorGuess {
  /** The field manager of the newest managedFields entry, e.g. kubectl, kubectl-client-side-apply. */
  manager: string;
  /** Update or Apply. */
  operation: string;
  /** When that manager last wrote, RFC 3339 ('' when managedFields do not say). */
  time: string;
}

export interface ChangeEvent {
  id: string;
  /** RFC 3339 with milliseconds, the time the webhook received the request. */
  time: string;
  requestUid: string;
  operation: ChangeOperation;
  user: EventUser;
  group: string;
  version: string;
  kind: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  objectUid: string;
  fieldManager: string;
  /** RFC 6902 operations from the previous normalised object to this one. */
  patch: PatchOperation[];
  /** The normalised, redacted object after the change; for DELETE, the deleted object. */
  object: JsonObject;
  /**
   * Set when a Lock denied the request: the Lock's name. The change never happened; `patch` and `object` are
   * what was attempted.
   */
  deniedBy?: string;
  state?: EventState;
  /** When the state last changed, RFC 3339. */
  stateChangedAt?: string;
  /** Only on unattributed events; `user` is then empty. */
  authorGuess?: AuthorGuess;
}

/** An event before the store gave it an id. */
export type NewChangeEvent = Omit<ChangeEvent, 'id'>;

/** Identifies one object's history. */
export interface ObjectKey {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}
