// RFC 6901 JSON Pointers: parsing, formatting and looking a value up. Pure.
import fastJsonPatch from 'fast-json-patch';

/** The reference tokens of a pointer, unescaped (`~1` → `/`, `~0` → `~`). `''` is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  const parts = pointer.split('/');
  // A pointer always starts with '/'; be lenient with one that does not.
  if (parts[0] === '') parts.shift();
  return parts.map((part) => fastJsonPatch.unescapePathComponent(part));
}

/** The pointer of reference tokens (`/` → `~1`, `~` → `~0`). */
export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((token) => `/${fastJsonPatch.escapePathComponent(token)}`).join('');
}

/**
 * A pointer as people read it: tokens unescaped, so `/metadata/labels/app.kubernetes.io~1name`
 * shows as `/metadata/labels/app.kubernetes.io/name`.
 */
export function displayPointer(pointer: string): string {
  const tokens = parsePointer(pointer);
  return tokens.length === 0 ? '/' : `/${tokens.join('/')}`;
}

/**
 * The array index a token names, if it names one of an array of `length` items; with `allowEnd`, also the
 * position after the last (`-`, or `length`), where an `add` appends.
 */
export function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const index = Number(token);
  return index < length || (allowEnd && index === length) ? index : undefined;
}

export type Lookup = { found: true; value: unknown } | { found: false };

/** The value at the given reference tokens, if there is one (own keys only: `__proto__` is a key like any other). */
export function lookup(doc: unknown, tokens: readonly string[]): Lookup {
  let cur: unknown = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) {
      const index = arrayIndex(token, cur.length, false);
      if (index === undefined) return { found: false };
      cur = cur[index];
    } else if (typeof cur === 'object' && cur !== null && Object.hasOwn(cur, token)) {
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
