// An event row as one line of text: how rows cross to the SQLite writer thread, and what each commit log record holds
// (src/log/). Each line is a JSON array of the small fields, a tab, then the JSON body; JSON text never holds a raw tab
// or newline, so the separators are unambiguous. Structured cloning an array of row objects cost more than the rest of
// the capture path; a line costs one JSON.stringify of the small fields.
import { EVENT_ROW_FIELDS, type EventRow } from './event-columns.ts';

/** How far one commit log's records are stored: the position right after the last one. */
export interface LogCursor {
  logId: string;
  position: number;
}

export function encodeRow(row: EventRow): string {
  return `${JSON.stringify(EVENT_ROW_FIELDS.map((field) => row[field]))}\t${row.body}`;
}

/** Rows separated by newlines. */
export function encodeRows(rows: EventRow[]): string {
  return rows.map(encodeRow).join('\n');
}

export function decodeRow(line: string): EventRow {
  const tab = line.indexOf('\t');
  if (tab === -1) throw new Error('an event row line has no tab between its fields and its body');
  const values = JSON.parse(line.slice(0, tab)) as (string | number)[];
  const row = { body: line.slice(tab + 1) } as Record<string, string | number>;
  EVENT_ROW_FIELDS.forEach((field, index) => { row[field] = values[index]!; });
  return row as unknown as EventRow;
}

export function decodeRows(batch: string): EventRow[] {
  return batch.split('\n').map(decodeRow);
}

/** Why a payload cannot be a row line, cheaply (no parse): it starts with the fields' array and has the tab. */
export function rowLineProblem(payload: Buffer): string | undefined {
  if (payload[0] !== 0x5b) return 'it does not start with the fields\' JSON array';
  if (payload.indexOf(0x09) === -1) return 'it has no tab between its fields and its body';
  return undefined;
}

/** Row lines given as UTF-8 payloads (commit log records), decoded. */
export function decodeRowPayloads(payloads: Buffer[]): EventRow[] {
  return payloads.map((payload) => decodeRow(payload.toString('utf8')));
}
