// RFC 6902 patches between normalised objects, always from the previous state to the new one: the history
// module's, which every reader of a history shares. Applying keeps `__proto__`-like keys exactly.
import type { JsonObject } from '../event.ts';

export { applyPatch, computePatch, creationPatch } from '../history/patch.ts';

/**
 * Sets a key as an own property. `object[key] = value` with key `__proto__` would replace the prototype
 * instead (and drop the key); Kubernetes allows that key in data, labels, annotations and specs.
 */
export function setOwn(object: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}
