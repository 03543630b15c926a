// Reads what names a change out of an AdmissionReview too large to parse whole, chunk by chunk, keeping only those
// parts: who, what, which object, the operation, and the objects' metadata. Everything else is skipped unkept. Pure.
import { setOwn, type JsonObject } from '../event.ts';
import { parseJson } from '../exact-json.ts';

/** The body is not JSON. The message says where (byte offset, line, column) and what kind of error, never what is there. */
export class JsonPositionError extends SyntaxError {
  override name = 'SyntaxError';
  readonly offset: number;
  constructor(offset: number, line: number, column: number, problem: string) {
    super(`at byte ${offset} (line ${line}, column ${column}): ${problem}`);
    this.offset = offset;
  }
}

/** What the scan kept: a review with the kept fields only, and the fields left out for their size (dotted paths). */
export interface ScannedReview {
  review: JsonObject;
  dropped: string[];
}

/** The request's fields that say who asked for what; the objects are read for their metadata only. */
const KEPT_REQUEST_FIELDS: ReadonlySet<string> = new Set([
  'uid', 'kind', 'resource', 'subResource', 'requestKind', 'requestResource', 'requestSubResource', 'name', 'namespace',
  'operation', 'userInfo', 'dryRun', 'options',
]);

/**
 * One kept value may hold this much JSON text. Annotations may hold 256 KiB (the API server's limit), which the
 * API server's encoder may escape six-fold (`<` as \u003c).
 */
export const MAX_KEPT_VALUE_BYTES = 1536 * 1024;
/** All kept values together: a scan keeps at most this much, whatever the body's size. */
export const MAX_KEPT_BYTES = 4 * 1024 * 1024;
const MAX_KEY_BYTES = 4096;

type Role = 'descend' | 'keep' | 'skip';

/** What to do with the value at `path`: read into it (an object we keep parts of), keep it whole, or skip it. */
function roleOf(path: readonly string[]): Role {
  const [first, second, third, fourth] = path;
  switch (path.length) {
    case 0: return 'descend';
    case 1: return first === 'request' ? 'descend' : first === 'apiVersion' || first === 'kind' ? 'keep' : 'skip';
    case 2:
      if (second === 'object' || second === 'oldObject') return 'descend';
      return KEPT_REQUEST_FIELDS.has(second!) ? 'keep' : 'skip';
    case 3:
      if (third === 'metadata') return 'descend';
      return third === 'apiVersion' || third === 'kind' ? 'keep' : 'skip';
    case 4:
      // managedFields can be as large as the object, and recording drops them anyway.
      return fourth === 'managedFields' ? 'skip' : 'keep';
    default: return 'skip';
  }
}

const State = { Value: 0, AfterValue: 1, Key: 2, Colon: 3, String: 4, Escape: 5, Unicode: 6, Number: 7, Literal: 8, Done: 9 } as const;
type State = (typeof State)[keyof typeof State];
const NumberPart = { Minus: 0, Zero: 1, Integer: 2, Dot: 3, Fraction: 4, Exponent: 5, ExponentSign: 6, ExponentDigits: 7 } as const;
type NumberPart = (typeof NumberPart)[keyof typeof NumberPart];

