import { daysFromCivil, daysInMonth, MS_PER_DAY } from '../core/time/civil.js';
import type { ZoneClock } from '../core/time/zone.js';
import { type ResolvedTimestamp, unresolved } from './timestamp.js';
import { normalizeSpaces } from './wording.js';
import { zoneAbbreviationOffset } from './zone-abbreviations.js';

// The batch rule for HTML timestamps (spec §2.6): every Unicode space is a space; English month names
// and abbreviations (with "Sept"); month-first (`Aug 15, 2025, 11:04:01 AM CDT`), day-first
// (`8 Dec 2025, 19:47:35 GMT+05:30`) and year-first (`2025/08/15 11:04:01 JST`) layouts; the zone from
// the abbreviation table, an explicit GMT/UTC offset, or the caller's IANA zone. Never UTC by default.

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['jan', 1], ['january', 1], ['feb', 2], ['february', 2], ['mar', 3], ['march', 3], ['apr', 4],
  ['april', 4], ['may', 5], ['jun', 6], ['june', 6], ['jul', 7], ['july', 7], ['aug', 8], ['august', 8],
  ['sep', 9], ['sept', 9], ['september', 9], ['oct', 10], ['october', 10], ['nov', 11], ['november', 11],
  ['dec', 12], ['december', 12],
]);

const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AaPp])\.?[Mm]\.?)?`;
const ZONE = String.raw`(?: (\S+))?`;
const MONTH_FIRST = new RegExp(String.raw`^(\p{L}+)\.? (\d{1,2}),? (\d{4}),? ${TIME}${ZONE}$`, 'u');
const DAY_FIRST = new RegExp(String.raw`^(\d{1,2}) (\p{L}+)\.?,? (\d{4}),? ${TIME}${ZONE}$`, 'u');
const YEAR_FIRST = new RegExp(String.raw`^(\d{4})[/-](\d{1,2})[/-](\d{1,2}),? ${TIME}${ZONE}$`, 'u');
const EXPLICIT_OFFSET = /^(?:GMT|UTC|UT)?([+\-\u2212])(\d{1,2})(?::?(\d{2}))?$/i;

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly msOfDay: number;
  readonly zone: string | undefined;
}

type Zone = { readonly offsetMinutes: number } | { readonly unknown: string };

function zoneOf(text: string): Zone {
  if (/^[A-Za-z]+$/.test(text)) {
    const known = zoneAbbreviationOffset(text.toUpperCase());
    return known === undefined ? { unknown: text } : { offsetMinutes: known };
  }
  const offset = EXPLICIT_OFFSET.exec(text);
  if (offset) {
    const hours = Number(offset[2]);
    const minutes = offset[3] === undefined ? 0 : Number(offset[3]);
    if (hours <= 14 && minutes < 60) return { offsetMinutes: (offset[1] === '+' ? 1 : -1) * (hours * 60 + minutes) };
  }
  return { unknown: text };
}

type WallResult = WallTime | { readonly problem: string };

function wallTime(
  year: string, month: number | undefined, monthText: string, day: string,
  hour: string, minute: string, second: string | undefined, meridiem: string | undefined, zone: string | undefined,
): WallResult {
  if (month === undefined) return { problem: `unknown month "${monthText}"` };
  const y = Number(year);
  const d = Number(day);
  let h = Number(hour);
  const m = Number(minute);
  const s = second === undefined ? 0 : Number(second);
  if (d < 1 || d > daysInMonth(y, month) || m > 59 || s > 59) return { problem: 'invalid date or time' };
  if (meridiem !== undefined) {
    if (h < 1 || h > 12) return { problem: 'invalid date or time' };
    h = (h % 12) + (meridiem.toLowerCase() === 'p' ? 12 : 0);
  } else if (h > 23) {
    return { problem: 'invalid date or time' };
  }
  return { year: y, month, day: d, msOfDay: ((h * 60 + m) * 60 + s) * 1000, zone };
}

function readWallTime(text: string): WallResult {
  let match = MONTH_FIRST.exec(text);
  if (match) {
    return wallTime(match[3]!, MONTHS.get(match[1]!.toLowerCase()), match[1]!, match[2]!, match[4]!, match[5]!, match[6], match[7], match[8]);
  }
  match = DAY_FIRST.exec(text);
  if (match) {
    return wallTime(match[3]!, MONTHS.get(match[2]!.toLowerCase()), match[2]!, match[1]!, match[4]!, match[5]!, match[6], match[7], match[8]);
  }
  match = YEAR_FIRST.exec(text);
  if (match) {
    const month = Number(match[2]);
    return wallTime(match[1]!, month >= 1 && month <= 12 ? month : undefined, match[2]!, match[3]!, match[4]!, match[5]!, match[6], match[7], match[8]);
  }
  return { problem: 'unrecognized timestamp layout' };
}

/**
 * Resolves an HTML timestamp. `sourceZone` (the caller's IANA zone) is used only for a timestamp with
 * no zone or with an abbreviation the table does not know.
 */
export function resolveHtmlTimestamp(text: string, sourceZone: ZoneClock | null): ResolvedTimestamp {
  const raw = normalizeSpaces(text);
  if (raw === '') return unresolved(raw, 'no timestamp');
  const wall = readWallTime(raw);
  if ('problem' in wall) return unresolved(raw, wall.problem);
  const zone: Zone = wall.zone === undefined ? { unknown: '' } : zoneOf(wall.zone);
  if ('offsetMinutes' in zone) {
    const instant = daysFromCivil(wall.year, wall.month, wall.day) * MS_PER_DAY + wall.msOfDay - zone.offsetMinutes * 60_000;
    return { instant, raw, exact: true, problem: null, viaSourceTimeZone: false };
  }
  if (sourceZone !== null) {
    const instant = sourceZone.instantOf(wall.year, wall.month, wall.day, wall.msOfDay);
    return { instant, raw, exact: false, problem: null, viaSourceTimeZone: true };
  }
  return unresolved(raw, zone.unknown === '' ? 'no time zone' : `unknown time zone "${zone.unknown}"`);
}
