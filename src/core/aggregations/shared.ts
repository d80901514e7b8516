import type { NormalizedRecord } from '../normalize.js';

/** Estimated watch time per record; the origin has no real durations (spec §0). */
export const SECONDS_PER_VIDEO = 300;

export const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
export const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** `MMM yyyy` built from the month key itself (spec §3.2 batch rule, D2, D19). */
export function monthLabel(monthIndex: number): string {
  const year = Math.floor(monthIndex / 12);
  return `${MONTH_NAMES[monthIndex - year * 12]} ${String(year).padStart(4, '0')}`;
}

/** pctChange(c, p) of spec §3, unrounded. */
export function pctChange(current: number, previous: number): number {
  if (previous === 0) return current > 0 ? 100 : 0;
  return ((current - previous) / previous) * 100;
}

/** JS default string order (UTF-16 code units), never localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Number of distinct channels among some record lists, with one reusable stamp array. */
export function countDistinctChannels(channelCount: number, ...lists: ReadonlyArray<readonly NormalizedRecord[]>): number {
  const seen = new Uint8Array(channelCount);
  let distinct = 0;
  for (const list of lists) {
    for (const record of list) {
      if (seen[record.channel] === 0) {
        seen[record.channel] = 1;
        distinct++;
      }
    }
  }
  return distinct;
}

/**
 * Counts per local month, kept in month order. Records arrive sorted by instant, so months almost
 * always arrive in order; a DST fold across a month boundary is the one exception, handled in place.
 */
export class MonthCounts {
  readonly months: number[] = [];
  readonly counts: number[] = [];

  add(month: number): void {
    const last = this.months.length - 1;
    if (last >= 0 && this.months[last] === month) {
      this.counts[last]!++;
    } else if (last < 0 || this.months[last]! < month) {
      this.months.push(month);
      this.counts.push(1);
    } else {
      let i = last;
      while (i >= 0 && this.months[i]! > month) i--;
      if (i >= 0 && this.months[i] === month) this.counts[i]!++;
      else {
        this.months.splice(i + 1, 0, month);
        this.counts.splice(i + 1, 0, 1);
      }
    }
  }

  get size(): number {
    return this.months.length;
  }
}

export const TRENDS = ['up', 'down', 'stable'] as const;
export type Trend = (typeof TRENDS)[number];
