import {
  MS_PER_DAY, MS_PER_HOUR, civilFromDays, daysFromCivil, daysInMonth, monthIndex, weekdayFromDays,
} from './civil.js';

/** Wall-clock reading of an instant in a zone. */
export interface LocalTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** 0 = Sunday */
  weekday: number;
  /** Local day number (days since 1970-01-01 on the local calendar). */
  dayNumber: number;
  /** Milliseconds since local midnight. */
  msOfDay: number;
  /** year * 12 + (month - 1) */
  monthIndex: number;
}

/** The calendar position of an instant, as far as day and month differences need it. */
export type CalendarPoint = Pick<LocalTime, 'year' | 'month' | 'day' | 'msOfDay' | 'monthIndex' | 'dayNumber'>;

export class InvalidTimeZoneError extends Error {
  constructor(readonly timeZone: string) {
    super(`unknown time zone "${timeZone}" (expected an IANA name such as UTC or Europe/Berlin)`);
  }
}

/** `M/D/YYYY, HH:MM:SS`, en-US numeric with a 24-hour cycle. */
const EN_US_NUMERIC = /^(\d{1,2})\/(\d{1,2})\/(\d{1,4}), (\d{2}):(\d{2}):(\d{2})$/;

/** Formatters are costly to create and immutable, so one per zone is shared (a pure memo). */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu']);

/**
 * Resolves instants to wall time in one IANA zone. Offsets come from Intl (ICU's tz database) and are
 * cached per UTC day (one lookup per day boundary), and per hour only on days with a transition.
 */
export class ZoneClock {
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat | null;
  private readonly dayOffsets = new Map<number, number>();
  private readonly dayStartOffsets = new Map<number, number>();
  private readonly hourOffsets = new Map<number, number>();

  constructor(timeZone: string) {
    // The default zone needs no offsets, and creating the first Intl formatter loads ICU's zone data (~25 ms of a run).
    if (timeZone === 'UTC') {
      this.timeZone = 'UTC';
      this.format = null;
      return;
    }
    let format: Intl.DateTimeFormat;
    try {
      format = formatterFor(timeZone);
    } catch {
      throw new InvalidTimeZoneError(timeZone);
    }
    const resolved = format.resolvedOptions().timeZone;
    // Keep the caller's spelling unless it differs from ICU's only by case, so stored metadata is stable.
    this.timeZone = resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : timeZone;
    this.format = UTC_NAMES.has(resolved) ? null : format;
  }

  /** Offset (local − UTC) in ms at an instant. */
  offsetAt(ms: number): number {
    if (this.format === null) return 0;
    const day = Math.floor(ms / MS_PER_DAY);
    let offset = this.dayOffsets.get(day);
    if (offset === undefined) {
      // Constant over the day when its start and the next day's start agree (at most one transition a
      // day); a transition exactly at midnight UTC only sends this day to the slower path below.
      const here = this.offsetAtDayStart(day);
      offset = here === this.offsetAtDayStart(day + 1) ? here : NaN;
      this.dayOffsets.set(day, offset);
    }
    if (offset === offset) return offset;
    const hour = Math.floor(ms / MS_PER_HOUR);
    let hourOffset = this.hourOffsets.get(hour);
    if (hourOffset === undefined) {
      const start = hour * MS_PER_HOUR;
      const a = this.lookup(start);
      hourOffset = a === this.lookup(start + MS_PER_HOUR - 1) ? a : NaN;
      this.hourOffsets.set(hour, hourOffset);
    }
    return hourOffset === hourOffset ? hourOffset : this.lookup(ms);
  }

  private offsetAtDayStart(day: number): number {
    let offset = this.dayStartOffsets.get(day);
    if (offset === undefined) {
      offset = this.lookup(day * MS_PER_DAY);
      this.dayStartOffsets.set(day, offset);
    }
    return offset;
  }

  /** Offset at one instant, from ICU: the wall time it shows, minus the instant (to the second). */
  private lookup(ms: number): number {
    const text = this.format!.format(ms);
    const match = EN_US_NUMERIC.exec(text);
    const parts = match
      ? [Number(match[3]), Number(match[1]), Number(match[2]), Number(match[4]), Number(match[5]), Number(match[6])]
      : this.wallPartsOf(ms);
    const wholeSecond = ms - (((ms % 1000) + 1000) % 1000);
    const offset = wallOf(parts) - wholeSecond;
    // ICU numbers years before 1 CE by era (1 BC is "1") and these layouts carry no era. No zone is a day
    // or more away from UTC, so a larger offset means the year Y it showed is the astronomical year 1 − Y.
    if (offset > MS_PER_DAY || offset < -MS_PER_DAY) return wallOf([1 - parts[0]!, ...parts.slice(1)]) - wholeSecond;
    return offset;
  }

  /** Slower, layout-independent reading, for an ICU whose en-US layout differs from the usual one. */
  private wallPartsOf(ms: number): number[] {
    let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    for (const part of this.format!.formatToParts(ms)) {
      switch (part.type) {
        case 'year': year = Number(part.value); break;
        case 'month': month = Number(part.value); break;
        case 'day': day = Number(part.value); break;
        case 'hour': hour = Number(part.value); break;
        case 'minute': minute = Number(part.value); break;
        case 'second': second = Number(part.value); break;
      }
    }
    return [year, month, day, hour, minute, second];
  }