const OBJECT = 1;
const ARRAY = 2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function isHex(byte: number): boolean {
  return isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** After a backslash: " \\ / b f n r t. */
function isSimpleEscape(byte: number): boolean {
  return byte === QUOTE || byte === BACKSLASH || byte === 0x2f || byte === 0x62 || byte === 0x66 || byte === 0x6e || byte === 0x72 || byte === 0x74;
}

const LITERALS: Record<number, Buffer> = { 0x74: Buffer.from('true'), 0x66: Buffer.from('false'), 0x6e: Buffer.from('null') };

/** An object whose parts the scan keeps: where it is, and the object the kept parts go into. */
interface ReadFrame {
  path: string[];
  target: JsonObject;
}

/** A value being kept: its text so far, and where it goes. */
interface Keeping {
  into: JsonObject;
  key: string;
  path: string[];
  /** Container depth before the value opened: the value ends when the scan is back there. */
  depth: number;
  parts: Buffer[];
  bytes: number;
  dropped: boolean;
}

/**
 * A streaming scan of one JSON document that checks its structure (literals, numbers, escapes and control
 * characters too, so the first error it reports is where JSON.parse fails) and keeps the review's naming parts.
 * Feed it with `write`, then call `end`. Memory: the kept parts (at most MAX_KEPT_BYTES) and one byte per level
 * of nesting.
 */
export class ReviewScanner {
  #state: State = State.Value;
  /** After `{` or `[`: the container may close at once. */
  #mayClose = false;
  #containers: number[] = [];
  /** The objects read into, outermost first: frame i is the container at depth i + 1. */
  #frames: ReadFrame[] = [];
  #inKey = false;
  #key: Buffer[] | null = null;
  #keyBytes = 0;
  #pendingKey: string | null = null;
  #keeping: Keeping | null = null;
  #keptBytes = 0;
  #unicodeDigits = 0;
  #numberPart: NumberPart = NumberPart.Minus;
  #literal: Buffer | null = null;
  #literalAt = 0;
  #offset = 0;
  #line = 1;
  #lineStart = 0;
  #review: JsonObject = {};
  #dropped: string[] = [];

  /** Scans the next chunk; throws JsonPositionError at the first error. */
  write(chunk: Buffer): void {
    let partStart = 0;
    let keyStart = this.#key ? 0 : -1;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const byte = chunk[i]!;
      switch (this.#state) {
        case State.String: {
          // The bulk of a large body: scan to the next quote or backslash.
          let j = i;
          while (j < n) {
            const b = chunk[j]!;
            if (b === QUOTE) break;
            if (b === BACKSLASH) {
              // An escape whole in this chunk is checked here; one cut by the chunk's end goes through the states.
              if (j + 5 >= n) break;
              const escaped = chunk[j + 1]!;
              if (escaped === 0x75) {
                if (!isHex(chunk[j + 2]!) || !isHex(chunk[j + 3]!) || !isHex(chunk[j + 4]!) || !isHex(chunk[j + 5]!)) break;
                j += 6;
              } else if (isSimpleEscape(escaped)) {
                j += 2;
              } else {
                break;
              }
              continue;
            }
            if (b < 0x20) this.#fail(this.#offset + j, 'control character in a string');
            j++;
          }
          i = j;
          if (i === n) continue;
          if (chunk[i] === BACKSLASH) {
            this.#state = State.Escape;
            i++;
            continue;
          }
          i++;
          if (this.#inKey) {
            this.#inKey = false;
            this.#finishKey(chunk, keyStart, i);
            keyStart = -1;
            this.#state = State.Colon;
          } else {
            this.#afterScalar();
            partStart = this.#valueEnded(chunk, partStart, i);
          }
          continue;
        }
        case State.Escape:
          if (byte === 0x75) {
            this.#state = State.Unicode;
            this.#unicodeDigits = 0;
          } else if (isSimpleEscape(byte)) {
            this.#state = State.String;
          } else {
            this.#fail(this.#offset + i, 'bad escape in a string');
          }
          i++;
          continue;
        case State.Unicode:
          if (!isHex(byte)) this.#fail(this.#offset + i, 'bad \\u escape in a string');
          if (++this.#unicodeDigits === 4) this.#state = State.String;
          i++;
          continue;
        case State.Number:
          if (this.#number(byte, i)) {
            i++;
            continue;
          }
          this.#endScalar(i);
          partStart = this.#valueEnded(chunk, partStart, i);
          continue;
        case State.Literal:
          if (byte !== this.#literal![this.#literalAt]) this.#fail(this.#offset + i, 'invalid literal (true, false or null)');
          i++;
          if (++this.#literalAt === this.#literal!.length) {
            this.#afterScalar();
            partStart = this.#valueEnded(chunk, partStart, i);
          }
          continue;
        case State.Value:
        case State.AfterValue:
        case State.Key:
        case State.Colon:
        case State.Done:
          break; // between tokens: whitespace and the switch below
      }
      if (isWhitespace(byte)) {
        if (byte === 0x0a) {
          this.#line++;
          this.#lineStart = this.#offset + i + 1;
        }
        i++;
        continue;
      }
      switch (this.#state) {
        case State.Value:
          if (byte === 0x5d && this.#mayClose) {
            this.#close();
            i++;
            partStart = this.#valueEnded(chunk, partStart, i);
            continue;
          }
          if (this.#startValue(byte, i)) partStart = i;
          i++;
          continue;
        case State.AfterValue: {
          const top = this.#containers.at(-1);
          if (byte === 0x2c && top !== undefined) {
            if (top === OBJECT) this.#state = State.Key;
            else this.#state = State.Value;
            this.#mayClose = false;
            i++;
            continue;
          }
          if ((byte === 0x7d && top === OBJECT) || (byte === 0x5d && top === ARRAY)) {
            this.#close();
            i++;
            partStart = this.#valueEnded(chunk, partStart, i);
            continue;
          }
          this.#fail(this.#offset + i, top === undefined ? 'unexpected text after the JSON value'
            : top === OBJECT ? "expected ',' or '}' after a property value" : "expected ',' or ']' after an array element");
          break;
        }
        case State.Key:
          if (byte === 0x7d && this.#mayClose) {
            this.#close();
            i++;
            partStart = this.#valueEnded(chunk, partStart, i);
            continue;
          }
          if (byte !== QUOTE) this.#fail(this.#offset + i, 'expected a double-quoted property name');
          this.#state = State.String;
          this.#inKey = true;
          // Names matter only in the objects read into: elsewhere they are skipped like any string.
          if (!this.#keeping && this.#frames.length === this.#containers.length) {
            this.#key = [];
            this.#keyBytes = 0;
            keyStart = i;
          }
          i++;
          continue;
        case State.Colon:
          if (byte !== 0x3a) this.#fail(this.#offset + i, "expected ':' after a property name");
          this.#state = State.Value;
          this.#mayClose = false;
          i++;
          continue;
        case State.Done:
          this.#fail(this.#offset + i, 'unexpected text after the JSON value');
      }
    }
    if (this.#keeping && !this.#keeping.dropped && partStart < n) this.#keep(this.#keeping, chunk.subarray(partStart, n));
    if (this.#key && keyStart >= 0 && keyStart < n) this.#addKeyPart(chunk.subarray(keyStart, n));
    this.#offset += n;
  }

  /** Ends the scan; throws JsonPositionError when the document is incomplete. */
  end(): ScannedReview {
    if (this.#state === State.Number && this.#containers.length === 0) this.#endScalar(0);
    if (this.#state !== State.Done) this.#fail(this.#offset, 'unexpected end of the JSON text');
    return { review: this.#review, dropped: this.#dropped };
  }

  #fail(offset: number, problem: string): never {
    const column = offset - this.#lineStart + 1;
    throw new JsonPositionError(offset, this.#line, column, problem);
  }

  /** Opens the value starting with `byte`; true when the scan starts keeping it here. */
  #startValue(byte: number, i: number): boolean {
    let startsKeeping = false;
    const depth = this.#containers.length;
    const frame = this.#frames.length === depth ? this.#frames[depth - 1] : undefined;
    // The value at a path we read: the root, or a named member of an object read into.
    const reading = !this.#keeping && (depth === 0 || (frame !== undefined && this.#pendingKey !== null));
    if (reading) {
      const path = depth === 0 ? [] : [...frame!.path, this.#pendingKey!];
      const role = roleOf(path);
      if (role === 'descend' && byte === 0x7b) {
        const target: JsonObject = {};
        if (depth === 0) this.#review = target;
        else setOwn(frame!.target, this.#pendingKey!, target);
        this.#frames.push({ path, target });
      } else if (role !== 'skip' && depth > 0) {
        // A value we keep whole, or one we meant to read into that is not an object: kept as it is, so the
        // review's parser says what is wrong with it.
        this.#keeping = { into: frame!.target, key: this.#pendingKey!, path, depth, parts: [], bytes: 0, dropped: false };
        startsKeeping = true;
      }
    }
    this.#pendingKey = null;
    switch (byte) {
      case 0x7b:
        this.#containers.push(OBJECT);
        this.#state = State.Key;
        this.#mayClose = true;
        break;
      case 0x5b:
        this.#containers.push(ARRAY);
        this.#state = State.Value;
        this.#mayClose = true;
        break;
      case QUOTE:
        this.#state = State.String;
        break;
      case 0x74: case 0x66: case 0x6e:
        this.#state = State.Literal;
        this.#literal = LITERALS[byte]!;
        this.#literalAt = 1;
        break;
      default:
        if (byte !== 0x2d && !isDigit(byte)) this.#fail(this.#offset + i, 'expected a JSON value');
        this.#state = State.Number;
        this.#numberPart = byte === 0x2d ? NumberPart.Minus : byte === 0x30 ? NumberPart.Zero : NumberPart.Integer;
    }
    return startsKeeping;
  }

  /** Takes the next byte of a number; false when the number ended before it (the byte is read again). */
  #number(byte: number, i: number): boolean {
    const digit = isDigit(byte);
    const at = this.#offset + i;
    switch (this.#numberPart) {
      case NumberPart.Minus:
        if (!digit) this.#fail(at, 'no digit after a minus sign');
        this.#numberPart = byte === 0x30 ? NumberPart.Zero : NumberPart.Integer;
        return true;
      case NumberPart.Zero:
      case NumberPart.Integer:
        if (digit && this.#numberPart === NumberPart.Integer) return true;
        if (byte === 0x2e) { this.#numberPart = NumberPart.Dot; return true; }
        if (byte === 0x65 || byte === 0x45) { this.#numberPart = NumberPart.Exponent; return true; }
        if (digit) this.#fail(at, 'a number with a leading zero');
        return false;
      case NumberPart.Dot:
        if (!digit) this.#fail(at, 'no digit after a decimal point');
        this.#numberPart = NumberPart.Fraction;
        return true;
      case NumberPart.Fraction:
        if (digit) return true;
        if (byte === 0x65 || byte === 0x45) { this.#numberPart = NumberPart.Exponent; return true; }
        return false;
      case NumberPart.Exponent:
        if (byte === 0x2b || byte === 0x2d) { this.#numberPart = NumberPart.ExponentSign; return true; }
        if (!digit) this.#fail(at, 'no digit in an exponent');
        this.#numberPart = NumberPart.ExponentDigits;
        return true;
      case NumberPart.ExponentSign:
        if (!digit) this.#fail(at, 'no digit in an exponent');
        this.#numberPart = NumberPart.ExponentDigits;
        return true;
      case NumberPart.ExponentDigits:
        return digit;
    }
  }

  /** A number ended: it must have been complete. */
  #endScalar(i: number): void {
    if (this.#numberPart === NumberPart.Minus || this.#numberPart === NumberPart.Dot
      || this.#numberPart === NumberPart.Exponent || this.#numberPart === NumberPart.ExponentSign) {
      this.#fail(this.#offset + i, 'incomplete number');
    }
    this.#afterScalar();
  }

  #afterScalar(): void {
    this.#state = this.#containers.length === 0 ? State.Done : State.AfterValue;
  }

  #close(): void {
    this.#containers.pop();
    if (this.#frames.length > this.#containers.length) this.#frames.pop();
    this.#afterScalar();
  }

  #keep(keeping: Keeping, part: Buffer): void {
    keeping.bytes += part.length;
    if (keeping.bytes > MAX_KEPT_VALUE_BYTES || this.#keptBytes + keeping.bytes > MAX_KEPT_BYTES) {
      keeping.dropped = true;
      keeping.parts = [];
      return;
    }
    // A copy: the chunk's memory is the stream's.
    keeping.parts.push(Buffer.from(part));
  }

  /** A value ended before `end`: when it is the one being kept, finish it. Returns where the next kept text starts. */
  #valueEnded(chunk: Buffer, start: number, end: number): number {
    return this.#keeping && this.#keeping.depth === this.#containers.length ? this.#finishKeeping(chunk, start, end) : start;
  }

  /** The kept value ends before `end`: parse it and put it in place. Returns where the next kept text starts. */
  #finishKeeping(chunk: Buffer, start: number, end: number): number {
    const keeping = this.#keeping!;
    this.#keeping = null;
    if (!keeping.dropped) this.#keep(keeping, chunk.subarray(start, end));
    if (keeping.dropped) {
      this.#dropped.push(keeping.path.join('.'));
      return end;
    }
    this.#keptBytes += keeping.bytes;
    const text = Buffer.concat(keeping.parts, keeping.bytes).toString('utf8');
    setOwn(keeping.into, keeping.key, parseJson(text));
    return end;
  }

  #addKeyPart(part: Buffer): void {
    this.#keyBytes += part.length;
    if (this.#keyBytes > MAX_KEY_BYTES) {
      this.#key = null;
      return;
    }
    this.#key!.push(Buffer.from(part));
  }

  #finishKey(chunk: Buffer, start: number, end: number): void {
    if (!this.#key) {
      this.#pendingKey = null;
      return;
    }
    if (start >= 0) this.#addKeyPart(chunk.subarray(start, end));
    const key = this.#key;
    this.#key = null;
    // A name too long to be one we read is one we skip.
    this.#pendingKey = key ? (JSON.parse(Buffer.concat(key).toString('utf8')) as string) : null;
  }
}

/** Scans a whole body (in one piece). */
export function scanReview(body: Buffer): ScannedReview {
  const scanner = new ReviewScanner();
  scanner.write(body);
  return scanner.end();
}

/** Where the first JSON error in `body` is, as JsonPositionError; undefined when the scan finds none. */
export function locateJsonError(body: Buffer): JsonPositionError | undefined {
  try {
    scanReview(body);
    return undefined;
  } catch (error) {
    if (error instanceof JsonPositionError) return error;
    throw error;
  }
}
