// What kubectl blame adds to the server's answers about one object's past: the live object it reads itself, made
// fit to blame (normalised like the recorded ones, a Secret's values never shown). The rules of the past (states,
// reverts, their refusals) are the server's, in src/history/past.ts. Pure.
import { normaliseObject } from '../../admission/normalise.ts';
import { LAST_APPLIED_ANNOTATION } from '../../admission/redact.ts';
import { isObject, type JsonObject } from '../../event.ts';
import { copyJson } from '../../exact-json.ts';

function metadataOf(obj: JsonObject): JsonObject {
  return isObject(obj['metadata']) ? obj['metadata'] : {};
}

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
 * The object --fields shows: the live object, normalised like the recorded ones but with its managedFields (they
 * name the owners of fields no recorded change explains). A Secret's live values never reach the screen: it
 * shows the newest recorded (redacted) Secret with only the live managedFields, or, with none recorded, the live
 * Secret with its values hidden. Undefined without a live object (the newest recorded object is shown then).
 */
export function blameSubject(newestRecorded: JsonObject | undefined, live: JsonObject | undefined, isSecret: boolean): JsonObject | undefined {
  if (live === undefined) return undefined;
  const managedFields = metadataOf(live)['managedFields'];
  if (isSecret) {
    const base = newestRecorded ?? maskSecretValues(normaliseObject(live));
    return { ...base, metadata: { ...metadataOf(base), ...(managedFields !== undefined ? { managedFields } : {}) } };
  }
  return normaliseObject(live, { dropManagedFields: false, dropResourceVersion: true, dropGeneration: true, dropStatus: true });
}