  local(ms: number): LocalTime {
    const wall = ms + this.offsetAt(ms);
    const dayNumber = Math.floor(wall / MS_PER_DAY);
    const msOfDay = wall - dayNumber * MS_PER_DAY;
    const { year, month, day } = civilFromDays(dayNumber);
    return {
      year,
      month,
      day,
      hour: Math.floor(msOfDay / MS_PER_HOUR),
      minute: Math.floor(msOfDay / 60_000) % 60,
      second: Math.floor(msOfDay / 1000) % 60,
      millisecond: msOfDay % 1000,
      weekday: weekdayFromDays(dayNumber),
      dayNumber,
      msOfDay,
      monthIndex: monthIndex(year, month),
    };
  }

  /**
   * The instant of a wall-clock time, resolved as JS Date resolves local times: in a fold the earlier
   * instant, in a gap the offset from before the transition. Month overflow is normalized first.
   */
  instantOf(year: number, month: number, day: number, msOfDay: number): number {
    const normalizedMonth = monthIndex(year, month);
    const y = Math.floor(normalizedMonth / 12);
    const m = normalizedMonth - y * 12 + 1;
    const wall = daysFromCivil(y, m, 1) * MS_PER_DAY + (day - 1) * MS_PER_DAY + msOfDay;
    const before = this.offsetAt(wall - MS_PER_DAY);
    const after = this.offsetAt(wall + MS_PER_DAY);
    const early = wall - before;
    const late = wall - after;
    const earlyValid = this.offsetAt(early) === before;
    const lateValid = this.offsetAt(late) === after;
    if (earlyValid && lateValid) return Math.min(early, late);
    if (lateValid) return late;
    return early;
  }
}

/** Wall-clock milliseconds (days since 1970-01-01 on the local calendar) of [year, month, day, hour, minute, second]. */
function wallOf([year, month, day, hour, minute, second]: readonly number[]): number {
  return daysFromCivil(year!, month!, day!) * MS_PER_DAY + hour! * MS_PER_HOUR + minute! * 60_000 + second! * 1000;
}

// Calendar helpers of the spec (§0), each evaluated in the clock's zone.

export function startOfMonth(clock: ZoneClock, ms: number): number {
  const t = clock.local(ms);
  return clock.instantOf(t.year, t.month, 1, 0);
}

export function startOfQuarter(clock: ZoneClock, ms: number): number {
  const t = clock.local(ms);
  return clock.instantOf(t.year, t.month - ((t.month - 1) % 3), 1, 0);
}

export function startOfYear(clock: ZoneClock, ms: number): number {
  const t = clock.local(ms);
  return clock.instantOf(t.year, 1, 1, 0);
}

/**
 * Same wall time k months later, the day clamped to the target month's length (date-fns addMonths;
 * k = 0 returns the instant itself, as date-fns does, so a time in a DST fold keeps its offset).
 */
export function addMonths(clock: ZoneClock, ms: number, months: number): number {
  if (months === 0) return ms;
  const t = clock.local(ms);
  const target = t.monthIndex + months;
  const year = Math.floor(target / 12);
  const month = target - year * 12 + 1;
  return clock.instantOf(year, month, Math.min(t.day, daysInMonth(year, month)), t.msOfDay);
}

/** Same wall time k calendar days later. */
export function addDays(clock: ZoneClock, ms: number, days: number): number {
  const t = clock.local(ms);
  return clock.instantOf(t.year, t.month, t.day + days, t.msOfDay);
}

/** date-fns differenceInDays: calendar days, minus one toward zero when the later time of day is earlier. */
export function fullDays(later: CalendarPoint, earlier: CalendarPoint): number {
  const sign = compareWall(later, earlier);
  const difference = Math.abs(later.dayNumber - earlier.dayNumber);
  const timeSign = Math.sign(later.msOfDay - earlier.msOfDay);
  const lastDayNotFull = difference > 0 && timeSign === -sign ? 1 : 0;
  return sign * (difference - lastDayNotFull) || 0;
}

/**
 * date-fns 4.1.0 differenceInMonths(later, earlier) in the clock's zone, step by step as the spec (§0)
 * gives it: the calendar-month difference d; a later wall time in February past the 27th moves to
 * day 30 with overflow (JS setDate: into March); its month then moves back by d with overflow (JS
 * setMonth, no clamping: Mar 31 − 1 month is Mar 3 or 2); the month is not full when that instant is
 * still before earlier, except when later is the last day of its month, d = 1 and later > earlier.
 * Each set resolves its wall time to an instant as JS Date does (instantOf) before the next reads it.
 */
export function fullMonths(clock: ZoneClock, laterMs: number, earlierMs: number): number {
  const later = clock.local(laterMs);
  const sign = Math.sign(laterMs - earlierMs);
  const difference = Math.abs(later.monthIndex - clock.local(earlierMs).monthIndex);
  if (difference < 1) return 0;
  let working: LocalTime = later;
  if (later.month === 2 && later.day > 27) working = clock.local(clock.instantOf(later.year, 2, 30, later.msOfDay));
  const moved = clock.instantOf(working.year, working.month - sign * difference, working.day, working.msOfDay);
  let lastMonthNotFull = Math.sign(moved - earlierMs) === -sign;
  if (later.day === daysInMonth(later.year, later.month) && difference === 1 && laterMs > earlierMs) {
    lastMonthNotFull = false;
  }
  return sign * (difference - (lastMonthNotFull ? 1 : 0)) || 0;
}

function compareWall(a: CalendarPoint, b: CalendarPoint): number {
  return Math.sign(a.dayNumber - b.dayNumber || a.msOfDay - b.msOfDay);
}
