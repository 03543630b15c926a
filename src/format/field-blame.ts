// The git-blame view of an object: `alice          35m │ replicas: 3`, one line of its YAML per line.
import type { BlameResult } from '../api/field-blame.ts';
import { noColours, type Colours } from './colour-roles.ts';
import { relativeTime } from './time.ts';
import { displayWidth, padEnd, padStart, printable, truncate, truncateMiddle, wrap } from './text.ts';

export interface RenderBlameOptions {
  now: Date | number | string;
  colours?: Colours;
  /** Terminal width: longer lines are cut with `…`. Default: never cut. */
  width?: number;
  /**
   * Widest the author column gets; longer names lose their middle to `…`. Default 40; with a `width`,
   * 35% of it (at least 12, at most 32).
   */
  maxAuthorWidth?: number;
}

export const MANAGED_FIELDS_MARK = '*';
export const UNKNOWN_AUTHOR = '?';

/**
 * git-blame style lines: `alice          35m │ replicas: 3`. Authors taken from managedFields are marked
 * `kubectl-edit*`, unknown ones `?`; a footnote below explains the marks that were used.
 */
export function renderBlame(result: BlameResult, options: RenderBlameOptions): string[] {
  const c = options.colours ?? noColours;
  const maxAuthor = Math.max(
    4,
    options.maxAuthorWidth ?? (options.width === undefined ? 40 : Math.min(32, Math.max(12, Math.floor(options.width * 0.35)))),
  );
  const names = result.lines.map((l) =>
    l.author === null ? UNKNOWN_AUTHOR : printable(l.author.username) + (l.author.source === 'managedFields' ? MANAGED_FIELDS_MARK : ''),
  );
  const authorWidth = Math.min(maxAuthor, Math.max(1, ...names.map(displayWidth)));
  const ages = result.lines.map((l) => (l.author && l.author.time ? relativeTime(l.author.time, options.now) : ''));
  const ageWidth = Math.max(3, ...ages.map(displayWidth));
  let anyManaged = false;
  let anyUnknown = false;
  const out = result.lines.map((l, i) => {
    let who: string;
    if (l.author === null) {
      anyUnknown = true;
      who = c.dim(UNKNOWN_AUTHOR);
    } else if (l.author.source === 'managedFields') {
      anyManaged = true;
      who = c.user(truncateMiddle(printable(l.author.username), authorWidth - 1)) + c.marker(MANAGED_FIELDS_MARK);
    } else {
      who = c.user(truncateMiddle(printable(l.author.username), authorWidth));
    }
    const line = `${padEnd(who, authorWidth)} ${padStart(c.time(ages[i]!), ageWidth)} ${c.marker('│')} ${printable(l.text)}`;
    return options.width === undefined ? line.trimEnd() : truncate(line.trimEnd(), options.width);
  });
  const note = (text: string): string[] =>
    (options.width === undefined ? [text] : wrap(text, options.width)).map((l) => c.dim(l));
  if (anyManaged || anyUnknown) out.push('');
  if (anyManaged) {
    out.push(
      ...note(
        `${MANAGED_FIELDS_MARK} from metadata.managedFields, as no recorded change set the field: its field manager, ` +
          'and when that manager last wrote to the object',
      ),
    );
  }
  if (anyUnknown) out.push(...note(`${UNKNOWN_AUTHOR} not set by a recorded change, and owned by no field manager`));
  return out;
}
