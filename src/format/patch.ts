// Readable one-line descriptions of RFC 6902 patches, always in the direction old → new.
import { isObject, type ChangeEvent, type ChangeOperation, type JsonObject, type PatchOperation } from '../event.ts';
import { noColours, type Colours } from './colour.ts';
import { applyOperationInPlace, displayPointer, parsePointer, valueAt } from './pointer.ts';
import { printable, truncate } from './text.ts';
import { TOP_LEVEL_ORDER } from './yaml.ts';
import { describeConnect } from '../rules/connect.ts';

export interface DescribeOptions {
  colours?: Colours;
  /** Longest a value may be shown, in columns, before it is cut with `…`. Default 40. */
  maxValueWidth?: number;
}

export interface DescribePatchOptions extends DescribeOptions {
  /**
   * The event's operation. CREATE gives one `created (…)` line, DELETE gives `deleted`.
   * Without it, a patch of top-level `add`s onto an empty previous object counts as a creation.
   */
  operation?: ChangeOperation;
}

export const DEFAULT_MAX_VALUE_WIDTH = 40;

/** A JSON value in one line (strings quoted), cut with `…` beyond `max` columns. */
export function formatValue(value: unknown, max: number = DEFAULT_MAX_VALUE_WIDTH): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return truncate(printable(text), Math.max(2, max));
}

/**
 * One operation as one line, e.g. `replace /spec/replicas: 2 → 3`, `add /metadata/labels/tier: "web"`,
 * `remove /metadata/labels/app (was "nginx")`. `previousObject` is the object the operation applies to
 * (for the n-th operation of a patch: the previous object with the operations before it applied);
 * without it, old values show as `?`.
 */
export function describePatchOperation(
  op: PatchOperation,
  previousObject?: unknown,
  options: DescribeOptions = {},
): string {
  const c = options.colours ?? noColours;
  const max = options.maxValueWidth ?? DEFAULT_MAX_VALUE_WIDTH;
  const path = c.path(printable(displayPointer(op.path)));
  const old = previousObject === undefined ? undefined : valueAt(previousObject, op.path);
  const oldText = old?.found ? c.remove(formatValue(old.value, max)) : c.dim('?');
  switch (op.op) {
    case 'add':
      return `add ${path}: ${c.add(formatValue(op.value, max))}`;
    case 'replace':
      return `replace ${path}: ${oldText} → ${c.add(formatValue(op.value, max))}`;
    case 'remove':
      return old?.found ? `remove ${path} (was ${oldText})` : `remove ${path}`;
    case 'move':
      return `move ${c.path(printable(displayPointer(op.from)))} → ${path}`;
    case 'copy':
      return `copy ${c.path(printable(displayPointer(op.from)))} → ${path}`;
    case 'test':
      return `test ${path}: ${formatValue(op.value, max)}`;
    default:
      return `${printable(String((op as { op: unknown }).op))} ${path}`;
  }
}

/** Top-level fields a creation patch sets, in the usual Kubernetes order, without apiVersion and kind. */
function createdFields(patch: readonly PatchOperation[]): string[] {
  const keys = new Set<string>();
  for (const op of patch) {
    const tokens = parsePointer(op.path);
    if (tokens.length === 0 && (op.op === 'add' || op.op === 'replace') && isObject(op.value)) {
      for (const k of Object.keys(op.value)) keys.add(k);
    } else if (tokens[0] !== undefined) {
      keys.add(tokens[0]);
    }
  }
  keys.delete('apiVersion');
  keys.delete('kind');
  const ordered = TOP_LEVEL_ORDER.filter((k) => keys.has(k));
  for (const k of keys) if (!ordered.includes(k)) ordered.push(k);
  return ordered;
}

function looksLikeCreation(patch: readonly PatchOperation[], previousObject: unknown): boolean {
  return (
    isObject(previousObject) &&
    Object.keys(previousObject).length === 0 &&
    patch.length > 0 &&
    patch.every((op) => op.op === 'add' && parsePointer(op.path).length <= 1)
  );
}

const MAX_CREATED_FIELDS = 4;

