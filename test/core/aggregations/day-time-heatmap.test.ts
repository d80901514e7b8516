import { describe, expect, it } from 'vitest';
import type { DayHourCell } from '../../../src/core/aggregations/day-time-heatmap.js';
import type { InputRecord } from '../../../src/core/record.js';
import { compute, rec, type RunOptions } from '../support/records.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The 168 cells with the given non-zero values, e.g. { 'Sun 0': 2 }. */
function cells(values: Record<string, number>): DayHourCell[] {
  const out: DayHourCell[] = [];
  for (const day of DAYS) {
    for (let hour = 0; hour < 24; hour++) out.push({ day: day as DayHourCell['day'], hour, value: values[`${day} ${hour}`] ?? 0 });
  }
  return out;
}

const heatmap = (records: readonly InputRecord[], options: RunOptions) => compute<DayHourCell[]>('day_time_heatmap', records, options);

describe('day_time_heatmap (spec §3.4)', () => {
  const asOf = '2024-12-31T00:00:00.000Z';

  it('has 168 zero cells, Sun..Sat × 0..23, for no dated records', () => {
    expect(heatmap([], { asOf })).toEqual(cells({}));
    expect(heatmap([rec('u', null), rec('ad', asOf, { isAd: true })], { asOf })).toEqual(cells({}));
  });

  it('counts by weekday and hour in the zone: UTC, Tokyo, Chicago, Kolkata', () => {
    const recs = [
      rec('a', '2024-01-07T00:00:00.000Z'), // Sunday 00:00 UTC
      rec('b', '2024-01-06T23:59:59.999Z'), // Saturday 23:59 UTC
      rec('c', '2024-01-06T18:30:00.000Z'), // Saturday 18:30 UTC
      rec('u', null),
    ];
    expect(heatmap(recs, { asOf })).toEqual(cells({ 'Sun 0': 1, 'Sat 23': 1, 'Sat 18': 1 }));
    // Tokyo (+9): Sun 09:00, Sun 08:59, Sun 03:30.
    expect(heatmap(recs, { asOf, timeZone: 'Asia/Tokyo' })).toEqual(cells({ 'Sun 9': 1, 'Sun 8': 1, 'Sun 3': 1 }));
    // Chicago (−6 in January): Sat 18:00, Sat 17:59, Sat 12:30.
    expect(heatmap(recs, { asOf, timeZone: 'America/Chicago' })).toEqual(cells({ 'Sat 18': 1, 'Sat 17': 1, 'Sat 12': 1 }));
    // Kolkata (+5:30): Sun 05:30, Sun 05:29, Sun 00:00.
    expect(heatmap(recs, { asOf, timeZone: 'Asia/Kolkata' })).toEqual(cells({ 'Sun 5': 2, 'Sun 0': 1 }));
  });

  it('follows DST: New York skips 02:00 on 2024-03-10 and repeats 01:00 on 2024-11-03 (both Sundays)', () => {
    const recs = [
      rec('s1', '2024-03-10T06:59:59.999Z'), // 01:59 EST
      rec('s2', '2024-03-10T07:00:00.000Z'), // 03:00 EDT
      rec('f0', '2024-11-03T04:59:00.000Z'), // 00:59 EDT
      rec('f1', '2024-11-03T05:30:00.000Z'), // 01:30 EDT
      rec('f2', '2024-11-03T06:30:00.000Z'), // 01:30 EST
      rec('f3', '2024-11-03T07:00:00.000Z'), // 02:00 EST
    ];
    expect(heatmap(recs, { asOf, timeZone: 'America/New_York' })).toEqual(cells({ 'Sun 1': 3, 'Sun 3': 1, 'Sun 0': 1, 'Sun 2': 1 }));
    // Berlin: 2024-03-31 01:59 CET then 03:00 CEST; 2024-10-27 02:30 CEST then 02:30 CET.
    const berlin = [
      rec('b1', '2024-03-31T00:59:00.000Z'),
      rec('b2', '2024-03-31T01:00:00.000Z'),
      rec('b3', '2024-10-27T00:30:00.000Z'),
      rec('b4', '2024-10-27T01:30:00.000Z'),
    ];
    expect(heatmap(berlin, { asOf, timeZone: 'Europe/Berlin' })).toEqual(cells({ 'Sun 1': 1, 'Sun 3': 1, 'Sun 2': 2 }));
    // St. John's 2009-11-01 (a Sunday): 00:00:30 NDT, then 23:01:30 NST on Saturday Oct 31.
    const stJohns = [rec('j1', '2009-11-01T02:30:30.000Z'), rec('j2', '2009-11-01T02:31:30.000Z')];
    expect(heatmap(stJohns, { asOf, timeZone: 'America/St_Johns' })).toEqual(cells({ 'Sun 0': 1, 'Sat 23': 1 }));
  });

  it('applies F-core (timeframe drops undated and future records; product filter)', () => {
    const recs = [
      rec('a', '2024-12-30T10:00:00.000Z', { product: 'YouTube Music' }), // Monday
      rec('b', '2024-12-31T00:00:00.001Z'), // after asOf (Tuesday)
      rec('c', null),
    ];
    expect(heatmap(recs, { asOf, filters: { timeframe: 'MTD' } })).toEqual(cells({ 'Mon 10': 1 }));
    expect(heatmap(recs, { asOf })).toEqual(cells({ 'Mon 10': 1, 'Tue 0': 1 }));
    expect(heatmap(recs, { asOf, filters: { product: 'YouTube' } })).toEqual(cells({ 'Tue 0': 1 }));
  });
});
