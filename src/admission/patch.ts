// RFC 6902 patches between normalised objects, always from the previous state to the new one. Pure.
import { isDeepStrictEqual } from 'node:util';
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

/**
 * Sets a key as an own property. `object[key] = value` with key `__proto__` would replace the prototype
 * instead (and drop the key); Kubernetes allows that key in data, labels, annotations and specs.
 */
export function setOwn(object: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

type Container = JsonObject | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

function tokensOf(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchApplyError(`path "${pointer}" does not start with /`);
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, pointer: string): number {
  if (allowEnd && token === '-') return length;
  const index = /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : -1;
  if (index < 0 || index > length || (index === length && !allowEnd)) throw new PatchApplyError(`no index ${token} at ${pointer}`);
  return index;
}

function childOf(container: Container, token: string, pointer: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(token, container.length, false, pointer)];
  if (!Object.hasOwn(container, token)) throw new PatchApplyError(`nothing at ${pointer}`);
  return container[token];
}

/** The container that holds the last token of `tokens`. */
function parentOf(document: unknown, tokens: string[], pointer: string): Container {
  let current = document;
  for (const token of tokens.slice(0, -1)) {
    if (!isContainer(current)) throw new PatchApplyError(`nothing at ${pointer}`);
    current = childOf(current, token, pointer);
  }
  if (!isContainer(current)) throw new PatchApplyError(`no object or array holds ${pointer}`);
  return current;
}

/** A patch that does not fit its document. */
export class PatchApplyError extends Error {
  override name = 'PatchApplyError';
}

function put(document: unknown, pointer: string, value: unknown, mode: 'add' | 'replace'): unknown {
  const tokens = tokensOf(pointer);
  if (tokens.length === 0) return value;
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const index = arrayIndex(last, parent.length, mode === 'add', pointer);
    if (mode === 'add') parent.splice(index, 0, value);
    else parent[index] = value;
  } else {
    if (mode === 'replace' && !Object.hasOwn(parent, last)) throw new PatchApplyError(`nothing to replace at ${pointer}`);
    setOwn(parent, last, value);
  }
  return document;
}

function take(document: unknown, pointer: string): { document: unknown; value: unknown } {
  const tokens = tokensOf(pointer);
  if (tokens.length === 0) return { document: undefined, value: document };
  const parent = parentOf(document, tokens, pointer);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const [value] = parent.splice(arrayIndex(last, parent.length, false, pointer), 1);
    return { document, value };
  }
  if (!Object.hasOwn(parent, last)) throw new PatchApplyError(`nothing to remove at ${pointer}`);
  const value = parent[last];
  delete parent[last];
  return { document, value };
}

function valueAt(document: unknown, pointer: string): unknown {
  let current = document;
  for (const token of tokensOf(pointer)) {
    if (!isContainer(current)) throw new PatchApplyError(`nothing at ${pointer}`);
    current = childOf(current, token, pointer);
  }
  return current;
}

/**
 * Applies a patch to a copy of `document`; throws PatchApplyError when an operation does not fit. Our own
 * RFC 6902 applier rather than fast-json-patch's, which refuses `__proto__` paths (or, allowed, follows them
 * into the prototype): keys arrive from users and every key Kubernetes allows must replay.
 */
export function applyPatch(document: JsonObject, patch: PatchOperation[]): JsonObject {
  let result: unknown = structuredClone(document);
  for (const operation of patch) {
    switch (operation.op) {
      case 'add':
      case 'replace':
        result = put(result, operation.path, structuredClone(operation.value), operation.op);
        break;
      case 'remove':
        result = take(result, operation.path).document;
        break;
      case 'move': {
        const moved = take(result, operation.from);
        result = put(moved.document, operation.path, moved.value, 'add');
        break;
      }
      case 'copy':
        result = put(result, operation.path, structuredClone(valueAt(result, operation.from)), 'add');
        break;
      case 'test':
        if (!isDeepStrictEqual(valueAt(result, operation.path), operation.value)) {
          throw new PatchApplyError(`test failed at ${operation.path}`);
        }
        break;
      default:
        throw new PatchApplyError(`unknown operation "${(operation as { op: string }).op}"`);
    }
  }
  if (!isContainer(result) || Array.isArray(result)) throw new PatchApplyError('the patch does not leave an object');
  return result;
}
