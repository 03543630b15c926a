// The recorded change, as the store keeps it and the API returns it. Shared by capture, store, API and CLI.
import { isExactNumber } from './exact-json.ts';

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

/** A JSON object: not null, not an array, not a number kept exactly (exact-json.ts). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isExactNumber(value);
}

// C0 and C1 controls (ESC, CSI, BEL, newline, tab, DEL…) and the bidirectional overrides that can make text
// read differently from what it is ("trojan source"). None of them may reach a terminal from recorded data.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Recorded text made safe to print: control characters and bidi overrides become visible escapes
 * (`\u001b`, `\n`, `\t`), so a label or username can never move the cursor, recolour or reorder a terminal.
 * Apply it to data, never to text that already carries our own colour escapes.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\t') return '\\t';
    if (ch === '\r') return '\\r';
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** How recorded Secret values begin: a keyed fingerprint (src/admission/redact.ts makes them), never the value. */
export const FINGERPRINT_PREFIX = 'redacted:hmac-sha256:';

export function isFingerprint(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(FINGERPRINT_PREFIX);
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

/**
 * The review was larger than --max-body-bytes, so only what names the change was read from it: who, what,
 * which object, and the objects' metadata. The event's `object` is the object's apiVersion, kind and metadata,
 * and its `patch` covers only those; the rest of the change is not known.
 */
export interface OversizedReview {
  /** The AdmissionReview's size, in bytes. */
  reviewBytes: number;
  /** --max-body-bytes when it arrived. */
  maxBodyBytes: number;
  /** Metadata fields left out because they alone were too large, as dotted paths (e.g. metadata.annotations). */
  omitted?: string[];
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
  /** Set when the review was too large to read whole: `patch` and `object` then hold its metadata only. */
  oversized?: OversizedReview;
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
