import { afterEach, describe, expect, it } from 'vitest';
import {
  ZoneClock, addDays, addMonths, fullDays, fullMonths, startOfMonth, startOfQuarter, startOfYear,
} from '../../../src/core/time/zone.js';
import { Random } from '../../../fixtures/random.js';
import { DAY, HOUR, MINUTE, iso } from '../support/records.js';

const ZONES = [
  'UTC', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/Berlin', 'Europe/London', 'Europe/Dublin',
  'Asia/Tokyo', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Tehran', 'Australia/Adelaide', 'Australia/Lord_Howe',
  'America/St_Johns', 'Pacific/Chatham', 'America/Sao_Paulo', 'America/Asuncion', 'Africa/Casablanca', 'Pacific/Apia',
  'Pacific/Kiritimati', 'America/Goose_Bay',
];

const formats = new Map<string, Intl.DateTimeFormat>();

/** Independent reading of an instant in a zone, straight from Intl. */
function intlParts(zone: string, ms: number) {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formats.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: ((ms % 1000) + 1000) % 1000,
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday!),
  };
}

function intlOffset(zone: string, ms: number): number {
  const p = intlParts(zone, ms);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - p.millisecond);
}

/** Offset transitions of a zone within [from, to), found by scanning every 12 hours and bisecting. */
function transitions(zone: string, from: number, to: number): number[] {
  const found: number[] = [];
  let previous = intlOffset(zone, from);
  for (let t = from + 12 * HOUR; t < to; t += 12 * HOUR) {
    const offset = intlOffset(zone, t);
    if (offset !== previous) {
      let lo = t - 12 * HOUR, hi = t;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (intlOffset(zone, mid) === previous) lo = mid;
        else hi = mid;
      }
      found.push(hi);
      previous = offset;
    }
  }
  return found;
}

function checkLocal(clock: ZoneClock, ms: number): void {
  const local = clock.local(ms);
  const expected = intlParts(clock.timeZone, ms);
  const got = {
    year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute,
    second: local.second, millisecond: local.millisecond, weekday: local.weekday,
  };
  expect(got, `${clock.timeZone} ${iso(ms)}`).toEqual(expected);
  expect(local.monthIndex).toBe(local.year * 12 + local.month - 1);
  expect(local.dayNumber).toBe(Date.UTC(local.year, local.month - 1, local.day) / DAY);
  expect(local.msOfDay).toBe(((local.hour * 60 + local.minute) * 60 + local.second) * 1000 + local.millisecond);
}

