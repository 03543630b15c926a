// Secret values never leave the request thread: each is replaced by a keyed fingerprint, so "this key changed"
// stays visible while the value is never stored or logged. The HMAC key is derived per object from the
// per-installation key and the object's namespace and name: equal values in two Secrets give different
// fingerprints (reading one namespace's history says nothing about another's values), while each change of
// one Secret still shows. Pure.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { FINGERPRINT_PREFIX, isObject, setOwn, type JsonObject } from '../event.ts';
export { isFingerprint } from '../event.ts';
import { parseJson } from '../exact-json.ts';

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
  const key = objectFingerprintKey(installationKey, identity);
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
