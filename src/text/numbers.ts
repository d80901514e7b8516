import { UsageError } from '../errors.js';

// The one number parser of every numeric option. Numbers are written the one plain way: digits, and for
// decimals one point between digits. No sign unless negatives are in range, no leading zeros, no spaces,
// no exponent (except where an option asks for it), no hex, no Infinity or NaN; the value must then lie
// in the option's range. Compound options (I/N, N or P%, days or a duration) read their numbers with the
// same readers and say what they expect in the same shape:  --concurrency "many" must be a whole number
// from 1 to 64.

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.(\d+))?$/;
const SCIENTIFIC = /^-?(?:0|[1-9]\d*)(?:\.(\d+))?(?:[eE][-+]?\d{1,3})?$/;
/** More digits than this are no number any option takes, and would lose precision. */
const MAX_DIGITS = 15;

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

export interface DecimalRange extends IntegerRange {
  /** The minimum itself is out of range (e.g. a share above 0 %). */
  readonly minExclusive?: boolean;
  /** Digits allowed after the point; any number when absent. */
  readonly maxDecimals?: number;
  /** Also accept an exponent (1e-9), for options whose values are naturally written so. */
  readonly exponent?: boolean;
}

function negativeAllowed(text: string, min: number): boolean {
  // "-0" is zero written oddly, never a negative number.
  return !text.startsWith('-') || (min < 0 && !/^-0(?:\.0*)?(?:[eE]|$)/.test(text));
}

/** The whole number a text spells within the range, or null. */
export function readInteger(text: string, range: IntegerRange): number | null {
  if (text.length > MAX_DIGITS + 1 || !INTEGER.test(text) || !negativeAllowed(text, range.min)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= range.min && n <= range.max ? n : null;
}

/** The number a text spells within the range (and with no more decimals than allowed), or null. */
export function readDecimal(text: string, range: DecimalRange): number | null {
  const match = (range.exponent ? SCIENTIFIC : DECIMAL).exec(text);
  if (!match || text.replace(/[eE].*$/, '').replace(/\D/g, '').length > MAX_DIGITS || !negativeAllowed(text, range.min)) return null;
  if (range.maxDecimals !== undefined && (match[1]?.length ?? 0) > range.maxDecimals) return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n > range.max || n < range.min || (range.minExclusive && n === range.min)) return null;
  return n;
}

/** A value as messages quote it: whole when short, cut when long (a message stays one readable line). */
export function quoted(text: string): string {
  return `"${text.length > 60 ? `${text.slice(0, 59)}…` : text}"`;
}

const DECIMAL_WORDS = ['no', 'one', 'two', 'three', 'four'];

/** "a whole number from 1 to 64" */
export function describeInteger(range: IntegerRange): string {
  return `a whole number from ${range.min} to ${range.max}`;
}

/** "a number from 0 to 100 with at most two decimals", "a number above 0 up to 100" */
export function describeDecimal(range: DecimalRange): string {
  const span = range.minExclusive ? `above ${range.min} up to ${range.max}` : `from ${range.min} to ${range.max}`;
  const decimals = range.maxDecimals === undefined ? '' : ` with at most ${DECIMAL_WORDS[range.maxDecimals] ?? range.maxDecimals} decimal${range.maxDecimals === 1 ? '' : 's'}`;
  return `a number ${span}${decimals}`;
}

/** The one shape of every numeric option's message: `--concurrency "many" must be a whole number from 1 to 64`. */
export function numberError(option: string, text: string, expected: string): UsageError {
  return new UsageError(`${option} ${quoted(text)} must be ${expected}`);
}

export interface IntegerOption extends IntegerRange {
  /** The option (or variable) named in messages, e.g. `--concurrency`. */
  readonly option: string;
  /** Said after the range, e.g. "(rows per deleting call)". */
  readonly hint?: string;
}

export interface DecimalOption extends DecimalRange {
  readonly option: string;
  readonly hint?: string;
}

/** A whole-number option's value, or a usage error in the one shape. */
export function parseInteger(text: string, spec: IntegerOption): number {
  const n = readInteger(text, spec);
  if (n === null) throw numberError(spec.option, text, `${describeInteger(spec)}${spec.hint ? ` ${spec.hint}` : ''}`);
  return n;
}

/** A decimal option's value, or a usage error in the one shape. */
export function parseDecimal(text: string, spec: DecimalOption): number {
  const n = readDecimal(text, spec);
  if (n === null) throw numberError(spec.option, text, `${describeDecimal(spec)}${spec.hint ? ` ${spec.hint}` : ''}`);
  return n;
}
