// kubectl-style tables: a header row in capitals, no borders, two spaces between columns, columns fitted
// to the terminal width by wrapping the columns that may shrink (a PATCH column), never cutting the others.
import { noColours, type Colours } from './colour-roles.ts';
import { displayWidth, padEnd, padStart, truncate, wrap } from './text.ts';

export interface Column {
  /** Shown in capitals. */
  header: string;
  /**
   * May this column be narrower than its content? Then its lines wrap (or are cut, see `overflow`).
   * Default false: the column always gets its full width (KEY, USER, TIME).
   */
  shrink?: boolean;
  /** The narrowest a shrinking column gets. Default: its header's width, and at least 10. */
  minWidth?: number;
  /** How a shrinking column's too-long lines are handled. Default 'wrap' (continuation lines indented). */
  overflow?: 'wrap' | 'truncate';
  align?: 'left' | 'right';
  /**
   * When the table does not fit `width` even with every shrinking column at its narrowest, this column
   * leaves the row: its lines go under the row, indented by `DETAIL_INDENT`, as wide as the terminal.
   * Meant for the last column (PATCH); its header goes on a line of its own under the header row.
   */
  detail?: boolean;
}

/** A cell: one line of text, text with `\n`s, or one entry per line. May carry colour escapes. */
export type Cell = string | readonly string[];

export interface TableOptions {
  /** Terminal width in columns. Default: unlimited (columns get their full width). */
  width?: number;
  colours?: Colours;
}

export const COLUMN_GAP = 2;
export const DETAIL_INDENT = '    ';
const DEFAULT_MIN_WIDTH = 10;

function cellLines(cell: Cell | undefined): string[] {
  if (cell === undefined) return [''];
  const parts = typeof cell === 'string' ? [cell] : cell;
  const lines = parts.flatMap((p) => p.split('\n'));
  return lines.length === 0 ? [''] : lines;
}

/** Column widths: full widths if they fit, else the widest shrinking columns narrowed, one column at a time. */
export function fitColumns(columns: readonly Column[], natural: readonly number[], width: number | undefined): number[] {
  const widths = [...natural];
  if (width === undefined) return widths;
  const minOf = (i: number): number => {
    const col = columns[i]!;
    return Math.min(natural[i]!, col.minWidth ?? Math.max(DEFAULT_MIN_WIDTH, displayWidth(col.header)));
  };
  let excess = tableWidth(widths) - width;
  while (excess > 0) {
    // The widest column that can still give room shrinks to the next-widest one's width (or as far as
    // needed); columns of equal width take turns, one column at a time.
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (!columns[i]!.shrink || widths[i]! <= minOf(i)) continue;
      if (widest < 0 || widths[i]! > widths[widest]!) widest = i;
    }
    if (widest < 0) break; // Nothing can shrink further: the terminal wraps the long lines.
    let next = minOf(widest);
    for (let i = 0; i < widths.length; i++) {
      if (i !== widest && columns[i]!.shrink && widths[i]! <= widths[widest]! && widths[i]! > next) next = widths[i]!;
    }
    const give = Math.max(1, Math.min(excess, widths[widest]! - next));
    widths[widest] = widths[widest]! - give;
    excess -= give;
  }
  return widths;
}

function tableWidth(widths: readonly number[]): number {
  return widths.reduce((a, b) => a + b, 0) + COLUMN_GAP * Math.max(0, widths.length - 1);
}

/**
 * Renders rows under a header, returning the lines of the table (no trailing spaces). Multi-line cells
 * take several lines; a shrunk column's long lines wrap, continuation lines indented by two spaces.
 * If the table still does not fit, `detail` columns move under their rows (see `Column.detail`); other
 * columns are never cut, and then the terminal wraps the long lines.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string[] {
  const c = options.colours ?? noColours;
  const body = rows.map((row) => columns.map((_, i) => cellLines(row[i])));
  const natural = columns.map((col, i) =>
    Math.max(displayWidth(col.header.toUpperCase()), ...body.map((cells) => Math.max(...cells[i]!.map(displayWidth)))),
  );
  let inRow = columns.map((_, i) => i);
  let widths = fitColumns(columns, natural, options.width);
  if (options.width !== undefined && tableWidth(widths) > options.width && columns.some((col) => col.detail)) {
    inRow = inRow.filter((i) => !columns[i]!.detail);
    const fitted = fitColumns(
      inRow.map((i) => columns[i]!),
      inRow.map((i) => natural[i]!),
      options.width,
    );
    widths = columns.map(() => 0);
    inRow.forEach((i, k) => (widths[i] = fitted[k]!));
  }
  const below = columns.map((_, i) => i).filter((i) => !inRow.includes(i));
  const detailWidth = Math.max(1, (options.width ?? Infinity) - DETAIL_INDENT.length);

  const line = (cells: readonly string[]): string =>
    cells
      .map((text, k) => {
        const i = inRow[k]!;
        if (columns[i]!.align === 'right') return padStart(text, widths[i]!);
        return k === cells.length - 1 ? text : padEnd(text, widths[i]!);
      })
      .join(' '.repeat(COLUMN_GAP))
      .trimEnd();

  const out = [line(inRow.map((i) => c.header(truncate(columns[i]!.header.toUpperCase(), Math.max(widths[i]!, 1)))))];
  for (const i of below) out.push(DETAIL_INDENT + c.header(columns[i]!.header.toUpperCase()));
  for (const cells of body) {
    const fitted = inRow.map((i) => {
      const col = columns[i]!;
      const w = widths[i]!;
      const lines = cells[i]!;
      if (w >= natural[i]!) return lines;
      return lines.flatMap((l) => (col.overflow === 'truncate' ? [truncate(l, w)] : wrap(l, w)));
    });
    const height = Math.max(...fitted.map((l) => l.length));
    for (let r = 0; r < height; r++) out.push(line(fitted.map((l) => l[r] ?? '')));
    for (const i of below) {
      for (const l of cells[i]!) {
        if (l === '') continue;
        for (const part of wrap(l, detailWidth)) out.push((DETAIL_INDENT + part).trimEnd());
      }
    }
  }
  return out;
}
