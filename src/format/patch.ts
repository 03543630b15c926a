// Readable one-line descriptions of RFC 6902 patches, always in the direction old → new.
import { isObject, type ChangeEvent, type ChangeOperation, type JsonObject, type PatchOperation } from '../event.ts';
import { walkPatch } from '../history/patch.ts';
import { displayPointer, parsePointer, valueAt } from '../history/pointer.ts';
import { noColours, type Colours } from './colour-roles.ts';
import { printable, truncate } from './text.ts';
import { TOP_LEVEL_ORDER } from './yaml.ts';

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
  // Each operation sees the document it applies to (indexes shift after an array remove). Where the patch
  // does not fit, old values show as `?`: better a `?` than a wrong value.
  if (previousObject === undefined) return patch.map((op) => describePatchOperation(op, undefined, options));
  const lines: string[] = [];
  walkPatch(previousObject, patch, (op, before) => lines.push(describePatchOperation(op, before, options)));
  return lines;
}

/** 7340032 → 7.0 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * What an oversized event's patch stands for: the review was too large to read whole, so only its metadata was
 * recorded. Never shown as a normal change with a short patch.
 */
export function describeOversized(oversized: NonNullable<ChangeEvent['oversized']>): string {
  const omitted = oversized.omitted?.length ? `; left out: ${oversized.omitted.join(', ')}` : '';
  return `too large to record: review of ${formatBytes(oversized.reviewBytes)} over --max-body-bytes ${formatBytes(oversized.maxBodyBytes)}, metadata only${omitted}`;
}

/** `describePatch` for one recorded event, given the object before it (see `previousObjects`). */
export function describeChange(event: ChangeEvent, previousObject: JsonObject | undefined, options: DescribeOptions = {}): string[] {
  if (event.operation === 'CONNECT') return [describeConnect(event.subresource, event.object)];
  const lines = describePatch(event.patch, previousObject, { ...options, operation: event.operation });
  if (!event.oversized) return lines;
  const c = options.colours ?? noColours;
  // The metadata's changes still show; '(no change)' would claim more than is known.
  return [c.remove(printable(describeOversized(event.oversized))), ...lines.filter((line) => line !== c.dim('(no change)'))];
}

/** One line for tables: `exec [sh -c date] in web`, `attach to web`, `port-forward 8080,9090`. */
function describeConnect(subresource: string, options: JsonObject): string {
  const container = typeof options['container'] === 'string' && options['container'] ? ` in ${options['container']}` : '';
  switch (subresource) {
    case 'exec': {
      const command = Array.isArray(options['command']) ? options['command'].map(String) : [];
      return `exec ${JSON.stringify(command)}${container}${options['tty'] === true ? ' (tty)' : ''}`;
    }
    case 'attach':
      return `attach${container ? ` to${container.slice(3)}` : ''}`;
    case 'portforward': {
      const ports = Array.isArray(options['ports']) ? options['ports'].map(String).join(',') : '';
      return `port-forward${ports ? ` ${ports}` : ''}`;
    }
    default:
      return `connect ${subresource}`;
  }
}
