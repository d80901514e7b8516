import { describe, expect, it } from 'vitest';
import type { MonthlyCount } from '../../../src/core/aggregations/monthly-trend.js';
import type { InputRecord } from '../../../src/core/record.js';
import { compute, rec, type RunOptions } from '../support/records.js';

const trend = (records: readonly InputRecord[], options: RunOptions) => compute<MonthlyCount[]>('monthly_trend', records, options);
const row = (month: string, videos: number, uniqueChannels: number): MonthlyCount => ({ month, videos, watchTime: 300 * videos, uniqueChannels });

describe('monthly_trend (spec §3.2)', () => {
  const asOf = '2024-04-30T00:00:00.000Z';
  const records = [
    rec('m1', '2023-12-31T20:00:00.000Z', { channelTitle: 'A' }), // UTC Dec; Tokyo Jan 1 05:00; Chicago Dec 31 14:00
    rec('m2', '2024-01-10T00:00:00.000Z', { channelTitle: 'A' }),
    rec('m3', '2024-01-15T00:00:00.000Z', { channelTitle: 'B' }),
    rec('m4', '2024-01-31T23:59:59.999Z', { channelTitle: 'A' }), // Tokyo: Feb 1 08:59
    rec('m5', '2024-02-01T00:00:00.000Z', { channelTitle: 'A' }), // Chicago: Jan 31 18:00
    rec('m6', '2024-02-29T12:00:00.000Z'), // "Unknown Channel"
    rec('m7', '2024-04-01T00:00:00.000Z', { channelTitle: 'C' }), // Chicago: Mar 31 19:00 CDT
    rec('u', null, { channelTitle: 'D' }), // undated: no month
    rec('ad', '2024-03-15T00:00:00.000Z', { channelTitle: 'E', isAd: true }), // an ad does not make March exist
  ];

  it('buckets by local month in UTC, chronologically, without zero months', () => {
    expect(trend(records, { asOf })).toEqual([row('Dec 2023', 1, 1), row('Jan 2024', 3, 2), row('Feb 2024', 2, 2), row('Apr 2024', 1, 1)]);
  });

  it('buckets in the zone and labels from the key: Tokyo (east) and Chicago (west, no one-month shift)', () => {
    expect(trend(records, { asOf, timeZone: 'Asia/Tokyo' })).toEqual([row('Jan 2024', 3, 2), row('Feb 2024', 3, 2), row('Apr 2024', 1, 1)]);
    expect(trend(records, { asOf, timeZone: 'America/Chicago' })).toEqual([
      row('Dec 2023', 1, 1),
      row('Jan 2024', 4, 2),
      row('Feb 2024', 1, 1),
      row('Mar 2024', 1, 1),
    ]);
  });

  it('applies F-core: timeframe and product', () => {
    // MTD in UTC: [2024-04-01, 2024-04-30] → m7 only.
    expect(trend(records, { asOf, filters: { timeframe: 'MTD' } })).toEqual([row('Apr 2024', 1, 1)]);
    // YTD: from 2024-01-01.
    expect(trend(records, { asOf, filters: { timeframe: 'YTD' } })).toEqual([row('Jan 2024', 3, 2), row('Feb 2024', 2, 2), row('Apr 2024', 1, 1)]);
    expect(trend(records, { asOf, filters: { product: 'YouTube Music' } })).toEqual([]);
    expect(trend(records, { asOf, filters: { channels: ['A'] } })).toEqual([row('Dec 2023', 1, 1), row('Jan 2024', 2, 1), row('Feb 2024', 1, 1)]);
  });

  it('uses the offset in force at each instant around DST (Berlin, New York)', () => {
    const recs = [
      rec('b1', '2024-03-31T22:30:00.000Z'), // Apr 1 00:30 CEST (+2); a fixed +1 would say March
      rec('b2', '2024-03-31T21:59:59.999Z'), // Mar 31 23:59 CEST
      rec('b3', '2024-10-31T23:30:00.000Z'), // Nov 1 00:30 CET (+1)
      rec('b4', '2024-10-31T22:59:59.999Z'), // Oct 31 23:59 CET
    ];
    expect(trend(recs, { asOf, timeZone: 'Europe/Berlin' })).toEqual([row('Mar 2024', 1, 1), row('Apr 2024', 1, 1), row('Oct 2024', 1, 1), row('Nov 2024', 1, 1)]);
    // New York: 2024-04-01T03:59Z is Mar 31 23:59 EDT, 04:00Z is Apr 1 00:00 EDT; 2024-12-01T04:59Z is Nov 30 23:59 EST.
    const ny = [rec('n1', '2024-04-01T03:59:59.999Z'), rec('n2', '2024-04-01T04:00:00.000Z'), rec('n3', '2024-12-01T04:59:59.999Z'), rec('n4', '2024-12-01T05:00:00.000Z')];
    expect(trend(ny, { asOf, timeZone: 'America/New_York' })).toEqual([row('Mar 2024', 1, 1), row('Apr 2024', 1, 1), row('Nov 2024', 1, 1), row('Dec 2024', 1, 1)]);
  });

  it('is empty for no records and for undated records only', () => {
    expect(trend([], { asOf })).toEqual([]);
    expect(trend([rec('u', null)], { asOf })).toEqual([]);
  });

  it('handles a DST fold that steps back across a month boundary (St. John\'s, 2009-11-01 00:01 NDT → Oct 31 23:01 NST)', () => {
    const recs = [
      rec('f1', '2009-10-31T12:00:00.000Z', { channelTitle: 'A' }), // Oct 31 09:30 NDT
      rec('f2', '2009-11-01T02:30:30.000Z', { channelTitle: 'B' }), // Nov 1 00:00:30 NDT
      rec('f3', '2009-11-01T02:31:30.000Z', { channelTitle: 'A' }), // Oct 31 23:01:30 NST, after f2
      rec('f4', '2009-11-02T12:00:00.000Z', { channelTitle: 'C' }), // Nov 2 08:30 NST
    ];
    expect(trend(recs, { asOf: '2009-11-30T00:00:00.000Z', timeZone: 'America/St_Johns' })).toEqual([
      row('Oct 2009', 2, 1),
      row('Nov 2009', 2, 2),
    ]);
    expect(trend(recs, { asOf: '2009-11-30T00:00:00.000Z' })).toEqual([row('Oct 2009', 1, 1), row('Nov 2009', 3, 3)]);
  });

  it('builds the label from the key for every month', () => {
    const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const recs = names.map((_, i) => rec(`r${i}`, `2023-${String(i + 1).padStart(2, '0')}-15T00:00:00.000Z`));
    expect(trend(recs, { asOf: '2024-01-01T00:00:00.000Z' }).map((r) => r.month)).toEqual(names.map((n) => `${n} 2023`));
  });
});
