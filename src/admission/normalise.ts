// Removes what no human changed, so patches and diffs show only real edits. Pure; never mutates its input.
import { createHash } from 'node:crypto';
import { isObject, type JsonObject } from '../event.ts';
import { LAST_APPLIED_ANNOTATION } from './redact.ts';

/**
 * What to do with `kubectl.kubernetes.io/last-applied-configuration`, which repeats the whole applied manifest:
 * `keep` it as is (every apply then shows the change twice), `fold` it into one short content digest (a change
 * still shows, as one line), or `drop` it.
 */
export type LastAppliedMode = 'keep' | 'fold' | 'drop';
export const LAST_APPLIED_MODES: readonly LastAppliedMode[] = ['keep', 'fold', 'drop'];

/** A field to remove from objects of some kinds, e.g. `metadata.annotations["deployment.kubernetes.io/revision"]`. */
export interface IgnorePath {
  /** API groups the path applies to (`""` is the core group); empty: every group. */
  apiGroups: string[];
  /** Kinds the path applies to; empty: every kind. */
  kinds: string[];
  /** The path as written, for messages. */
  text: string;
  /** Object keys (strings) and list indexes (numbers) from the root. */
  segments: Array<string | number>;
}

export interface NormaliseOptions {
  dropManagedFields: boolean;
  dropResourceVersion: boolean;
  dropGeneration: boolean;
  dropStatus: boolean;
  /** Default `keep` when absent. */
  lastApplied?: LastAppliedMode;
  ignorePaths?: IgnorePath[];
}

export const DEFAULT_NORMALISE_OPTIONS: NormaliseOptions = {
  dropManagedFields: true,
  dropResourceVersion: true,
  dropGeneration: true,
  dropStatus: true,
  lastApplied: 'fold',
};

/**
 * Subresources whose whole payload is status: `certificatesigningrequests/approval` writes the Approved or Denied
 * condition there. Their status is kept, or each such request would look like it changed nothing.
 */
export const STATUS_PAYLOAD_SUBRESOURCES: ReadonlySet<string> = new Set(['approval']);

const withStatusKept = new WeakMap<NormaliseOptions, NormaliseOptions>();

/** The options for a request's objects: `options` itself, with status kept for a STATUS_PAYLOAD_SUBRESOURCES one. */
export function normaliseOptionsFor(subResource: string, options: NormaliseOptions): NormaliseOptions {
  if (!options.dropStatus || !STATUS_PAYLOAD_SUBRESOURCES.has(subResource)) return options;
  let kept = withStatusKept.get(options);
  // One options object per base options: normaliseObject's cache is keyed on their identity.
  if (!kept) withStatusKept.set(options, (kept = { ...options, dropStatus: false }));
  return kept;
}

export const FOLDED_LAST_APPLIED_PREFIX = 'folded:sha256:';

