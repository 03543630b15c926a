// Objects nested deeper than we can safely walk. The API server accepts JSON up to 10,000 levels deep, while
// patch computing, serialising and the read side recurse: beyond MAX_OBJECT_DEPTH the change is still recorded
// (who, what object, when, every shallower field), with each too-deep value replaced by a marker. Pure.
import { setOwn } from '../event.ts';
import { isExactNumber } from '../exact-json.ts';

export const MAX_OBJECT_DEPTH = 1000;
export const TRUNCATED_MARKER = `redacted:nested-deeper-than-${MAX_OBJECT_DEPTH}-levels`;

/** What one walk of an object found. */
export interface Nesting {
  /** Some value sits deeper than the limit. */
  tooDeep: boolean;
  /**
   * A `kind: Secret`, `apiVersion: v1` object sits below the root (redact.ts fingerprints its values). Capture asks
   * this of every object too, so the same walk answers it: a second walk cost as much again as this one. True
   * whenever `tooDeep` is, since the walk stops there.
   */
  nestedSecret: boolean;
}

/**
 * Walks the whole value once. Iterative: any depth is safe to measure. It runs on every captured object, so it
 * keeps two plain stacks instead of a tuple per container and reads children in place instead of copying them out
 * with Object.values (measured: 23 µs down to 3.6 µs for the bench's objects). Its input is parsed JSON, whose
 * objects inherit nothing enumerable, so `for…in` sees exactly the own keys.
 */
export function inspectNesting(value: unknown, maxDepth: number): Nesting {
  if (typeof value !== 'object' || value === null) return { tooDeep: false, nestedSecret: false };
  let nestedSecret = false;
  const containers: object[] = [value];
  const depths: number[] = [0];
  while (containers.length > 0) {
    const current = containers.pop()!;
    const depth = depths.pop()!;
    if (depth >= maxDepth) return { tooDeep: true, nestedSecret: true };
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const child: unknown = current[i];
        if (typeof child === 'object' && child !== null) {
          containers.push(child);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    const record = current as Record<string, unknown>;
    for (const key in record) {
      const child: unknown = record[key];
      if (typeof child === 'object' && child !== null) {
        containers.push(child);
        depths.push(depth + 1);
      } else if (key === 'kind' && child === 'Secret' && depth > 0 && record['apiVersion'] === 'v1') {
        // Tested on the keys and values the loop reads anyway, the key first (parsed keys are interned: one pointer
        // comparison). Measured on a 238 kB Deployment: this walk 64 → 76 µs; a lookup of `kind` on every object
        // cost 63 → 100 µs, a walk of its own as much as this one.
        nestedSecret = true;
      }
    }
  }
  return { tooDeep: false, nestedSecret };
}

/** True when some value sits deeper than `maxDepth` containers. */
export function deeperThan(value: unknown, maxDepth: number): boolean {
  return inspectNesting(value, maxDepth).tooDeep;
}

function truncate(value: unknown, depthLeft: number): unknown {
  if (typeof value !== 'object' || value === null || isExactNumber(value)) return value;
  if (depthLeft === 0) return TRUNCATED_MARKER;
  if (Array.isArray(value)) return value.map((item) => truncate(item, depthLeft - 1));
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setOwn(copy, key, truncate(child, depthLeft - 1));
  return copy;
}

/** `object` itself when it is shallow enough (the common case costs one scan), else a truncated copy. */
export function limitDepth<T extends object>(object: T, maxDepth = MAX_OBJECT_DEPTH): T {
  return limitDepthAndFindSecrets(object, maxDepth).object;
}

/** limitDepth, and from the same walk whether a Secret manifest is nested in the object (see Nesting). */
export function limitDepthAndFindSecrets<T extends object>(object: T, maxDepth = MAX_OBJECT_DEPTH): { object: T; nestedSecret: boolean } {
  const nesting = inspectNesting(object, maxDepth);
  return { object: nesting.tooDeep ? (truncate(object, maxDepth) as T) : object, nestedSecret: nesting.nestedSecret };
}