describe('ZoneClock.local', () => {
  it('agrees with Intl on random instants, 1950-2060, queried in random order on one clock', () => {
    const random = new Random('zone-local');
    for (const zone of ZONES) {
      const clock = new ZoneClock(zone);
      for (let i = 0; i < 400; i++) {
        checkLocal(clock, Math.floor(random.between(Date.UTC(1950, 0, 1), Date.UTC(2060, 0, 1))));
      }
    }
  });

  it('agrees with Intl around every transition of 2008-2012 and 2023-2025, to the millisecond', () => {
    // The scan itself must find the transitions it is meant to exercise.
    expect(transitions('America/New_York', Date.UTC(2024, 0, 1), Date.UTC(2025, 0, 1)).map(iso)).toEqual([
      '2024-03-10T07:00:00.000Z',
      '2024-11-03T06:00:00.000Z',
    ]);
    expect(transitions('Australia/Adelaide', Date.UTC(2024, 0, 1), Date.UTC(2025, 0, 1)).map(iso)).toEqual([
      '2024-04-06T16:30:00.000Z',
      '2024-10-05T16:30:00.000Z',
    ]);
    const random = new Random('zone-transitions');
    const offsets = [-DAY, -3 * HOUR, -HOUR - 1, -HOUR, -30 * MINUTE, -1, 0, 1, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR + 1, DAY];
    for (const zone of ZONES) {
      const clock = new ZoneClock(zone);
      const points = [
        ...transitions(zone, Date.UTC(2008, 0, 1), Date.UTC(2013, 0, 1)),
        ...transitions(zone, Date.UTC(2023, 0, 1), Date.UTC(2026, 0, 1)),
      ];
      const instants = points.flatMap((t) => offsets.map((d) => t + d));
      // Random order, so caches are filled from every side.
      for (let i = instants.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [instants[i], instants[j]] = [instants[j]!, instants[i]!];
      }
      for (const ms of instants) checkLocal(clock, ms);
    }
  });

  it('reads half- and quarter-hour zones (Adelaide across its transitions, Kathmandu, Kolkata)', () => {
    const adelaide = new ZoneClock('Australia/Adelaide');
    // DST ends 2024-04-07 03:00 ACDT (+10:30) → 02:00 ACST (+9:30), at 2024-04-06T16:30Z.
    expect(adelaide.local(Date.parse('2024-04-06T16:29:59.999Z'))).toMatchObject({ day: 7, hour: 2, minute: 59, second: 59 });
    expect(adelaide.local(Date.parse('2024-04-06T16:30:00.000Z'))).toMatchObject({ day: 7, hour: 2, minute: 0 });
    // DST starts 2024-10-06 02:00 ACST → 03:00 ACDT, at 2024-10-05T16:30Z.
    expect(adelaide.local(Date.parse('2024-10-05T16:29:59.999Z'))).toMatchObject({ day: 6, hour: 1, minute: 59 });
    expect(adelaide.local(Date.parse('2024-10-05T16:30:00.000Z'))).toMatchObject({ day: 6, hour: 3, minute: 0 });
    // +5:45: 18:15Z is local midnight of the next day.
    expect(new ZoneClock('Asia/Kathmandu').local(Date.parse('2024-02-28T18:15:00.000Z'))).toMatchObject({
      year: 2024, month: 2, day: 29, hour: 0, minute: 0, weekday: 4,
    });
    expect(new ZoneClock('Asia/Kolkata').local(Date.parse('2024-12-31T18:29:59.999Z'))).toMatchObject({
      year: 2024, month: 12, day: 31, hour: 23, minute: 59, millisecond: 999,
    });
    expect(new ZoneClock('Asia/Kolkata').local(Date.parse('2024-12-31T18:30:00.000Z'))).toMatchObject({
      year: 2025, month: 1, day: 1, hour: 0, weekday: 3,
    });
  });

  it('reads instants before year 1 CE in a western zone (Intl writes 1 BC as year 1 without an era)', () => {
    // 0001-01-01T00:00Z in New York (LMT −4:56:02) is 0000-12-31 19:03:58, a Sunday (0001-01-01 is a Monday).
    expect(new ZoneClock('America/New_York').local(Date.parse('0001-01-01T00:00:00.000Z'))).toMatchObject({
      year: 0, month: 12, day: 31, hour: 19, minute: 3, second: 58, weekday: 0, monthIndex: 11,
    });
    // An input instant written with a positive offset can fall in year 0 UTC too: 0000-12-31T19:00Z in Tokyo (LMT +9:18:59).
    expect(new ZoneClock('Asia/Tokyo').local(Date.parse('0000-12-31T19:00:00.000Z'))).toMatchObject({
      year: 1, month: 1, day: 1, hour: 4, minute: 18, second: 59,
    });
    expect(new ZoneClock('America/Chicago').local(Date.parse('0000-06-01T12:00:00.000Z'))).toMatchObject({ year: 0, month: 6, day: 1, hour: 6, minute: 9, second: 24 });
    // And the far end: 9999-12-31T23:00Z is 10000-01-01 08:00 in Tokyo.
    expect(new ZoneClock('Asia/Tokyo').local(Date.parse('9999-12-31T23:00:00.000Z'))).toMatchObject({ year: 10000, month: 1, day: 1, hour: 8 });
  });

  it('rejects unknown zones and keeps a valid name', () => {
    expect(() => new ZoneClock('Mars/Olympus_Mons')).toThrow(/unknown time zone/);
    expect(() => new ZoneClock('')).toThrow();
    expect(new ZoneClock('Europe/Berlin').timeZone).toBe('Europe/Berlin');
    expect(new ZoneClock('UTC').offsetAt(0)).toBe(0);
  });
});

