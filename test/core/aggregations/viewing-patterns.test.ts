import { describe, expect, it } from 'vitest';
import type { ViewingPatterns } from '../../../src/core/aggregations/viewing-patterns.js';
import type { InputRecord } from '../../../src/core/record.js';
import { compute, rec, type RunOptions } from '../support/records.js';

const patterns = (records: readonly InputRecord[], options: RunOptions) => compute<ViewingPatterns>('viewing_patterns', records, options);

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** The four full arrays, from sparse counts (hour → n, weekday → n, week → n, month 1-12 → n) and N. */
function expected(n: number, hours: Record<number, number>, days: Record<number, number>, weeks: Record<number, number>, months: Record<number, number>): ViewingPatterns {
  const pct = (c: number) => (c / n) * 100;
  return {
    hourlyDistribution: Array.from({ length: 24 }, (_, hour) => ({ hour, count: hours[hour] ?? 0, percentage: pct(hours[hour] ?? 0) })),
    dailyDistribution: DAYS.map((day, dayNum) => ({ day, dayNum, count: days[dayNum] ?? 0, percentage: pct(days[dayNum] ?? 0) })),
    weeklyDistribution: Array.from({ length: 6 }, (_, i) => ({ week: i + 1, count: weeks[i + 1] ?? 0, percentage: pct(weeks[i + 1] ?? 0) })),
    monthlyDistribution: MONTHS.map((month, i) => ({ month, monthNum: i + 1, count: months[i + 1] ?? 0, percentage: pct(months[i + 1] ?? 0) })),
  };
}

describe('viewing_patterns, variant A (spec §3.7)', () => {
  const asOf = '2024-12-31T00:00:00.000Z';
  const records = [
    rec('v1', '2024-02-29T15:00:00.000Z'), // Tokyo: Fri Mar 1 00:00 | UTC: Thu Feb 29 15:00
    rec('v2', '2024-02-29T14:59:59.999Z'), // Tokyo: Thu Feb 29 23:59 | UTC: Thu Feb 29 14:59
    rec('v3', '2024-03-29T03:00:00.000Z'), // Tokyo: Fri Mar 29 12:00 | UTC: Fri Mar 29 03:00
    rec('v4', '2024-03-22T03:00:00.000Z'), // Tokyo: Fri Mar 22 12:00 | UTC: Fri Mar 22 03:00
    rec('undated', null), // not in N
    rec('ad', '2024-03-22T03:00:00.000Z', { isAd: true }),
  ];

  it('distributes dated records by local hour, weekday, week of month (1-5, week 6 always 0) and month', () => {
    // Week of month = floor((day − 1) / 7) + 1: day 1 → 1, day 22 → 4, days 29 → 5.
    expect(patterns(records, { asOf, timeZone: 'Asia/Tokyo' })).toEqual(
      expected(4, { 0: 1, 12: 2, 23: 1 }, { 4: 1, 5: 3 }, { 1: 1, 4: 1, 5: 2 }, { 2: 1, 3: 3 }),
    );
    expect(patterns(records, { asOf })).toEqual(expected(4, { 3: 2, 14: 1, 15: 1 }, { 4: 2, 5: 2 }, { 4: 1, 5: 3 }, { 2: 2, 3: 2 }));
  });

  it('puts days 1-7, 8-14, 15-21, 22-28, 29-31 in weeks 1-5', () => {
    const days = [1, 7, 8, 14, 15, 21, 22, 28, 29, 31];
    const recs = days.map((d) => rec(`d${d}`, `2024-01-${String(d).padStart(2, '0')}T12:00:00.000Z`));
    const result = patterns(recs, { asOf });
    expect(result.weeklyDistribution).toEqual([1, 2, 3, 4, 5, 6].map((week) => ({ week, count: week === 6 ? 0 : 2, percentage: week === 6 ? 0 : 20 })));
    expect(result.monthlyDistribution[0]).toEqual({ month: 'Jan', monthNum: 1, count: 10, percentage: 100 });
  });

  it('gives unrounded percentages (1 of 3 = 33.33333333333333)', () => {
    const recs = [rec('a', '2024-01-01T00:00:00.000Z'), rec('b', '2024-01-01T01:00:00.000Z'), rec('c', '2024-01-01T02:00:00.000Z')];
    expect(patterns(recs, { asOf }).hourlyDistribution.slice(0, 3).map((h) => h.percentage)).toEqual([33.33333333333333, 33.33333333333333, 33.33333333333333]);
  });

  it('reads hours across a DST change in the zone (Berlin, 2024-10-27: 02:30 twice)', () => {
    const recs = [rec('a', '2024-10-27T00:30:00.000Z'), rec('b', '2024-10-27T01:30:00.000Z'), rec('c', '2024-03-31T01:00:00.000Z')];
    // a, b: Sun Oct 27 02:30 (CEST, then CET), week 4; c: Sun Mar 31 03:00 CEST, week 5.
    expect(patterns(recs, { asOf, timeZone: 'Europe/Berlin' })).toEqual(expected(3, { 2: 2, 3: 1 }, { 0: 3 }, { 4: 2, 5: 1 }, { 3: 1, 10: 2 }));
  });

  it('applies F-core first and is four empty arrays when nothing dated remains', () => {
    const empty = { hourlyDistribution: [], dailyDistribution: [], weeklyDistribution: [], monthlyDistribution: [] };
    expect(patterns([], { asOf })).toEqual(empty);
    expect(patterns([rec('u', null)], { asOf })).toEqual(empty);
    expect(patterns(records, { asOf, filters: { product: 'YouTube Music' } })).toEqual(empty);
    // MTD at 2024-12-31: nothing in December.
    expect(patterns(records, { asOf, filters: { timeframe: 'MTD' } })).toEqual(empty);
    // asOf 2024-03-29T03:00Z, MTD from 2024-03-01: v3, v4.
    expect(patterns(records, { asOf: '2024-03-29T03:00:00.000Z', filters: { timeframe: 'MTD' } })).toEqual(
      expected(2, { 3: 2 }, { 5: 2 }, { 4: 1, 5: 1 }, { 3: 2 }),
    );
  });
});
