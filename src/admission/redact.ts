// Secret values never leave the request thread: each is replaced by a keyed fingerprint, so "this key changed"
// stays visible while the value is never stored or logged. The HMAC key is derived per object from the
// per-installation key and the object's namespace and name: equal values in two Secrets give different
// fingerprints (reading one namespace's history says nothing about another's values), while each change of
// one Secret still shows. Pure.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { FINGERPRINT_PREFIX, isObject, setOwn, type JsonObject } from '../event.ts';
export { isFingerprint } from '../event.ts';
import { parseJson } from '../exact-json.ts';
import { inspectNesting, MAX_OBJECT_DEPTH } from './depth.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

// Turning raw key bytes into a key costs more than the HMAC of a short value: do it once per key.
const keyObjects = new WeakMap<Buffer, KeyObject>();

function keyObjectFor(key: Buffer): KeyObject {
  let keyObject = keyObjects.get(key);
  if (!keyObject) keyObjects.set(key, (keyObject = createSecretKey(key)));
  return keyObject;
}

/** Which object a fingerprint belongs to. */
export interface SecretIdentity {
  namespace: string;
  name: string;
}

/** The fingerprint key of one object: HMAC(installation key, purpose, namespace, name). */
export function objectFingerprintKey(installationKey: Buffer, object: SecretIdentity): KeyObject {
  const derived = createHmac('sha256', keyObjectFor(installationKey))
    .update(`logistis secret fingerprint v2\u0000${object.namespace}\u0000${object.name}`)
    .digest();
  return createSecretKey(derived);
}

/** `data` and `stringData` fingerprint the same bytes alike, so moving a value between them shows no change. */
export function fingerprint(value: Buffer, key: KeyObject): string {
  return FINGERPRINT_PREFIX + createHmac('sha256', key).update(value).digest('hex').slice(0, 24);
}

export function isSecret(object: JsonObject | null | undefined, requestKind?: { group: string; kind: string }): boolean {
  if (requestKind && requestKind.group === '' && requestKind.kind === 'Secret') return true;
  return !!object && object['kind'] === 'Secret' && object['apiVersion'] === 'v1';
}

function redactValues(values: unknown, key: KeyObject, decode: (value: string) => Buffer): unknown {
  if (!isObject(values)) return values === undefined || values === null ? values : fingerprint(Buffer.from(JSON.stringify(values)), key);
  const redacted: JsonObject = {};
  for (const [name, value] of Object.entries(values)) {
    setOwn(redacted, name, typeof value === 'string' ? fingerprint(decode(value), key) : fingerprint(Buffer.from(JSON.stringify(value ?? null)), key));
  }
  return redacted;
}

function redactSecretBody(secret: JsonObject, key: KeyObject): JsonObject {
  const result: JsonObject = { ...secret };
  if ('data' in result) result['data'] = redactValues(result['data'], key, (value) => Buffer.from(value, 'base64'));
  if ('stringData' in result) result['stringData'] = redactValues(result['stringData'], key, (value) => Buffer.from(value, 'utf8'));
  return result;
}

function redactLastApplied(text: string, key: KeyObject): string {
  // Folded (the default, normalise.ts) or otherwise not a JSON object: fingerprint it without a JSON.parse that
  // would throw, since building that exception cost more than the rest of the Secret's redaction.
  if (!text.trimStart().startsWith('{')) return fingerprint(Buffer.from(text), key);
  try {
    const parsed: unknown = parseJson(text);
    if (!isObject(parsed)) return fingerprint(Buffer.from(text), key);
    return JSON.stringify(redactSecretBody(parsed, key));
  } catch {
    // An annotation we cannot read may still hold the values: keep only its fingerprint.
    return fingerprint(Buffer.from(text), key);
  }
}

/**
 * Replaces a Secret's values, including those inside the last-applied-configuration annotation, with
 * fingerprints keyed for this object (`identity`: the request's namespace and name).
 */
export function redactSecret(secret: JsonObject, installationKey: Buffer, identity: SecretIdentity): JsonObject {
  return redactSecretWithKey(secret, objectFingerprintKey(installationKey, identity));
}