describe('ZoneClock.instantOf (JS Date local-time resolution)', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  const at = (zone: string, y: number, mo: number, d: number, h: number, mi = 0) =>
    iso(new ZoneClock(zone).instantOf(y, mo, d, (h * 60 + mi) * MINUTE));

  it('takes the earlier instant in a fold and the offset before the transition in a gap', () => {
    // New York: 2024-03-10 02:00 EST → 03:00 EDT; 02:30 does not exist, read with −5 → 07:30Z (03:30 EDT).
    expect(at('America/New_York', 2024, 3, 10, 2, 30)).toBe('2024-03-10T07:30:00.000Z');
    // 2024-11-03 02:00 EDT → 01:00 EST; 01:30 happens twice, EDT (−4) first → 05:30Z.
    expect(at('America/New_York', 2024, 11, 3, 1, 30)).toBe('2024-11-03T05:30:00.000Z');
    expect(at('America/New_York', 2024, 11, 3, 2, 0)).toBe('2024-11-03T07:00:00.000Z');
    // Berlin: gap 2024-03-31 02:00-03:00 (+1 before) and fold 2024-10-27 02:00-03:00 (+2 first).
    expect(at('Europe/Berlin', 2024, 3, 31, 2, 30)).toBe('2024-03-31T01:30:00.000Z');
    expect(at('Europe/Berlin', 2024, 10, 27, 2, 30)).toBe('2024-10-27T00:30:00.000Z');
    // Adelaide: fold 2024-04-07 02:00-03:00 (+10:30 first), gap 2024-10-06 02:00-03:00 (+9:30 before).
    expect(at('Australia/Adelaide', 2024, 4, 7, 2, 30)).toBe('2024-04-06T16:00:00.000Z');
    expect(at('Australia/Adelaide', 2024, 10, 6, 2, 30)).toBe('2024-10-05T17:00:00.000Z');
    // Lord Howe moves by 30 minutes: fold 01:30-02:00 (+11 first), gap 02:00-02:30 (+10:30 before).
    expect(at('Australia/Lord_Howe', 2024, 4, 7, 1, 45)).toBe('2024-04-06T14:45:00.000Z');
    expect(at('Australia/Lord_Howe', 2024, 10, 6, 2, 15)).toBe('2024-10-05T15:45:00.000Z');
    // Asunción 2017-10-01: midnight itself is skipped (00:00 −4 → 01:00 −3).
    expect(at('America/Asuncion', 2017, 10, 1, 0, 0)).toBe('2017-10-01T04:00:00.000Z');
    // St. John's 2009-11-01 00:01 NDT → 2009-10-31 23:01 NST: the fold crosses the month boundary.
    expect(at('America/St_Johns', 2009, 11, 1, 0, 0)).toBe('2009-11-01T02:30:00.000Z');
    expect(at('America/St_Johns', 2009, 10, 31, 23, 30)).toBe('2009-11-01T02:00:00.000Z');
    // Apia skipped 2011-12-30 entirely (−10 → +14): a whole-day gap, read with −10.
    expect(at('Pacific/Apia', 2011, 12, 30, 12, 0)).toBe('2011-12-30T22:00:00.000Z');
  });

  it('normalizes month and day overflow like the Date constructor', () => {
    expect(at('UTC', 2024, 13, 1, 0)).toBe('2025-01-01T00:00:00.000Z');
    expect(at('UTC', 2024, 0, 31, 0)).toBe('2023-12-31T00:00:00.000Z');
    expect(at('UTC', 2024, 3, 0, 0)).toBe('2024-02-29T00:00:00.000Z');
    expect(at('UTC', 2024, 2, 30, 0)).toBe('2024-03-01T00:00:00.000Z');
  });

  it('agrees with new Date(y, m, d, …) under TZ for random walls and walls near transitions', () => {
    const random = new Random('instant-of');
    for (const zone of ZONES) {
      process.env.TZ = zone;
      const clock = new ZoneClock(zone);
      const walls: [number, number, number, number][] = [];
      for (let i = 0; i < 150; i++) {
        walls.push([1990 + random.int(50), 1 + random.int(12), 1 + random.int(31), random.int(DAY)]);
      }
      for (const t of transitions(zone, Date.UTC(2023, 0, 1), Date.UTC(2025, 0, 1))) {
        for (let k = -16; k <= 16; k++) {
          const wall = new Date(t + intlOffset(zone, t - DAY) + k * 10 * MINUTE);
          walls.push([wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate(), wall.getTime() % DAY]);
        }
      }
      for (const [y, mo, d, ms] of walls) {
        const expected = new Date(y, mo - 1, d, 0, 0, 0, ms).getTime();
        expect(iso(clock.instantOf(y, mo, d, ms)), `${zone} ${y}-${mo}-${d} +${ms}ms`).toBe(iso(expected));
      }
    }
  });
});

