// RFC 6901 JSON Pointers and a small, pure RFC 6902 applier used to find the value an operation replaced.
import type { PatchOperation } from '../event.ts';

/** The reference tokens of a pointer, unescaped (`~1` → `/`, `~0` → `~`). `''` is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  const parts = pointer.split('/');
  // A pointer always starts with '/'; be lenient with one that does not.
  if (parts[0] === '') parts.shift();
  return parts.map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The pointer of reference tokens (`/` → `~1`, `~` → `~0`). */
export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/**
 * A pointer as people read it: tokens unescaped, so `/metadata/labels/app.kubernetes.io~1name`
 * shows as `/metadata/labels/app.kubernetes.io/name`.
 */
export function displayPointer(pointer: string): string {
  const tokens = parsePointer(pointer);
  return tokens.length === 0 ? '/' : `/${tokens.join('/')}`;
}

export type Lookup = { found: true; value: unknown } | { found: false };

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === 'object' && v !== null;
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i < length || (allowEnd && i === length) ? i : undefined;
}

/** The value at the given reference tokens, if there is one. */
export function lookup(doc: unknown, tokens: readonly string[]): Lookup {
  let cur: unknown = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(token, cur.length, false);
      if (i === undefined) return { found: false };
      cur = cur[i];
    } else if (isContainer(cur) && Object.hasOwn(cur, token)) {
      cur = (cur as Record<string, unknown>)[token];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

/** The value at a JSON Pointer, if there is one. */
export function valueAt(doc: unknown, pointer: string): Lookup {
  return lookup(doc, parsePointer(pointer));
}

/**
 * Applies one operation to `doc` in place and returns the new root (a root-level `add`/`replace`
 * returns its value). Throws when the operation does not fit the document.
 */
export function applyOperationInPlace(doc: unknown, op: PatchOperation): unknown {
  const tokens = parsePointer(op.path);
  switch (op.op) {
    case 'add':
      return put(doc, tokens, structuredClone(op.value), 'add');
    case 'replace':
      return put(doc, tokens, structuredClone(op.value), 'replace');
    case 'remove':
      return take(doc, tokens).root;
    case 'move': {
      const from = take(doc, parsePointer(op.from));
      return put(from.root, tokens, from.value, 'add');
    }
    case 'copy': {
      const from = lookup(doc, parsePointer(op.from));
      if (!from.found) throw new Error(`copy: nothing at ${op.from}`);
      return put(doc, tokens, structuredClone(from.value), 'add');
    }
    case 'test':
    case '_get':
      return doc;
    default:
      throw new Error(`unknown operation ${(op as { op: string }).op}`);
  }
}

function parentOf(doc: unknown, tokens: readonly string[]): unknown {
  const parent = lookup(doc, tokens.slice(0, -1));
  if (!parent.found || !isContainer(parent.value)) {
    throw new Error(`no parent for ${formatPointer(tokens)}`);
  }
  return parent.value;
}

function put(doc: unknown, tokens: readonly string[], value: unknown, mode: 'add' | 'replace'): unknown {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, mode === 'add');
    if (i === undefined) throw new Error(`bad index ${formatPointer(tokens)}`);
    if (mode === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
  } else {
    const obj = parent as Record<string, unknown>;
    if (mode === 'replace' && !Object.hasOwn(obj, last)) throw new Error(`nothing to replace at ${formatPointer(tokens)}`);
    obj[last] = value;
  }
  return doc;
}

function take(doc: unknown, tokens: readonly string[]): { root: unknown; value: unknown } {
  if (tokens.length === 0) return { root: undefined, value: doc };
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false);
    if (i === undefined) throw new Error(`bad index ${formatPointer(tokens)}`);
    const [value] = parent.splice(i, 1);
    return { root: doc, value };
  }
  const obj = parent as Record<string, unknown>;
  if (!Object.hasOwn(obj, last)) throw new Error(`nothing to remove at ${formatPointer(tokens)}`);
  const value = obj[last];
  delete obj[last];
  return { root: doc, value };
}
