// RFC 6902 patches between normalised objects, always from the previous state to the new one. Pure.
import fastJsonPatch from 'fast-json-patch';
import type { JsonObject, PatchOperation } from '../event.ts';

/** Operations that turn `before` into `after`; `{}` stands for "no object" (before CREATE, after DELETE). */
export function computePatch(before: JsonObject, after: JsonObject): PatchOperation[] {
  if (Object.keys(before).length === 0) return creationPatch(after);
  if (Object.keys(after).length === 0) return Object.keys(before).map((key) => ({ op: 'remove', path: `/${fastJsonPatch.escapePathComponent(key)}` }));
  return fastJsonPatch.compare(before, after);
}

/**
 * The patch from nothing to `object`: one `add` per top-level field, sharing the object's values (nothing here
 * mutates them). Derivable from the object, so the store keeps only the object for a CREATE.
 */
export function creationPatch(object: JsonObject): PatchOperation[] {
  return Object.keys(object).map((key) => ({ op: 'add', path: `/${fastJsonPatch.escapePathComponent(key)}`, value: object[key] }));
}

/** Applies a patch to a copy of `document`; throws when an operation does not fit. */
export function applyPatch(document: JsonObject, patch: PatchOperation[]): JsonObject {
  const copy = structuredClone(document);
  return fastJsonPatch.applyPatch(copy, patch, true, true).newDocument as JsonObject;
}
