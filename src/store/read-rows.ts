// What both readers do with the event rows they read: the list cursor, a body's size in a page, history rows
// decoded only when asked, and the overview built from activity counts.
import type { ChangeOperation, EventState } from '../event.ts';
import { decompressBody } from './body-dictionary.ts';
import type { StoredEventRow } from './event-columns.ts';
import { eventFromRow } from './event-codec.ts';
import { InvalidQueryError, type HistoryRow, type NamespaceActivity } from './types.ts';

export const HOUR_MS = 3_600_000;

/** A list's cursor: the last id of a page, which both stores hand out in insertion order. */
export function encodeCursor(id: number | string): string {
  return Buffer.from(`v1:${id}`).toString('base64url');
}

/** The id a cursor continues after, as its digits. */
export function decodeCursor(cursor: string): string {
  const match = /^v1:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidQueryError('cursor', 'cursor is not one this server issued; start again without it');
  return match[1]!;
}

/** What an event's body counts in a page: its JSON, a CREATE's twice (its patch, derived from its object, repeats it). */
export function pageBytes(operation: string, bodyText: string): number {
  return (operation === 'CREATE' ? 2 : 1) * bodyText.length;
}

type Guard = <T>(work: () => T) => T;
const unguarded: Guard = (work) => work();

/** One row of an object's history; `guard` wraps the decompression and parsing (the SQLite reader's error mapping). */
export function historyRow(row: StoredEventRow, guard: Guard = unguarded): HistoryRow {
  let body: string | undefined;
  const text = () => (body ??= guard(() => decompressBody(row.body, row.body_dictionary)));
  return {
    id: String(row.id), operation: row.operation as ChangeOperation, subresource: row.subresource,
    ...(row.denied_by ? { deniedBy: row.denied_by } : {}), ...(row.state ? { state: row.state as EventState } : {}),
    bytes: () => pageBytes(row.operation, text()),
    event: () => guard(() => eventFromRow(row, text())),
  };
}

/** A namespace's newest event, as the overview shows it. */
export interface LastChangeRow {
  time_ms: number | string;
  username: string;
  api_group: string;
  kind: string;
  name: string;
  operation: ChangeOperation;
}

/** Changes per namespace and user, summed from the hourly table and the partial first hour. */
export class OverviewCounts {
  readonly counts = new Map<string, Map<string, number>>();

  add(namespace: string, username: string, changes: number): void {
    let users = this.counts.get(namespace);
    if (!users) this.counts.set(namespace, (users = new Map<string, number>()));
    users.set(username, (users.get(username) ?? 0) + changes);
  }

  get namespaces(): string[] {
    return [...this.counts.keys()];
  }

  /** Namespaces with their top users, the most recently changed first. */
  entries(lastChange: (namespace: string) => LastChangeRow | undefined, topUsers: number): NamespaceActivity[] {
    const result: NamespaceActivity[] = [];
    for (const [namespace, users] of this.counts) {
      const lastRow = lastChange(namespace);
      const ranked = [...users.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      result.push({
        namespace,
        changes: ranked.reduce((sum, [, changes]) => sum + changes, 0),
        lastChange: lastRow
          ? {
            time: new Date(Number(lastRow.time_ms)).toISOString(), user: lastRow.username, group: lastRow.api_group,
            kind: lastRow.kind, name: lastRow.name, operation: lastRow.operation,
          }
          : null,
        topUsers: ranked.slice(0, topUsers).map(([username, changes]) => ({ username, changes })),
      });
    }
    return result.sort((a, b) => (b.lastChange?.time ?? '').localeCompare(a.lastChange?.time ?? '') || a.namespace.localeCompare(b.namespace));
  }
}
