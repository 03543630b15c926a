// Unified diffs of two objects' YAML (or JSON) text, with `[...]` where unchanged lines were skipped. A diff's work
// is bounded: past MAX_DIFF_EDITS changed lines it is not computed (Myers' diff costs time in the square of them).
import { diffLines } from 'diff';
import type { ChangeEvent, JsonObject } from '../event.ts';
import { noColours, type Colours } from './colour-roles.ts';
import { describeOversized, describePatch } from './patch.ts';
import { printable, truncate } from './text.ts';
import { relativeTime } from './time.ts';
import { toJson, toYaml } from './yaml.ts';

export type TextFormat = 'yaml' | 'json';

export interface DiffOptions {
  /** Unchanged lines shown around each change (like `diff -U N`). Default 3; negative or Infinity: all. */
  context?: number;
  format?: TextFormat;
  colours?: Colours;
  /** Cut lines longer than this many columns with `…` (the prefix counts). Default: never cut. */
  maxLineWidth?: number;
}

export const SKIPPED = '[...]';
export const DEFAULT_CONTEXT = 3;
/**
 * The most lines a diff may add and remove together. Finding a diff costs time in the square of its changed lines
 * (tens of milliseconds at this bound, seconds at a few thousand): a larger change is shown as too large.
 */
export const MAX_DIFF_EDITS = 500;

/** What a view says in place of a diff larger than MAX_DIFF_EDITS. */
export function diffTooLarge(): string {
  return `diff too large: more than ${MAX_DIFF_EDITS} lines changed`;
}

type DiffLine = { kind: ' ' | '+' | '-'; text: string };

function textOf(obj: JsonObject, format: TextFormat): string {
  // An empty object is "nothing there": a creation diffs against no lines, not against `{}`.
  if (Object.keys(obj).length === 0) return '';
  return format === 'json' ? toJson(obj) : toYaml(obj);
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The lines of a text, each without its newline; a last line without one counts too. */
function linesOf(text: string): string[] {
  return text === '' ? [] : text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
}

/**
 * Whether the diff of two texts may be computed: it may when either is empty (a creation or deletion: every line
 * added or removed, found in linear time), and otherwise unless more than MAX_DIFF_EDITS lines are sure to
 * change, counted in linear time as the lines one text has more often than the other (no diff has fewer).
 */
export function diffable(before: string, after: string): boolean {
  if (before === '' || after === '') return true;
  const balance = new Map<string, number>();
  for (const line of linesOf(before)) balance.set(line, (balance.get(line) ?? 0) + 1);
  for (const line of linesOf(after)) balance.set(line, (balance.get(line) ?? 0) - 1);
  let changed = 0;
  for (const count of balance.values()) changed += Math.abs(count);
  return changed <= MAX_DIFF_EDITS;
}

/** The `diff` package's options that bound a diff's work: none when either text is empty (see `diffable`). */
export function diffBound(before: string, after: string): { maxEditLength?: number } {
  return before === '' || after === '' ? {} : { maxEditLength: MAX_DIFF_EDITS };
}

/** The lines of the diff, or null when more than MAX_DIFF_EDITS lines changed. */
function lineDiff(before: string, after: string): DiffLine[] | null {
  if (!diffable(before, after)) return null;
  const changes = diffLines(before, after, { maxEditLength: diffBound(before, after).maxEditLength ?? Infinity });
  if (changes === undefined) return null;
  const out: DiffLine[] = [];
  for (const change of changes) {
    const kind = change.added ? '+' : change.removed ? '-' : ' ';
    for (const text of splitLines(change.value)) out.push({ kind, text });
  }
  return out;
}

/**
 * The lines of a unified diff between the YAML (or JSON) text of two objects: `+ ` added, `- ` removed,
 * `  ` unchanged, with `context` unchanged lines around each change and one `[...]` line wherever lines
 * were skipped. No lines when the texts are equal. An empty object counts as no text at all. A diff of more than
 * MAX_DIFF_EDITS changed lines is one `[diff too large: …]` line.
 */
export function renderDiff(before: JsonObject, after: JsonObject, options: DiffOptions = {}): string[] {
  const c = options.colours ?? noColours;
  const lines = lineDiff(textOf(before, options.format ?? 'yaml'), textOf(after, options.format ?? 'yaml'));
  return lines === null ? [c.marker(`[${diffTooLarge()}]`)] : renderLines(lines, options);
}

function renderLines(lines: DiffLine[], options: DiffOptions): string[] {
  const c = options.colours ?? noColours;
  const context = options.context ?? DEFAULT_CONTEXT;
  if (!lines.some((l) => l.kind !== ' ')) return [];
  const all = context < 0 || !Number.isFinite(context);
  const show = lines.map(() => all);
  if (!all) {
    lines.forEach((line, i) => {
      if (line.kind === ' ') return;
      for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) show[j] = true;
    });
  }
  const cut = (s: string): string => (options.maxLineWidth === undefined ? s : truncate(s, options.maxLineWidth));
  const out: string[] = [];
  let skipping = false;
  lines.forEach((line, i) => {
    if (!show[i]) {
      if (!skipping) out.push(c.marker(SKIPPED));
      skipping = true;
      return;
    }
    skipping = false;
    const text = cut(`${line.kind} ${printable(line.text)}`.trimEnd());
    out.push(line.kind === '+' ? c.add(text) : line.kind === '-' ? c.remove(text) : text);
  });
  return out;
}

