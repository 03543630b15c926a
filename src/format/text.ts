// Terminal text helpers: display width, truncation and wrapping of text that may carry ANSI colour (SGR)
// escapes and wide or combined Unicode characters. Escapes take no width and are carried across breaks.
// Widths are string-width's and cutting is cli-truncate's; wrapping and the middle cut stay here (ADR 0026):
// wrap-ansi breaks only at spaces (`Deployment/w` `eb`), and a middle cut with cli-truncate is 3-5x slower.
import cliTruncate from 'cli-truncate';
import stringWidth from 'string-width';

// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const SGR = /\u001b\[[0-9;]*m/y;
const RESET = '\u001b[0m';
const SEPARATORS = new Set(['/', ',', ':', '-']);
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export { printable } from '../event.ts';

/** Columns a string takes on a terminal (ANSI escapes excluded). */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

type Token = { kind: 'sgr'; text: string } | { kind: 'char'; text: string; width: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let plain = '';
  const flush = (): void => {
    if (plain === '') return;
    for (const { segment } of segmenter.segment(plain)) {
      tokens.push({ kind: 'char', text: segment, width: stringWidth(segment) });
    }
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    if (text.charCodeAt(i) === 0x1b) {
      SGR.lastIndex = i;
      const m = SGR.exec(text);
      if (m) {
        flush();
        tokens.push({ kind: 'sgr', text: m[0] });
        i += m[0].length;
        continue;
      }
    }
    plain += text[i];
    i += 1;
  }
  flush();
  return tokens;
}

/** Which SGR parameters a closing parameter switches off. */
function closes(close: number, open: number): boolean {
  switch (close) {
    case 22:
      return open === 1 || open === 2;
    case 23:
      return open === 3;
    case 24:
      return open === 4;
    case 27:
      return open === 7;
    case 28:
      return open === 8;
    case 29:
      return open === 9;
    case 39:
      return (open >= 30 && open <= 38) || (open >= 90 && open <= 97);
    case 49:
      return (open >= 40 && open <= 48) || (open >= 100 && open <= 107);
    default:
      return false;
  }
}

/** Tracks which SGR sequences are in effect, so a broken line can be closed and the next one reopened. */
class ActiveStyles {
  private open: string[] = [];

  see(seq: string): void {
    const first = Number(seq.slice(2, -1).split(';')[0] || '0');
    if (first === 0) {
      this.open = [];
    } else if ([22, 23, 24, 27, 28, 29, 39, 49].includes(first)) {
      this.open = this.open.filter((o) => !closes(first, Number(o.slice(2, -1).split(';')[0])));
    } else {
      this.open.push(seq);
    }
  }

  get any(): boolean {
    return this.open.length > 0;
  }

  reopen(): string {
    return this.open.join('');
  }
}

/**
 * Cuts `text` to at most `max` columns, ending with `ellipsis` when something was cut (cli-truncate).
 * Colour escapes are kept: the ellipsis takes the colour in effect where the text was cut, then it is closed.
 */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  return cliTruncate(text, max, { truncationCharacter: ellipsis });
}

/**
 * Cuts plain text (no escapes) to at most `max` columns by replacing its middle with `…`, keeping more
 * of the end: `system:serviceaccount:ci:deployer` → `system:se…ci:deployer`.
 */
export function truncateMiddle(text: string, max: number): string {
  if (stringWidth(text) <= max) return text;
  if (max <= 1) return truncate(text, max);
  const chars = [...segmenter.segment(text)].map((s) => s.segment);
  const room = max - 1;
  const headRoom = Math.floor(room / 3);
  let head = '';
  let w = 0;
  for (const ch of chars) {
    const cw = stringWidth(ch);
    if (w + cw > headRoom) break;
    head += ch;
    w += cw;
  }
  let tail = '';
  let tw = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = stringWidth(chars[i]!);
    if (w + tw + cw > room) break;
    tail = chars[i]! + tail;
    tw += cw;
  }
  return `${head}…${tail}`;
}

export interface WrapOptions {
  /** Prefix of every continuation line (counts towards the width). Default two spaces. */
  indent?: string;
}

/**
 * Breaks one line of text into lines of at most `width` columns, preferring to break at a space.
 * Continuation lines start with `indent`. Colour in effect at a break is closed and reopened.
 */
export function wrap(text: string, width: number, options: WrapOptions = {}): string[] {
  const indent = options.indent ?? '  ';
  if (width <= 0 || stringWidth(text) <= width) return [text];
  const indentWidth = stringWidth(indent);
  const tokens = tokenize(text);
  const lines: string[] = [];
  const styles = new ActiveStyles();
  let pos = 0;
  let first = true;
  while (pos < tokens.length) {
    const room = first ? width : Math.max(1, width - indentWidth);
    // Find how many tokens fit, and the last places to break among them: a space (dropped at the
    // break), or just after a separator (kept), so paths and usernames break at their separators.
    // A space late enough in the line wins; else the later of the two; else a hard break.
    let used = 0;
    let end = pos;
    let lastSpace = -1;
    let lastSeparator = -1;
    while (end < tokens.length) {
      const t = tokens[end]!;
      if (t.kind === 'char') {
        if (used + t.width > room) break;
        used += t.width;
        if (t.text === ' ') lastSpace = end;
        else if (SEPARATORS.has(t.text)) lastSeparator = end + 1;
      }
      end += 1;
    }
    let next = end;
    if (end < tokens.length) {
      // Break where that keeps at least a third of the line: at a space if there is one that late,
      // else after a separator, else anywhere.
      const keeps = (at: number, share: number): boolean => at > pos && widthOf(tokens, pos, at) >= room * share;
      let following = end;
      while (following < tokens.length && tokens[following]!.kind === 'sgr') following += 1;
      if (tokens[following]?.text === ' ') {
        // The text that fits ends just before a space: a perfect break.
        next = following;
      } else if (keeps(lastSpace, 2 / 3) || (keeps(lastSpace, 1 / 3) && lastSpace + 1 >= lastSeparator)) {
        end = lastSpace;
        next = lastSpace + 1;
      } else if (keeps(lastSeparator, 1 / 3)) {
        end = lastSeparator;
        next = lastSeparator;
      } else if (keeps(lastSpace, 1 / 3)) {
        end = lastSpace;
        next = lastSpace + 1;
      } else if (end === pos) {
        // Not even one character fits (a wide character in a one-column cell): take it anyway.
        end = pos + 1;
        next = end;
      }
      // A continuation line never starts with a space.
      while (next < tokens.length && tokens[next]!.kind === 'char' && tokens[next]!.text === ' ') next += 1;
    }
    let line = first ? '' : indent;
    line += styles.reopen();
    for (let i = pos; i < end; i++) {
      const t = tokens[i]!;
      if (t.kind === 'sgr') styles.see(t.text);
      line += t.text;
    }
    // Escapes sitting on the dropped space still change the style.
    for (let i = end; i < next; i++) {
      const t = tokens[i]!;
      if (t.kind === 'sgr') {
        styles.see(t.text);
        line += t.text;
      }
    }
    if (styles.any) line += RESET;
    lines.push(line);
    pos = next;
    first = false;
  }
  return lines;
}

function widthOf(tokens: Token[], from: number, to: number): number {
  let w = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (t.kind === 'char') w += t.width;
  }
  return w;
}

/** Pads `text` with spaces on the right to `width` columns. */
export function padEnd(text: string, width: number): string {
  const w = stringWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}

/** Pads `text` with spaces on the left to `width` columns. */
export function padStart(text: string, width: number): string {
  const w = stringWidth(text);
  return w >= width ? text : ' '.repeat(width - w) + text;
}