function redactSecretWithKey(secret: JsonObject, key: KeyObject): JsonObject {
  const result = redactSecretBody(secret, key);
  const metadata = result['metadata'];
  if (isObject(metadata) && isObject(metadata['annotations'])) {
    const annotations: JsonObject = { ...metadata['annotations'] };
    const lastApplied = annotations[LAST_APPLIED_ANNOTATION];
    if (lastApplied !== undefined) {
      annotations[LAST_APPLIED_ANNOTATION] = typeof lastApplied === 'string'
        ? redactLastApplied(lastApplied, key)
        : fingerprint(Buffer.from(JSON.stringify(lastApplied)), key);
    }
    result['metadata'] = { ...metadata, annotations };
  }
  return result;
}

/**
 * A field to fingerprint in objects of some kinds, written as a JSON Pointer whose `*` segments match every key
 * (or list index) there, e.g. `/spec/target/template/data/*`: each value of that map becomes its fingerprint, the
 * keys stay visible. A string is fingerprinted as its UTF-8 bytes, anything else as its JSON.
 */
export interface RedactPath {
  /** API groups (`""`: core); empty: every group. */
  apiGroups: readonly string[];
  /** Kinds; empty: every kind. */
  kinds: readonly string[];
  /** The pointer as written, for messages. */
  text: string;
  segments: readonly string[];
}

export const ANY_SEGMENT = '*';

/** Thrown for a redact path that is not a JSON Pointer. */
export class RedactPathError extends Error {
  override name = 'RedactPathError';
}

/** `/a/b~1c/*` → ['a', 'b/c', '*']. */
export function parseRedactPath(text: string): string[] {
  if (!text.startsWith('/') || text.length < 2) throw new RedactPathError(`redact path ${JSON.stringify(text)}: must be a JSON Pointer such as /spec/target/template/data/*`);
  const segments = text.slice(1).split('/');
  if (segments.some((segment) => segment === '')) throw new RedactPathError(`redact path ${JSON.stringify(text)}: has an empty segment`);
  return segments.map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function apiGroupOf(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** A path list by the kinds it names, so most objects are ruled out by one map lookup. */
interface PathIndex {
  byKind: Map<string, RedactPath[]>;
  anyKind: RedactPath[];
}

const pathIndexes = new WeakMap<readonly RedactPath[], PathIndex>();

function pathIndexOf(paths: readonly RedactPath[]): PathIndex {
  let index = pathIndexes.get(paths);
  if (index) return index;
  index = { byKind: new Map(), anyKind: paths.filter((path) => path.kinds.length === 0) };
  for (const path of paths) {
    for (const kind of path.kinds) index.byKind.set(kind, [...index.byKind.get(kind) ?? [], path]);
  }
  pathIndexes.set(paths, index);
  return index;
}

const NO_PATHS: RedactPath[] = [];

function pathsFor(object: JsonObject, paths: readonly RedactPath[]): RedactPath[] {
  if (paths.length === 0) return NO_PATHS;
  const index = pathIndexOf(paths);
  const kind = object['kind'];
  const named = typeof kind === 'string' ? index.byKind.get(kind) : undefined;
  if (!named && index.anyKind.length === 0) return NO_PATHS;
  const group = apiGroupOf(object['apiVersion']);
  return [...named ?? [], ...index.anyKind].filter((path) => path.apiGroups.length === 0 || path.apiGroups.includes(group));
}

function fingerprintValue(value: unknown, key: KeyObject): unknown {
  if (value === undefined || value === null) return value;
  return fingerprint(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), key);
}

/** A copy of `node` with the values at `segments` fingerprinted, copying only the containers on the way. */
function redactAt(node: unknown, segments: readonly string[], depth: number, key: KeyObject): unknown {
  if (depth === segments.length) return fingerprintValue(node, key);
  const segment = segments[depth]!;
  if (Array.isArray(node)) {
    const indexes = segment === ANY_SEGMENT ? node.keys() : /^\d+$/.test(segment) && Number(segment) < node.length ? [Number(segment)] : [];
    let copy: unknown[] | undefined;
    for (const index of indexes) {
      const redacted = redactAt(node[index], segments, depth + 1, key);
      if (redacted !== node[index]) (copy ??= node.slice())[index] = redacted;
    }
    return copy ?? node;
  }
  if (!isObject(node)) return node;
  const names = segment === ANY_SEGMENT ? Object.keys(node) : Object.hasOwn(node, segment) ? [segment] : [];
  let copy: JsonObject | undefined;
  for (const name of names) {
    const redacted = redactAt(node[name], segments, depth + 1, key);
    if (redacted !== node[name]) setOwn((copy ??= { ...node }), name, redacted);
  }
  return copy ?? node;
}

/** A copy of `node` with every nested Secret's values fingerprinted; `node` itself where none is below it. */
function redactNestedSecrets(node: unknown, key: KeyObject): unknown {
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const redacted = redactNestedSecrets(node[i], key);
      if (redacted !== node[i]) (copy ??= node.slice())[i] = redacted;
    }
    return copy ?? node;
  }
  const object = node as JsonObject;
  if (isSecret(object)) return redactSecretWithKey(object, key);
  let copy: JsonObject | undefined;
  for (const name of Object.keys(object)) {
    const redacted = redactNestedSecrets(object[name], key);
    if (redacted !== object[name]) setOwn((copy ??= { ...object }), name, redacted);
  }
  return copy ?? object;
}

