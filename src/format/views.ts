// The tables of `kubectl blame`: the history table and the cluster overview.
import type { ChangeEvent } from '../event.ts';
import { noColours, type Colours } from './colour-roles.ts';
import { eventKey, paintOperation } from './diff.ts';
import { relativeTime } from './time.ts';
import { chronologicalOrder, previousObjects } from '../history/walk.ts';
import { describeChange } from './patch.ts';
import { renderTable, type Cell, type Column } from './table.ts';
import { printable } from './text.ts';
import type { Overview, OverviewEntry } from '../api/overview.ts';

type Now = Date | number | string;

export interface HistoryTableOptions {
  now: Now;
  /**
   * Terminal width. The PATCH column wraps to fit; if that would leave it under 30 columns, each row's
   * patch goes on its own lines under the row. KEY, USER and TIME are never cut. Default: unlimited.
   */
  width?: number;
  colours?: Colours;
  /** `-o wide`: adds GROUPS and MANAGER, shows TIME as a timestamp and longer values. */
  wide?: boolean;
  /** Longest value shown in a patch line. Default 40, wide 80. */
  maxValueWidth?: number;
}

/** `2025-06-12T11:25:00Z`: an RFC 3339 time to the second, in UTC. */
export function timestamp(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? printable(iso) : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The mark of a row the watch has not confirmed (provenance); none for confirmed or untracked events. */
export function stateMark(event: Pick<ChangeEvent, 'state'>): string | undefined {
  switch (event.state) {
    case 'pending': return 'pending';
    case 'not-applied': return 'not applied';
    case 'unattributed': return 'unattributed';
    default: return undefined;
  }
}

/** The user, or for an unattributed change the field manager that last wrote the object, marked as a guess. */
export function authorOf(event: Pick<ChangeEvent, 'user' | 'authorGuess'>): string {
  if (event.user.username || !event.authorGuess) return event.user.username;
  return `${event.authorGuess.manager}? (guess)`;
}

/**
 * The history table, newest first: KEY OPERATION USER TIME PATCH (wide: KEY OPERATION USER GROUPS
 * MANAGER TIME PATCH). Each event's patch is described old → new, one operation per line, with the
 * old values read from the previous event of the same object in `events`. No lines for no events.
 */
export function renderHistoryTable(events: readonly ChangeEvent[], options: HistoryTableOptions): string[] {
  if (events.length === 0) return [];
  const c = options.colours ?? noColours;
  const wide = options.wide ?? false;
  const maxValueWidth = options.maxValueWidth ?? (wide ? 80 : 40);
  const paired = previousObjects(events);
  const newestFirst = chronologicalOrder(events).reverse();

  const columns: Column[] = [
    { header: 'KEY' },
    { header: 'OPERATION' },
    { header: 'USER' },
    ...(wide ? [{ header: 'GROUPS' }, { header: 'MANAGER' }] : []),
    { header: 'TIME' },
    // Narrower than 30 columns a patch is unreadable: then it goes under its row instead.
    { header: 'PATCH', shrink: true, minWidth: 30, detail: true },
  ];
  const rows = newestFirst.map((i): Cell[] => {
    const { event, previous } = paired[i]!;
    const patch = describeChange(event, previous, { colours: c, maxValueWidth });
    return [
      c.key(eventKey(event)),
      // A denied attempt never happened: say so, and which Lock denied it.
      event.deniedBy ? [paintOperation(event, c), c.dim(`denied: ${printable(event.deniedBy)}`)]
        : stateMark(event) ? [paintOperation(event, c), c.dim(stateMark(event)!)] : paintOperation(event, c),
      c.user(printable(authorOf(event))),
      ...(wide ? [event.user.groups.length > 0 ? event.user.groups.map(printable) : ['<none>'], printable(event.fieldManager) || '<none>'] : []),
      c.time(wide ? timestamp(event.time) : relativeTime(event.time, options.now)),
      patch,
    ];
  });
  return renderTable(columns, rows, { width: options.width, colours: c });
}

export interface OverviewOptions {
  now: Now;
  width?: number;
  colours?: Colours;
  /** `-o wide`: LAST CHANGE as a timestamp too, and every top user rather than the first three. */
  wide?: boolean;
}

const TOP_USERS_SHOWN = 3;

/** How a namespace shows in the overview: `(cluster)` for cluster-scoped objects. */
export function namespaceLabel(namespace: string): string {
  return namespace === '' ? '(cluster)' : printable(namespace);
}

/**
 * The cluster overview, one row per namespace in the order given: NAMESPACE CHANGES LAST CHANGE BY WHAT
 * TOP USERS (wide adds TIME after LAST CHANGE). No lines for no namespaces.
 */
export function renderOverview(overview: Overview | readonly OverviewEntry[], options: OverviewOptions): string[] {
  const entries = Array.isArray(overview) ? (overview as readonly OverviewEntry[]) : (overview as Overview).namespaces;
  if (entries.length === 0) return [];
  const c = options.colours ?? noColours;
  const wide = options.wide ?? false;
  const columns: Column[] = [
    { header: 'NAMESPACE' },
    { header: 'CHANGES', align: 'right' },
    { header: 'LAST CHANGE' },
    ...(wide ? [{ header: 'TIME' }] : []),
    { header: 'BY' },
    { header: 'WHAT', shrink: true, minWidth: 12 },
    { header: 'TOP USERS', shrink: true, minWidth: 24, detail: true },
  ];
  const rows = entries.map((e): Cell[] => {
    const last = e.lastChange;
    const users = wide ? e.topUsers : e.topUsers.slice(0, TOP_USERS_SHOWN);
    const more = e.topUsers.length - users.length;
    const top = users.map((u) => `${c.user(printable(u.username))} (${u.changes})`).join(', ') + (more > 0 ? `, +${more} more` : '');
    return [
      c.key(namespaceLabel(e.namespace)),
      String(e.changes),
      last ? c.time(relativeTime(last.time, options.now)) : '<none>',
      ...(wide ? [last ? c.time(timestamp(last.time)) : '<none>'] : []),
      last ? c.user(printable(last.user)) : '<none>',
      last ? `${printable(`${last.kind}/${last.name}`)} ${c.operation(printable(last.operation))}` : '<none>',
      top === '' ? '<none>' : top,
    ];
  });
  return renderTable(columns, rows, { width: options.width, colours: c });
}
