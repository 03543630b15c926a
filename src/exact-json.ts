// JSON numbers kept exactly as sent: parsing that keeps a number a double would change (9007199254740993, 1e400) as
// the digits themselves, and the checks and copies every other module needs for such numbers. Pure.
//
// A kept number is V8's raw JSON value (JSON.rawJSON): JSON.stringify writes its digits unchanged, JSON.isRawJSON
// recognises it (a plain object `{"rawJSON": "1"}` never passes), and it is frozen. Everything else stays what
// JSON.parse makes, so the common body, which holds no such number, costs one plain JSON.parse.

declare const exactNumberBrand: unique symbol;

/** A JSON number kept as its text: JSON.stringify writes `rawJSON` as is. Never an object with keys to walk. */
export interface ExactNumber {
  readonly rawJSON: string;
  readonly [exactNumberBrand]: true;
}

/** Node 24's JSON, typed: TypeScript's lib does not declare JSON.rawJSON or the reviver's `context` yet. */
interface JsonWithSource {
  rawJSON(text: string): ExactNumber;
  isRawJSON(value: unknown): boolean;
  parse(text: string, reviver: (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown): unknown;
}
const json = JSON as unknown as JsonWithSource;

// Exact numbers are made here only (parseJson). Until this thread has made one, no value can hold
// one, and holdsExactNumber answers without walking: a cluster whose objects never hold such a number never pays
// for the walk.
let madeExactNumber = false;

function makeExactNumber(text: string): ExactNumber {
  madeExactNumber = true;
  return json.rawJSON(text);
}

export function isExactNumber(value: unknown): value is ExactNumber {
  return typeof value === 'object' && value !== null && json.isRawJSON(value);
}

/**
 * Could the text hold a number a double does not keep? Such a number has an exponent or at least 16 digits: a
 * number of at most 15 characters without exponent has at most 15 significant digits and lies between 1e-14 and
 * 1e15, where every double reads back as the same decimal. A number follows `:`, `,` or `[` (and JSON whitespace)
 * or starts the text, so hex digits in a uid ("…1e5…") do not count; a false alarm inside a string costs only the
 * slower parse. Measured at about an eighth of JSON.parse's time on the AdmissionReview fixtures.
 */
const MAYBE_INEXACT = /[:,[][ \t\n\r]*-?\d(?:[\d.]{15}|[\d.]*[eE])/;
const STARTS_WITH_NUMBER = /^[ \t\n\r]*-?\d/;

/** Sign, significant digits and exponent of a decimal number text, so equal values compare equal. */
function decimalValue(text: string): string {
  const negative = text.startsWith('-');
  const unsigned = negative ? text.slice(1) : text;
  const e = unsigned.search(/[eE]/);
  const mantissa = e < 0 ? unsigned : unsigned.slice(0, e);
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? '' : mantissa.slice(dot + 1);
  let digits = (dot < 0 ? mantissa : mantissa.slice(0, dot)) + fraction;
  let exponent = (e < 0 ? 0 : Number(unsigned.slice(e + 1))) - fraction.length;
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return `${negative ? '-' : ''}${digits}e${exponent}`;
}

/** Does the double JSON.parse made of `source` stand for the same decimal value as `source`? */
function keepsValue(source: string, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const written = String(value);
  return written === source || decimalValue(written) === decimalValue(source);
}

function keepExactNumbers(_key: string, value: unknown, context: { source?: string }): unknown {
  if (typeof value !== 'number' || context.source === undefined || keepsValue(context.source, value)) return value;
  return makeExactNumber(context.source);
}

/**
 * JSON.parse, except that a number a double would change is kept as an ExactNumber. Keys are own properties, as
 * with JSON.parse (`__proto__` included). Throws JSON.parse's SyntaxError.
 */
export function parseJson(text: string): unknown {
  if (!MAYBE_INEXACT.test(text) && !STARTS_WITH_NUMBER.test(text)) return JSON.parse(text);
  return json.parse(text, keepExactNumbers);
}

/**
 * Does `value` hold an ExactNumber anywhere? Iterative, so any depth is safe; it runs on both objects of every
 * captured update (history/patch.ts), so it reads children in place (`for…in`: parsed JSON inherits nothing
 * enumerable) instead of copying them out.
 */
export function holdsExactNumber(value: unknown): boolean {
  if (!madeExactNumber || typeof value !== 'object' || value === null) return false;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const child: unknown = current[i];
        if (typeof child === 'object' && child !== null) pending.push(child);
      }
      continue;
    }
    if (json.isRawJSON(current)) return true;
    for (const key in current) {
      const child: unknown = (current as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) pending.push(child);
    }
  }
  return false;
}

/**
 * A deep copy of a JSON value, for code that edits a copy: every key an own property (`__proto__` too), an
 * ExactNumber shared as it is (it is frozen). structuredClone would throw on one.
 */
export function copyJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null || json.isRawJSON(value)) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => copyJson(item)) as T;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    Object.defineProperty(copy, key, { value: copyJson(child), writable: true, enumerable: true, configurable: true });
  }
  return copy as T;
}