/** The object's own fields: nested Secrets and the paths of its kind. `object` itself when nothing matched. */
function redactFields(
  object: JsonObject, paths: readonly RedactPath[], key: () => KeyObject, nestedSecret = inspectNesting(object, MAX_OBJECT_DEPTH).nestedSecret,
): JsonObject {
  let result = object;
  if (nestedSecret) {
    const secretKey = key();
    const copy: JsonObject = { ...object };
    let changed = false;
    for (const name of Object.keys(object)) {
      const redacted = redactNestedSecrets(object[name], secretKey);
      if (redacted !== object[name]) {
        setOwn(copy, name, redacted);
        changed = true;
      }
    }
    if (changed) result = copy;
  }
  for (const path of pathsFor(object, paths)) result = redactAt(result, path.segments, 0, key()) as JsonObject;
  return result;
}

/**
 * Fingerprints what other kinds embed of a Secret: the values of every `kind: Secret` manifest nested in the
 * object (a Crossplane Object's manifest, a Helm values object, …), and the values at `paths` for the object's
 * kind (an ExternalSecret's template). The same in the last-applied-configuration annotation, which repeats the
 * manifest: it is rewritten redacted, or fingerprinted whole when it cannot be read. Keyed like a Secret's
 * fingerprints, for the recorded object (`identity`). Returns `object` itself when nothing is to be redacted, so
 * the common case costs one walk and no copy; `nestedSecret`, when the caller's own walk already knows it
 * (depth.ts inspectNesting), saves even that. Run it before normalising, so a folded annotation is the digest of
 * the redacted manifest.
 */
export function redactEmbeddedSecrets(object: JsonObject, paths: readonly RedactPath[], installationKey: Buffer, identity: SecretIdentity, nestedSecret?: boolean): JsonObject {
  let cachedKey: KeyObject | undefined;
  const key = () => (cachedKey ??= objectFingerprintKey(installationKey, identity));
  let result = redactFields(object, paths, key, nestedSecret);
  const metadata = result['metadata'];
  if (!isObject(metadata) || !isObject(metadata['annotations'])) return result;
  const lastApplied = metadata['annotations'][LAST_APPLIED_ANNOTATION];
  if (lastApplied === undefined || lastApplied === null) return result;
  let redactedLastApplied: unknown = lastApplied;
  if (typeof lastApplied !== 'string') {
    redactedLastApplied = fingerprint(Buffer.from(JSON.stringify(lastApplied)), key());
  } else if (lastApplied.includes('Secret') || pathsFor(object, paths).length > 0) {
    // Only a manifest that can hold something to redact is parsed: parsing every applied object's annotation
    // would cost more than the rest of this.
    let parsed: unknown;
    try {
      parsed = parseJson(lastApplied);
    } catch {
      parsed = undefined;
    }
    // The annotation is text, so the object's depth limit did not reach it; the redaction below recurses.
    const nesting = isObject(parsed) ? inspectNesting(parsed, MAX_OBJECT_DEPTH) : undefined;
    if (!isObject(parsed) || !nesting || nesting.tooDeep) {
      redactedLastApplied = fingerprint(Buffer.from(lastApplied), key());
    } else {
      const redacted = redactFields(parsed, paths, key, nesting.nestedSecret);
      if (redacted !== parsed) redactedLastApplied = `${JSON.stringify(redacted)}\n`;
    }
  }
  if (redactedLastApplied === lastApplied) return result;
  const annotations: JsonObject = { ...metadata['annotations'] };
  annotations[LAST_APPLIED_ANNOTATION] = redactedLastApplied;
  result = { ...result, metadata: { ...metadata, annotations } };
  return result;
}