/** The digest stands for the manifest, so a re-apply of another manifest still shows, as one short line. */
export function foldLastApplied(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return FOLDED_LAST_APPLIED_PREFIX + createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Thrown for an ignore-path that cannot be parsed; the message names the path and the column. */
export class IgnorePathError extends Error {
  override name = 'IgnorePathError';
}

/**
 * Parses `a.b["c.d/e"][0].f` into ['a', 'b', 'c.d/e', 0, 'f']. Keys with dots or slashes go in brackets with
 * double or single quotes.
 */
export function parseIgnorePath(text: string): Array<string | number> {
  const segments: Array<string | number> = [];
  let i = 0;
  const fail = (message: string): never => {
    throw new IgnorePathError(`ignore-path ${JSON.stringify(text)}, column ${i + 1}: ${message}`);
  };
  while (i < text.length) {
    if (text[i] === '[') {
      const quote = text[i + 1];
      if (quote === '"' || quote === "'") {
        const end = text.indexOf(quote, i + 2);
        if (end < 0 || text[end + 1] !== ']') fail(`unterminated [${quote}…${quote}]`);
        segments.push(text.slice(i + 2, end));
        i = end + 2;
      } else {
        const end = text.indexOf(']', i);
        const index = text.slice(i + 1, end < 0 ? undefined : end);
        if (end < 0 || !/^\d+$/.test(index)) fail('expected ["key"] or [index]');
        segments.push(Number(index));
        i = end + 1;
      }
    } else {
      if (text[i] === '.') {
        if (segments.length === 0) fail('a path cannot start with "."');
        i++;
      }
      const match = /^[A-Za-z0-9_$-]+/.exec(text.slice(i));
      if (!match) fail('expected a field name');
      segments.push(match![0]);
      i += match![0].length;
    }
  }
  if (segments.length === 0) fail('empty path');
  return segments;
}

function groupOf(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function appliesTo(path: IgnorePath, object: JsonObject): boolean {
  if (path.kinds.length > 0 && !path.kinds.includes(String(object['kind']))) return false;
  return path.apiGroups.length === 0 || path.apiGroups.includes(groupOf(object['apiVersion']));
}

/** A copy of `node` without the value at `segments`, copying only the containers on the way; `node` when absent. */
function without(node: unknown, segments: Array<string | number>, depth: number): unknown {
  const key = segments[depth]!;
  const last = depth === segments.length - 1;
  if (typeof key === 'number') {
    if (!Array.isArray(node) || key >= node.length) return node;
    const copy: unknown[] = node.slice();
    if (last) copy.splice(key, 1);
    else copy[key] = without(node[key], segments, depth + 1);
    return copy;
  }
  if (!isObject(node) || !(key in node)) return node;
  const copy: JsonObject = { ...node };
  if (last) delete copy[key];
  else copy[key] = without(node[key], segments, depth + 1);
  return copy;
}

// The no-op-updates preset and the event both normalise an UPDATE's objects (the same parsed objects, the same
// options): the second call finds the first's result here instead of copying both objects again. Keyed weakly by
// the input, so an entry lives as long as its request. Callers never modify a result.
const normalised = new WeakMap<JsonObject, { options: NormaliseOptions; result: JsonObject }>();

export function normaliseObject(object: JsonObject, options: NormaliseOptions = DEFAULT_NORMALISE_OPTIONS): JsonObject {
  const known = normalised.get(object);
  if (known?.options === options) return known.result;
  const result = normaliseUncached(object, options);
  normalised.set(object, { options, result });
  return result;
}

function normaliseUncached(object: JsonObject, options: NormaliseOptions): JsonObject {
  let result: JsonObject = { ...object };
  if (options.dropStatus) delete result['status'];
  const metadata = result['metadata'];
  if (isObject(metadata)) {
    const cleanMetadata: JsonObject = { ...metadata };
    if (options.dropManagedFields) delete cleanMetadata['managedFields'];
    if (options.dropResourceVersion) delete cleanMetadata['resourceVersion'];
    if (options.dropGeneration) delete cleanMetadata['generation'];
    const annotations = cleanMetadata['annotations'];
    const lastApplied = options.lastApplied ?? 'keep';
    if (lastApplied !== 'keep' && isObject(annotations) && LAST_APPLIED_ANNOTATION in annotations) {
      const cleanAnnotations: JsonObject = { ...annotations };
      // A Secret's annotation holds its values: redaction, which runs after this, replaces the digest by a keyed
      // fingerprint, so the unkeyed digest of the values is never stored.
      if (lastApplied === 'drop') delete cleanAnnotations[LAST_APPLIED_ANNOTATION];
      else cleanAnnotations[LAST_APPLIED_ANNOTATION] = foldLastApplied(annotations[LAST_APPLIED_ANNOTATION]);
      if (Object.keys(cleanAnnotations).length === 0) delete cleanMetadata['annotations'];
      else cleanMetadata['annotations'] = cleanAnnotations;
    }
    result['metadata'] = cleanMetadata;
  }
  for (const path of options.ignorePaths ?? []) {
    if (appliesTo(path, result)) result = without(result, path.segments, 0) as JsonObject;
  }
  return result;
}
