// Who owns a field according to `metadata.managedFields` (server-side field ownership, FieldsV1 format).
//
// A FieldsV1 set is a tree of JSON objects whose keys are path elements:
//   `f:<name>`   a field of a map or struct            `f:replicas`
//   `k:<json>`   a list item by its key fields          `k:{"name":"web"}`, `k:{"containerPort":80,"protocol":"TCP"}`
//   `v:<json>`   a list item (of a set) by its value     `v:"example.com/finalizer"`
//   `i:<n>`      a list item by its index               `i:0`
//   `.`          the node itself (a map or list item owned as a whole, beside the children listed)
// A key whose value is `{}` is a leaf: that field, with everything under it, is owned.
import { isDeepStrictEqual } from 'node:util';
import { isObject, type JsonObject } from '../event.ts';
import { parseJson as parseExactJson } from '../exact-json.ts';

export interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  time: string;
  subresource: string;
  fields: FieldSet;
}

/** A parsed FieldsV1 set: path elements to child sets. */
export interface FieldSet {
  /** `.` was present: the node itself is owned. */
  self: boolean;
  children: Map<string, FieldSet>;
}

/** Parses a FieldsV1 object. Anything that is not an object counts as an empty (leaf) set. */
export function parseFieldsV1(raw: unknown): FieldSet {
  const set: FieldSet = { self: false, children: new Map() };
  if (!isObject(raw)) return set;
  for (const [key, value] of Object.entries(raw)) {
    if (key === '.') set.self = true;
    else set.children.set(key, parseFieldsV1(value));
  }
  return set;
}

/** The entries of an object's `metadata.managedFields` that use FieldsV1; others are skipped. */
export function managedFieldsOf(obj: JsonObject | undefined): ManagedFieldsEntry[] {
  const metadata = obj?.metadata;
  if (!isObject(metadata) || !Array.isArray(metadata.managedFields)) return [];
  const entries: ManagedFieldsEntry[] = [];
  for (const raw of metadata.managedFields) {
    if (!isObject(raw)) continue;
    if (raw.fieldsType !== undefined && raw.fieldsType !== 'FieldsV1') continue;
    entries.push({
      manager: typeof raw.manager === 'string' && raw.manager !== '' ? raw.manager : '<unknown manager>',
      operation: typeof raw.operation === 'string' ? raw.operation : '',
      time: typeof raw.time === 'string' ? raw.time : '',
      subresource: typeof raw.subresource === 'string' ? raw.subresource : '',
      fields: parseFieldsV1(raw.fieldsV1),
    });
  }
  return entries;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: parseExactJson(text) };
  } catch {
    return { ok: false };
  }
}

/** The child set that a list item `item` at `index` matches, by `k:`, `v:` or `i:`. */
function listItemSet(set: FieldSet, item: unknown, index: number): FieldSet | undefined {
  for (const [key, child] of set.children) {
    if (key.startsWith('k:')) {
      const parsed = parseJson(key.slice(2));
      if (!parsed.ok || !isObject(parsed.value) || !isObject(item)) continue;
      const keyFields = parsed.value;
      if (Object.entries(keyFields).every(([f, v]) => isDeepStrictEqual(item[f], v))) return child;
    } else if (key.startsWith('v:')) {
      const parsed = parseJson(key.slice(2));
      if (parsed.ok && isDeepStrictEqual(parsed.value, item)) return child;
    } else if (key === `i:${index}`) {
      return child;
    }
  }
  return undefined;
}

/**
 * Does `set` own the field at `tokens` of `obj`? It does when the path ends on an owned node (a leaf, or
 * a node with `.`), or passes through a leaf on the way (the whole subtree is owned, e.g. an atomic list).
 */
export function ownsPath(set: FieldSet, obj: unknown, tokens: readonly string[]): boolean {
  let cur: FieldSet = set;
  let value: unknown = obj;
  for (const token of tokens) {
    if (cur.children.size === 0 && cur !== set) return true;
    let next: FieldSet | undefined;
    if (Array.isArray(value)) {
      const index = Number(token);
      next = listItemSet(cur, value[index], index);
      value = value[index];
    } else {
      next = cur.children.get(`f:${token}`);
      value = isObject(value) ? value[token] : undefined;
    }
    if (next === undefined) return false;
    cur = next;
  }
  return cur.children.size === 0 || cur.self;
}

/**
 * The managedFields entry that owns the field at `tokens` of `obj` (the object carrying the
 * managedFields); of several owners, the one that wrote last. Undefined when nobody owns the field itself.
 */
export function fieldOwner(obj: JsonObject, tokens: readonly string[], entries = managedFieldsOf(obj)): ManagedFieldsEntry | undefined {
  if (tokens.length === 0) return undefined;
  let best: ManagedFieldsEntry | undefined;
  for (const entry of entries) {
    if (!ownsPath(entry.fields, obj, tokens)) continue;
    if (best === undefined || timeOf(entry) > timeOf(best)) best = entry;
  }
  return best;
}

function timeOf(entry: ManagedFieldsEntry): number {
  const t = Date.parse(entry.time);
  return Number.isNaN(t) ? -Infinity : t;
}
