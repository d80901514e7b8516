import { MS_PER_DAY, civilFromDays, daysFromCivil, daysInMonth } from './civil.js';

// Strict ISO-8601 instants: a date, a time and an explicit offset; nothing is read in a machine zone.
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

const MIN_YEAR = 1;
const MAX_YEAR = 9999;
/** The first and last instants agg reads or writes: years 1 to 9999 in UTC, as ISO-8601 writes them with four digits. */
export const MIN_INSTANT_MS = daysFromCivil(MIN_YEAR, 1, 1) * MS_PER_DAY;
export const MAX_INSTANT_MS = daysFromCivil(MAX_YEAR + 1, 1, 1) * MS_PER_DAY - 1;
export const INSTANT_RANGE_TEXT = '0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z';
/** An ISO-8601 date with a year of five or more digits, or with a sign (the expanded form): past year 9999 or before year 1. */
const EXPANDED_YEAR = /^(?:[+-]\d{4,}|\d{5,})-\d{2}-\d{2}T/;

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000;
}

export type IsoInstantCheck = { readonly ms: number } | { readonly problem: 'syntax' | 'range' };

/**
 * Reads an ISO-8601 instant: `range` when it is one but falls outside years 1–9999 in UTC (year 0000,
 * an expanded year, or an offset that carries it over an end), `syntax` for anything else that is not.
 */
export function checkIsoInstant(text: string): IsoInstantCheck {
  const ms = parseIsoInstant(text);
  if (ms !== null) return { ms };
  if (EXPANDED_YEAR.test(text) || (/^0000-/.test(text) && parseIsoInstant(`0001${text.slice(4)}`) !== null)) return { problem: 'range' };
  const unbounded = parseIsoInstantUnbounded(text);
  return unbounded !== null ? { problem: 'range' } : { problem: 'syntax' };
}

/**
 * Epoch milliseconds of an ISO-8601 instant within years 1–9999 (UTC), or null when the text is not one.
 * Fractions below 1 ms are truncated.
 */
export function parseIsoInstant(text: string): number | null {
  const ms = parseIsoInstantUnbounded(text);
  return ms === null || ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS ? null : ms;
}

/** As parseIsoInstant, but an offset may carry the instant a few hours past year 1 or year 9999. */
function parseIsoInstantUnbounded(text: string): number | null {
  // Fast path for the canonical `YYYY-MM-DDTHH:mm:ss.sssZ` form that toISOString writes.
  if (
    text.length === 24 &&
    text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45 && text.charCodeAt(10) === 84 &&
    text.charCodeAt(13) === 58 && text.charCodeAt(16) === 58 && text.charCodeAt(19) === 46 &&
    text.charCodeAt(23) === 90
  ) {
    const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
    const month = digit(text, 5) * 10 + digit(text, 6);
    const day = digit(text, 8) * 10 + digit(text, 9);
    const hour = digit(text, 11) * 10 + digit(text, 12);
    const minute = digit(text, 14) * 10 + digit(text, 15);
    const second = digit(text, 17) * 10 + digit(text, 18);
    const ms = digit(text, 20) * 100 + digit(text, 21) * 10 + digit(text, 22);
    if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || ms < 0) return null;
    return compose(year, month, day, hour, minute, second, ms, 0);
  }
  const m = ISO_INSTANT.exec(text);
  if (!m) return null;
  const fraction = m[7] ?? '';
  const ms = fraction === '' ? 0 : Number((fraction + '00').slice(0, 3));
  let offsetMinutes = 0;
  const zone = m[8]!;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (hours > 23 || minutes > 59) return null;
    offsetMinutes = sign * (hours * 60 + minutes);
  }
  return compose(
    Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'), ms, offsetMinutes,
  );
}

function compose(
  year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number,
  offsetMinutes: number,
): number | null {
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms -
    offsetMinutes * 60_000
  );
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/**
 * `YYYY-MM-DDTHH:mm:ss.sssZ`, as JS toISOString writes it, for whole milliseconds. Years 0–9999 are
 * written here (a fifth of toISOString's time, which a large grid calls 100,000 times); any other
 * year, in toISOString's expanded form.
 */
export function formatIsoInstant(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  const { year, month, day } = civilFromDays(days);
  if (!(year >= 0 && year <= 9999 && Number.isInteger(ms))) return new Date(ms).toISOString();
  let rest = ms - days * MS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const d = TWO_DIGITS;
  return `${d[Math.floor(year / 100)]}${d[year % 100]}-${d[month]}-${d[day]}T${d[hour]}:${d[minute]}:${d[second]}.${THREE_DIGITS[rest - second * 1000]}Z`;
}

/** The canonical form of an instant given as text, or null when it is not an ISO-8601 instant. */
export function canonicalIsoInstant(text: string): string | null {
  const ms = parseIsoInstant(text);
  return ms === null ? null : formatIsoInstant(ms);
}
