// RFC 6902 patches between normalised objects, always from the previous state to the new one. Pure.
import fastJsonPatch from 'fast-json-patch';
import type { JsonObject, PatchOperation } from '../event.ts';

/** Operations that turn `before` into `after`; `{}` stands for "no object" (before CREATE, after DELETE). */
export function computePatch(before: JsonObject, after: JsonObject): PatchOperation[] {
  return fastJsonPatch.compare(before, after);
}

/** Applies a patch to a copy of `document`; throws when an operation does not fit. */
export function applyPatch(document: JsonObject, patch: PatchOperation[]): JsonObject {
  const copy = structuredClone(document);
  return fastJsonPatch.applyPatch(copy, patch, true, true).newDocument as JsonObject;
}