describe('calendar helpers (spec §0)', () => {
  const utc = new ZoneClock('UTC');
  const t = Date.parse;
  const add = (clock: ZoneClock, at: string, k: number) => iso(addMonths(clock, t(at), k));

  it('addMonths keeps the wall time and clamps the day to the target month', () => {
    expect(add(utc, '2024-08-31T10:00:00.000Z', -6)).toBe('2024-02-29T10:00:00.000Z');
    expect(add(utc, '2023-08-31T10:00:00.000Z', -6)).toBe('2023-02-28T10:00:00.000Z');
    expect(add(utc, '2024-01-31T23:59:59.999Z', 1)).toBe('2024-02-29T23:59:59.999Z');
    expect(add(utc, '2024-03-31T00:00:00.000Z', -1)).toBe('2024-02-29T00:00:00.000Z');
    expect(add(utc, '2024-05-31T12:00:00.000Z', -1)).toBe('2024-04-30T12:00:00.000Z');
    // Feb 29 minus a year is Feb 28; four years later it is Feb 29 again.
    expect(add(utc, '2024-02-29T12:00:00.000Z', -12)).toBe('2023-02-28T12:00:00.000Z');
    expect(add(utc, '2024-02-29T12:00:00.000Z', 12)).toBe('2025-02-28T12:00:00.000Z');
    expect(add(utc, '2024-02-29T12:00:00.000Z', 48)).toBe('2028-02-29T12:00:00.000Z');
    expect(add(utc, '2024-12-15T00:00:00.000Z', 1)).toBe('2025-01-15T00:00:00.000Z');
    expect(add(utc, '2025-01-15T00:00:00.000Z', -13)).toBe('2023-12-15T00:00:00.000Z');
    expect(add(utc, '2025-01-15T00:00:00.000Z', 0)).toBe('2025-01-15T00:00:00.000Z');
  });

  it('addMonths keeps the local wall time across DST and resolves gaps and folds like Date', () => {
    const ny = new ZoneClock('America/New_York');
    // 2024-03-15 12:00 EDT (16:00Z) → 2024-02-15 12:00 EST (17:00Z).
    expect(add(ny, '2024-03-15T16:00:00.000Z', -1)).toBe('2024-02-15T17:00:00.000Z');
    // 2024-04-10 02:30 EDT → 2024-03-10 02:30, inside the gap → 03:30 EDT = 07:30Z.
    expect(add(ny, '2024-04-10T06:30:00.000Z', -1)).toBe('2024-03-10T07:30:00.000Z');
    // 2024-12-03 01:30 EST → 2024-11-03 01:30, inside the fold → EDT, 05:30Z.
    expect(add(ny, '2024-12-03T06:30:00.000Z', -1)).toBe('2024-11-03T05:30:00.000Z');
    // Tokyo: 2024-03-31 08:00 JST is 2024-03-30T23:00Z; a month back is Feb 29 08:00 JST.
    expect(add(new ZoneClock('Asia/Tokyo'), '2024-03-30T23:00:00.000Z', -1)).toBe('2024-02-28T23:00:00.000Z');
    // Chicago: 2024-03-31 20:00 CDT is 2024-04-01T01:00Z (April in UTC); a month back is Feb 29 20:00 CST.
    expect(add(new ZoneClock('America/Chicago'), '2024-04-01T01:00:00.000Z', -1)).toBe('2024-03-01T02:00:00.000Z');
  });

  it('addDays counts calendar days at the same wall time', () => {
    const ny = new ZoneClock('America/New_York');
    // 2024-03-25 12:00 EDT − 30 days = 2024-02-24 12:00 EST = 17:00Z (not 16:00Z, which 30×24 h gives).
    expect(iso(addDays(ny, t('2024-03-25T16:00:00.000Z'), -30))).toBe('2024-02-24T17:00:00.000Z');
    expect(iso(addDays(utc, t('2024-03-01T06:00:00.000Z'), -1))).toBe('2024-02-29T06:00:00.000Z');
  });

  it('startOfMonth, startOfQuarter and startOfYear are local midnights', () => {
    const tokyo = new ZoneClock('Asia/Tokyo');
    // 2024-03-31T16:00Z is 2024-04-01 01:00 JST.
    expect(iso(startOfMonth(tokyo, t('2024-03-31T16:00:00.000Z')))).toBe('2024-03-31T15:00:00.000Z');
    expect(iso(startOfQuarter(tokyo, t('2024-03-31T16:00:00.000Z')))).toBe('2024-03-31T15:00:00.000Z');
    expect(iso(startOfYear(tokyo, t('2024-03-31T16:00:00.000Z')))).toBe('2023-12-31T15:00:00.000Z');
    const chicago = new ZoneClock('America/Chicago');
    // 2024-04-01T03:00Z is 2024-03-31 22:00 CDT: March, Q1, and the midnights are in CST (−6).
    expect(iso(startOfMonth(chicago, t('2024-04-01T03:00:00.000Z')))).toBe('2024-03-01T06:00:00.000Z');
    expect(iso(startOfQuarter(chicago, t('2024-04-01T03:00:00.000Z')))).toBe('2024-01-01T06:00:00.000Z');
    expect(iso(startOfYear(chicago, t('2024-04-01T03:00:00.000Z')))).toBe('2024-01-01T06:00:00.000Z');
    // A CDT midnight: 2024-05-20 → 2024-05-01 00:00 CDT = 05:00Z; Q2 starts 2024-04-01 00:00 CDT.
    expect(iso(startOfMonth(chicago, t('2024-05-20T12:00:00.000Z')))).toBe('2024-05-01T05:00:00.000Z');
    expect(iso(startOfQuarter(chicago, t('2024-05-20T12:00:00.000Z')))).toBe('2024-04-01T05:00:00.000Z');
    const kolkata = new ZoneClock('Asia/Kolkata');
    // 2024-06-30T19:00Z is 2024-07-01 00:30 IST: Q3 starts at 2024-06-30T18:30Z.
    expect(iso(startOfMonth(kolkata, t('2024-06-30T19:00:00.000Z')))).toBe('2024-06-30T18:30:00.000Z');
    expect(iso(startOfQuarter(kolkata, t('2024-06-30T19:00:00.000Z')))).toBe('2024-06-30T18:30:00.000Z');
    expect(iso(startOfYear(kolkata, t('2024-06-30T19:00:00.000Z')))).toBe('2023-12-31T18:30:00.000Z');
    // Quarters start in Jan, Apr, Jul, Oct.
    for (const [at, start] of [
      ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
      ['2024-03-31T23:59:59.999Z', '2024-01-01T00:00:00.000Z'],
      ['2024-06-15T00:00:00.000Z', '2024-04-01T00:00:00.000Z'],
      ['2024-09-30T00:00:00.000Z', '2024-07-01T00:00:00.000Z'],
      ['2024-10-01T00:00:00.000Z', '2024-10-01T00:00:00.000Z'],
      ['2024-12-31T23:59:59.999Z', '2024-10-01T00:00:00.000Z'],
    ] as const) {
      expect(iso(startOfQuarter(utc, t(at)))).toBe(start);
    }
    // Asunción skips midnight on 2017-10-01: the month starts at 01:00 −03 (04:00Z), as Date resolves it.
    expect(iso(startOfMonth(new ZoneClock('America/Asuncion'), t('2017-10-15T12:00:00.000Z')))).toBe('2017-10-01T04:00:00.000Z');
  });

  const days = (clock: ZoneClock, later: string, earlier: string) => fullDays(clock.local(t(later)), clock.local(t(earlier)));
  const months = (clock: ZoneClock, later: string, earlier: string) => fullMonths(clock, t(later), t(earlier));

  it('fullDays: calendar days, minus one toward zero when the later time of day is earlier', () => {
    expect(days(utc, '2024-03-02T10:00:00.000Z', '2024-03-01T10:00:00.000Z')).toBe(1);
    expect(days(utc, '2024-03-02T09:59:59.999Z', '2024-03-01T10:00:00.000Z')).toBe(0);
    expect(days(utc, '2024-03-01T10:00:00.000Z', '2024-02-28T10:00:00.000Z')).toBe(2); // leap year
    expect(days(utc, '2023-03-01T10:00:00.000Z', '2023-02-28T10:00:00.000Z')).toBe(1);
    expect(days(utc, '2024-03-01T10:00:00.000Z', '2024-03-02T10:00:00.000Z')).toBe(-1);
    expect(days(utc, '2024-03-01T10:00:00.001Z', '2024-03-02T10:00:00.000Z')).toBe(0);
    expect(Object.is(days(utc, '2024-03-01T10:00:00.001Z', '2024-03-02T10:00:00.000Z'), 0)).toBe(true); // never −0
    expect(days(utc, '2024-06-15T12:00:00.000Z', '2023-06-15T12:00:00.000Z')).toBe(366);
    const ny = new ZoneClock('America/New_York');
    // 2024-03-10 has 23 hours in New York: Mar 9 23:00 EST → Mar 10 23:30 EDT is 23.5 h but one full day.
    expect(days(ny, '2024-03-11T03:30:00.000Z', '2024-03-10T04:00:00.000Z')).toBe(1);
    expect(days(utc, '2024-03-11T03:30:00.000Z', '2024-03-10T04:00:00.000Z')).toBe(0);
    // 2024-11-03 has 25 hours: midnight to midnight is one day.
    expect(days(ny, '2024-11-04T05:00:00.000Z', '2024-11-03T04:00:00.000Z')).toBe(1);
  });

  it('fullMonths (date-fns 4.1 differenceInMonths): calendar months, minus one when not reached, with the February move and the last-day exception', () => {
    expect(months(utc, '2024-03-15T00:00:00.000Z', '2024-01-15T00:00:00.000Z')).toBe(2);
    expect(months(utc, '2024-03-15T00:00:00.000Z', '2024-01-15T00:00:00.001Z')).toBe(1);
    expect(months(utc, '2024-03-14T23:59:59.999Z', '2024-01-15T00:00:00.000Z')).toBe(1);
    expect(months(utc, '2024-01-31T00:00:00.000Z', '2024-01-01T00:00:00.000Z')).toBe(0);
    // Exception: later is the last day of its month, difference 1, later > earlier → no reduction.
    expect(months(utc, '2024-02-29T00:00:00.000Z', '2024-01-31T12:00:00.000Z')).toBe(1);
    expect(months(utc, '2023-02-28T00:00:00.000Z', '2023-01-30T00:00:00.000Z')).toBe(1);
    expect(months(utc, '2024-04-30T00:00:00.000Z', '2024-03-31T00:00:00.000Z')).toBe(1);
    // A later date in February past the 27th moves to day 30 with overflow before the comparison (date-fns
    // 4.1): Feb 28 2024 → Mar 1 → back one month to Feb 1, which is not before Jan 28 18:00 or Jan 31.
    expect(months(utc, '2024-02-28T12:00:00.000Z', '2024-01-28T18:00:00.000Z')).toBe(1);
    expect(months(utc, '2024-02-28T23:59:59.999Z', '2024-01-31T00:00:00.000Z')).toBe(1);
    // The spec's example: Feb 28 2026 → Mar 2 → back two months to Jan 2 12:00, not before Dec 29 10:00.
    expect(months(utc, '2026-02-28T12:00:00.000Z', '2025-12-29T10:00:00.000Z')).toBe(2);
    expect(months(utc, '2024-02-29T12:00:00.000Z', '2023-12-31T10:00:00.000Z')).toBe(2); // Feb 29 → Mar 1 → Jan 1
    expect(months(utc, '2025-02-28T12:00:00.000Z', '2025-01-02T12:00:00.001Z')).toBe(1); // Mar 2 → Feb 2
    expect(months(utc, '2025-02-27T12:00:00.000Z', '2024-12-28T10:00:00.000Z')).toBe(1); // day 27: no move
    // setMonth does not clamp: Mar 31 − 1 month is Mar 2 (2024), still after Feb 29.
    expect(months(utc, '2024-03-31T12:00:00.000Z', '2024-02-29T12:00:00.000Z')).toBe(1);
    // The exception needs a difference of exactly 1.
    expect(months(utc, '2024-06-30T00:00:00.000Z', '2024-03-31T00:00:00.000Z')).toBe(2);
    expect(months(utc, '2024-03-30T00:00:00.000Z', '2024-01-31T00:00:00.000Z')).toBe(1);
    // Backwards: negative, reduced toward zero.
    expect(months(utc, '2024-01-15T00:00:00.000Z', '2024-03-14T00:00:00.000Z')).toBe(-1);
    expect(months(utc, '2024-01-15T00:00:00.000Z', '2024-03-15T00:00:00.000Z')).toBe(-2);
    expect(months(utc, '2024-06-15T12:00:00.000Z', '2024-08-20T12:00:00.000Z')).toBe(-2);
    expect(Object.is(months(utc, '2024-01-20T00:00:00.000Z', '2024-02-10T00:00:00.000Z'), 0)).toBe(true);
    expect(months(utc, '2024-06-15T12:00:00.000Z', '2023-06-15T12:00:00.000Z')).toBe(12);
    // In the zone: 2024-03-01T03:00Z is Feb 29 21:00 in Chicago, the last day of February.
    const chicago = new ZoneClock('America/Chicago');
    expect(months(chicago, '2024-03-01T03:00:00.000Z', '2024-01-31T12:00:00.000Z')).toBe(1);
    expect(months(utc, '2024-03-01T03:00:00.000Z', '2024-01-31T12:00:00.000Z')).toBe(1);
    expect(months(chicago, '2024-03-01T03:00:00.000Z', '2024-02-01T12:00:00.000Z')).toBe(0);
    expect(months(utc, '2024-03-01T03:00:00.000Z', '2024-02-01T12:00:00.000Z')).toBe(0);
  });
});