/**
 * One line per operation, each in the direction old → new, old values read from `previousObject`
 * as the earlier operations of the patch leave it. CREATE gives one `created (metadata, spec)` line,
 * DELETE gives `deleted`, an UPDATE with an empty patch `(no change)`.
 */
export function describePatch(
  patch: readonly PatchOperation[],
  previousObject?: unknown,
  options: DescribePatchOptions = {},
): string[] {
  const c = options.colours ?? noColours;
  if (options.operation === 'DELETE') return [c.remove('deleted')];
  if (options.operation === 'CREATE' || (options.operation === undefined && looksLikeCreation(patch, previousObject))) {
    const fields = createdFields(patch);
    if (fields.length === 0) return [c.add('created')];
    const shown = printable(fields.slice(0, MAX_CREATED_FIELDS).join(', '));
    return [`${c.add('created')} (${shown}${fields.length > MAX_CREATED_FIELDS ? ', …' : ''})`];
  }
  if (patch.length === 0) return [c.dim('(no change)')];
  // Walk a private copy of the previous object forward, so that each operation sees the document it
  // applies to (indexes shift after an array remove). If the patch does not fit, stop walking and read
  // old values from where we got to: better a `?` than a wrong value.
  let doc: unknown = previousObject === undefined ? undefined : structuredClone(previousObject);
  let fits = doc !== undefined;
  const lines: string[] = [];
  for (const op of patch) {
    lines.push(describePatchOperation(op, fits ? doc : undefined, options));
    if (fits) {
      try {
        doc = applyOperationInPlace(doc, op);
      } catch {
        fits = false;
      }
    }
  }
  return lines;
}

/** `describePatch` for one recorded event, given the object before it (see `previousObjects`). */
export function describeChange(event: ChangeEvent, previousObject: JsonObject | undefined, options: DescribeOptions = {}): string[] {
  if (event.operation === 'CONNECT') return [describeConnect(event.subresource, event.object)];
  return describePatch(event.patch, previousObject, { ...options, operation: event.operation });
}

export interface EventWithPrevious {
  event: ChangeEvent;
  /** The object before the event: `{}` for a CREATE, and `{}` when the earlier state is not in the list. */
  previous: JsonObject;
  /** False when `previous` is a stand-in `{}` because the history before this event is not known. */
  known: boolean;
}

/** Identifies an object across its events (group, kind, namespace, name). */
export function objectKeyOf(event: Pick<ChangeEvent, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return JSON.stringify([event.group, event.kind, event.namespace, event.name]);
}

/**
 * Pairs each event with the object before it: the object of the previous event of the same object in
 * the list (by time; the list may be oldest or newest first), or `{}` for a CREATE or when unknown.
 * The result keeps the order of `history`.
 */
export function previousObjects(history: readonly ChangeEvent[]): EventWithPrevious[] {
  const n = history.length;
  const order = chronologicalOrder(history);
  const result = new Array<EventWithPrevious>(n);
  const last = new Map<string, JsonObject>();
  for (const i of order) {
    const event = history[i]!;
    const key = objectKeyOf(event);
    const before = last.get(key);
    if (event.operation === 'CREATE') result[i] = { event, previous: {}, known: true };
    else if (before !== undefined) result[i] = { event, previous: before, known: true };
    else result[i] = { event, previous: {}, known: false };
    if (event.operation === 'DELETE') last.delete(key);
    else last.set(key, event.object);
  }
  return result;
}

/**
 * Indexes of `history` oldest first. The list may come oldest or newest first; events with equal
 * times keep the direction the list is in.
 */
export function chronologicalOrder(history: readonly Pick<ChangeEvent, 'time'>[]): number[] {
  const n = history.length;
  const order = [...history.keys()];
  if (n > 1 && compareTime(history[0]!.time, history[n - 1]!.time) > 0) order.reverse();
  return order.sort((a, b) => compareTime(history[a]!.time, history[b]!.time));
}

function compareTime(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isNaN(ta) || Number.isNaN(tb)) return a < b ? -1 : a > b ? 1 : 0;
  return ta - tb;
}
