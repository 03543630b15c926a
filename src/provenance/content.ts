// What the provenance watch keeps of an object: the hash of its recorded form (never the content), its uid,
// its replicas (a Scale change is confirmed by them), and who last wrote it according to managedFields. Pure.
import { createHash } from 'node:crypto';
import { isObject, type AuthorGuess, type JsonObject } from '../event.ts';
import { isExactNumber } from '../exact-json.ts';

function withSortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSortedKeys);
  // The watch reads objects with @kubernetes/client-node's JSON.parse, which rounds such a number: hash the
  // recorded one as that double too, or the watched state would never match the recorded one.
  if (isExactNumber(value)) return JSON.parse(value.rawJSON) as number;
  if (!isObject(value)) return value;
  // No prototype: a key named __proto__ stays a plain key.
  const sorted = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value).sort()) sorted[key] = withSortedKeys(value[key]);
  return sorted;
}

/** JSON with object keys sorted, so equal objects hash equal whatever order the API server sent. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(withSortedKeys(value)) ?? 'null';
}

/** sha256 of the canonical JSON, base64url: 43 characters whatever the object's size. */
export function contentHash(object: JsonObject): string {
  return createHash('sha256').update(canonicalJson(object)).digest('base64url');
}

/** spec.replicas, when the object has it. */
export function replicasOf(object: JsonObject): number | undefined {
  const spec = object['spec'];
  return isObject(spec) && typeof spec['replicas'] === 'number' ? spec['replicas'] : undefined;
}

/**
 * The newest managedFields entry: the field manager that last wrote the object. It names a program (kubectl,
 * helm, a controller), not a person, and is only as true as the clients that set it; hence a guess.
 */
export function guessAuthor(object: JsonObject): AuthorGuess | undefined {
  const metadata = object['metadata'];
  const entries = isObject(metadata) && Array.isArray(metadata['managedFields']) ? metadata['managedFields'] : [];
  let best: AuthorGuess | undefined;
  for (const entry of entries) {
    if (!isObject(entry) || typeof entry['manager'] !== 'string') continue;
    // The status subresource's writes are dropped with status by normalising: they explain no recorded change.
    if (entry['subresource'] === 'status') continue;
    const time = typeof entry['time'] === 'string' ? entry['time'] : '';
    if (!best || time >= best.time) {
      best = { manager: entry['manager'], operation: typeof entry['operation'] === 'string' ? entry['operation'] : '', time };
    }
  }
  return best;
}
