// Objects nested deeper than we can safely walk. The API server accepts JSON up to 10,000 levels deep, while
// patch computing, serialising and the read side recurse: beyond MAX_OBJECT_DEPTH the change is still recorded
// (who, what object, when, every shallower field), with each too-deep value replaced by a marker. Pure.
import { setOwn } from '../event.ts';

export const MAX_OBJECT_DEPTH = 1000;
export const TRUNCATED_MARKER = `redacted:nested-deeper-than-${MAX_OBJECT_DEPTH}-levels`;

/** True when some value sits deeper than `maxDepth` containers. Iterative: any depth is safe to measure. */
export function deeperThan(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function truncate(value: unknown, depthLeft: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depthLeft === 0) return TRUNCATED_MARKER;
  if (Array.isArray(value)) return value.map((item) => truncate(item, depthLeft - 1));
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) setOwn(copy, key, truncate(child, depthLeft - 1));
  return copy;
}

/** `object` itself when it is shallow enough (the common case costs one scan), else a truncated copy. */
export function limitDepth<T extends object>(object: T, maxDepth = MAX_OBJECT_DEPTH): T {
  return deeperThan(object, maxDepth) ? (truncate(object, maxDepth) as T) : object;
}
