// Where the output goes: whether to colour it and how wide the tables may be. Pure: the caller passes the
// environment and what it knows about stdout, so tests decide without a terminal.

export interface TerminalFacts {
  env: Record<string, string | undefined>;
  /** process.stdout.isTTY */
  isTTY: boolean;
  /** process.stdout.columns (undefined when stdout is not a terminal) */
  columns: number | undefined;
}

/** Table width when stdout is not a terminal (a pipe, a file, CI logs) and COLUMNS is not set. */
export const DEFAULT_WIDTH = 120;
/** Narrower than this, no table is readable: we render at this width and let the terminal wrap. */
const MIN_WIDTH = 40;

/**
 * Colour only on a terminal, and never with `--no-color` or `NO_COLOR` set to anything but the empty string
 * (https://no-color.org).
 */
export function useColour(colorFlag: boolean, facts: TerminalFacts): boolean {
  if (!colorFlag) return false;
  const noColor = facts.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  return facts.isTTY;
}

/** `COLUMNS` when set to a number, else the terminal's width, else 120. */
export function outputWidth(facts: TerminalFacts): number {
  const fromEnv = facts.env['COLUMNS'];
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv.trim())) return Math.max(MIN_WIDTH, Number(fromEnv.trim()));
  if (facts.isTTY && facts.columns !== undefined && facts.columns > 0) return Math.max(MIN_WIDTH, facts.columns);
  return DEFAULT_WIDTH;
}
