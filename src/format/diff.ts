// Unified diffs of two objects' YAML (or JSON) text, with `[...]` where unchanged lines were skipped.
import { diffLines } from 'diff';
import type { ChangeEvent, JsonObject } from '../event.ts';
import { noColours, type Colours } from './colour-roles.ts';
import { describePatch } from './patch.ts';
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

function lineDiff(before: string, after: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const change of diffLines(before, after)) {
    const kind = change.added ? '+' : change.removed ? '-' : ' ';
    for (const text of splitLines(change.value)) out.push({ kind, text });
  }
  return out;
}

/**
 * The lines of a unified diff between the YAML (or JSON) text of two objects: `+ ` added, `- ` removed,
 * `  ` unchanged, with `context` unchanged lines around each change and one `[...]` line wherever lines
 * were skipped. No lines when the texts are equal. An empty object counts as no text at all.
 */
export function renderDiff(before: JsonObject, after: JsonObject, options: DiffOptions = {}): string[] {
  const format = options.format ?? 'yaml';
  const c = options.colours ?? noColours;
  const context = options.context ?? DEFAULT_CONTEXT;
  const lines = lineDiff(textOf(before, format), textOf(after, format));
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
  if (event.operation === 'UPDATE' && (previousObject === undefined || Object.keys(previousObject).length === 0)) {
    // Without the object before the change, a diff would show the whole object as added: show the
    // recorded patch instead, which needs no earlier state.
    const ops = describePatch(event.patch, undefined, { colours: c, operation: event.operation });
    return [...header, '', c.dim('  (the object before this change is not in the history; its patch:)'), ...ops.map((l) => `  ${l}`)];
  }
  const diff = renderDiff(before, after, options);
  return [...header, '', ...(diff.length > 0 ? diff : [c.dim('  (no change)')])];
}