/** `namespace/Kind/name`, or `Kind/name` for a cluster-scoped object; safe to print. */
export function eventKey(event: Pick<ChangeEvent, 'namespace' | 'kind' | 'name'>): string {
  return printable(event.namespace === '' ? `${event.kind}/${event.name}` : `${event.namespace}/${event.kind}/${event.name}`);
}

/** The operation with its subresource, if any (`UPDATE`, `UPDATE scale`), the operation coloured; safe to print. */
export function paintOperation(event: Pick<ChangeEvent, 'operation' | 'subresource'>, c: Colours = noColours): string {
  const op = c.operation(printable(event.operation));
  return event.subresource ? `${op} ${printable(event.subresource)}` : op;
}

export interface ChangeDiffOptions extends DiffOptions {
  now: Date | number | string;
}

/**
 * The header of one change: `35m  shop/Deployment/web  UPDATE  bob`, then the user's groups and the
 * field manager, each on its own indented line.
 */
export function renderChangeHeader(event: ChangeEvent, options: { now: Date | number | string; colours?: Colours }): string[] {
  const c = options.colours ?? noColours;
  const lines = [
    [
      c.time(relativeTime(event.time, options.now)),
      c.key(eventKey(event)),
      paintOperation(event, c),
      c.user(printable(event.user.username)),
    ].join('  '),
  ];
  const groups = event.user.groups ?? [];
  lines.push(c.dim(`  groups: ${groups.length > 0 ? printable(groups.join(', ')) : '<none>'}`));
  if (event.fieldManager) lines.push(c.dim(`  manager: ${printable(event.fieldManager)}`));
  lines.push(c.dim(`  time: ${printable(event.time)}`));
  return lines;
}

/**
 * One change as a header block (age, key, operation, user, groups, manager, time), a blank line and the
 * diff from `previousObject` (the object before the event; `{}` for a CREATE) to the event's object.
 * A DELETE diffs the deleted object against nothing.
 */
export function renderChangeDiff(event: ChangeEvent, previousObject: JsonObject | undefined, options: ChangeDiffOptions): string[] {
  const c = options.colours ?? noColours;
  let before: JsonObject;
  let after: JsonObject;
  if (event.operation === 'DELETE') {
    before = event.object;
    after = {};
  } else {
    before = event.operation === 'CREATE' ? {} : (previousObject ?? {});
    after = event.object;
  }
  const header = renderChangeHeader(event, options);
  // The recorded patch needs no earlier state, and its size is the change's.
  const patchLines = (why: string) => [
    ...header, '', c.dim(`  (${why}; its patch:)`),
    ...describePatch(event.patch, undefined, { colours: c, operation: event.operation }).map((l) => `  ${l}`),
  ];
  if (event.oversized) {
    // Only the metadata was read: a diff of it against the whole object before would show the rest as removed.
    const ops = event.operation === 'UPDATE' ? describePatch(event.patch, previousObject, { colours: c, operation: event.operation }) : [];
    return [...header, '', `  ${c.remove(printable(describeOversized(event.oversized)))}`, ...ops.map((l) => `  ${l}`)];
  }
  if (event.operation === 'UPDATE' && (previousObject === undefined || Object.keys(previousObject).length === 0)) {
    // Without the object before the change, a diff would show the whole object as added.
    return patchLines('the object before this change is not in the history');
  }
  const format = options.format ?? 'yaml';
  const lines = lineDiff(textOf(before, format), textOf(after, format));
  if (lines === null) return patchLines(diffTooLarge());
  const diff = renderLines(lines, options);
  return [...header, '', ...(diff.length > 0 ? diff : [c.dim('  (no change)')])];
}
