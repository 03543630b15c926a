// Creating and applying RFC 6902 patches between normalised objects, on fast-json-patch. Pure.
//
// Kubernetes allows any key in data, labels, annotations and most of spec, `__proto__` and `constructor`
// included, and a history must keep them exactly. fast-json-patch assigns keys (`obj[key] = value`), so
// patches are applied to a copy built of prototype-less objects, where `__proto__` is an ordinary own key,
// with its ban on such paths turned off; the result is copied back to plain objects with defined (never
// assigned) properties.
//
// A number kept exactly (exact-json.ts) is a value, never an object to walk into: fast-json-patch's compare would
// see its `rawJSON` key, and it copies values through JSON text, which rounds them. Objects holding one are
// compared with a stand-in per distinct number, and each operation's value is taken from `after` itself.
import fastJsonPatch from 'fast-json-patch';
import { setOwn, type JsonObject, type PatchOperation } from '../event.ts';
import { holdsExactNumber, isExactNumber } from '../exact-json.ts';
import { valueAt } from './pointer.ts';

/** Operations that turn `before` into `after`; `{}` stands for "no object" (before CREATE, after DELETE). */
export function computePatch(before: JsonObject, after: JsonObject): PatchOperation[] {
  if (Object.keys(before).length === 0) return creationPatch(after);
  if (Object.keys(after).length === 0) return Object.keys(before).map((key) => ({ op: 'remove', path: `/${fastJsonPatch.escapePathComponent(key)}` }));
  if (!holdsExactNumber(before) && !holdsExactNumber(after)) return fastJsonPatch.compare(before, after) as PatchOperation[];
  const standIns = new Map<string, symbol>();
  const patch = fastJsonPatch.compare(withStandIns(before, standIns) as JsonObject, withStandIns(after, standIns) as JsonObject) as PatchOperation[];
  // compare's add and replace put the value found at their path in `after` (it never moves or copies).
  return patch.map((op) => {
    if (!('value' in op)) return op;
    const found = valueAt(after, op.path);
    return found.found ? { ...op, value: found.value } : op;
  });
}

/** A copy where each exact number is a symbol, one per distinct text: equal numbers compare equal, others differ. */
function withStandIns(value: unknown, standIns: Map<string, symbol>): unknown {
  if (isExactNumber(value)) {
    let symbol = standIns.get(value.rawJSON);
    if (!symbol) standIns.set(value.rawJSON, (symbol = Symbol(value.rawJSON)));
    return symbol;
  }
  if (Array.isArray(value)) return value.map((item) => withStandIns(item, standIns));
  if (typeof value !== 'object' || value === null) return value;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) copy[key] = withStandIns((value as Record<string, unknown>)[key], standIns);
  return copy;
}

/**
 * The patch from nothing to `object`: one `add` per top-level field, sharing the object's values (nothing here
 * mutates them). Derivable from the object, so the store keeps only the object for a CREATE.
 */
export function creationPatch(object: JsonObject): PatchOperation[] {
  return Object.keys(object).map((key) => ({ op: 'add', path: `/${fastJsonPatch.escapePathComponent(key)}`, value: object[key] }));
}

/** A deep copy whose objects have no prototype, so that assigning any key defines an own property. */
function detached(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(detached);
  if (typeof value !== 'object' || value === null || isExactNumber(value)) return value;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) copy[key] = detached((value as Record<string, unknown>)[key]);
  return copy;
}

/** A deep copy made of plain objects, every key defined as an own property (never assigned). */
function attached(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(attached);
  if (typeof value !== 'object' || value === null || isExactNumber(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    setOwn(copy, key, attached((value as Record<string, unknown>)[key]));
  }
  return copy;
}

function detachedOperation(op: PatchOperation): PatchOperation {
  return 'value' in op ? { ...op, value: detached(op.value) } : { ...op };
}

/** Applies a patch to a copy of `document`; throws when an operation does not fit. Keys are kept exactly. */
export function applyPatch(document: JsonObject, patch: readonly PatchOperation[]): JsonObject {
  const copy = detached(document) as JsonObject;
  const result = fastJsonPatch.applyPatch(copy, patch.map(detachedOperation), true, true, false).newDocument;
  return attached(result) as JsonObject;
}

/**
 * Applies a patch one operation at a time to a copy of `document`, calling `visit` with each operation and the
 * document it applies to (for the n-th: the document with the operations before it applied). Stops at the first
 * operation that does not fit, and says whether every one did.
 */
export function walkPatch(document: unknown, patch: readonly PatchOperation[], visit: (op: PatchOperation, before: unknown) => void): boolean {
  let doc = detached(document);
  for (const [index, op] of patch.entries()) {
    visit(op, doc);
    try {
      doc = fastJsonPatch.applyOperation(doc, detachedOperation(op), true, true, false, index).newDocument;
    } catch {
      for (const rest of patch.slice(index + 1)) visit(rest, undefined);
      return false;
    }
  }
  return true;
}
