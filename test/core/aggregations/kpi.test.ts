import { describe, expect, it } from 'vitest';
import type { KpiMetrics } from '../../../src/core/aggregations/kpi.js';
import { compute, rec, type RunOptions } from '../support/records.js';
import type { InputRecord } from '../../../src/core/record.js';

const kpi = (records: readonly InputRecord[], options: RunOptions) => compute<KpiMetrics>('kpi', records, options);

describe('kpi (spec §3.1)', () => {
  // asOf 2024-05-15T12:00Z, UTC. Periods: MTD from 2024-05-01, QTD from 2024-04-01, YTD from 2024-01-01.
  // ly = addMonths(asOf, −12) = 2023-05-15T12:00Z = lyEnd; last-year starts 2023-05-01, 2023-04-01, 2023-01-01.
  const asOf = '2024-05-15T12:00:00.000Z';
  const records = [
    rec('a', '2024-05-15T12:00:00.000Z', { channelTitle: 'A' }), // = asOf: MTD, QTD, YTD
    rec('b', '2024-05-01T00:00:00.000Z', { channelTitle: 'A', product: 'YouTube Music' }), // MTD start
    rec('c', '2024-04-30T23:59:59.999Z', { channelTitle: 'B' }), // QTD, YTD
    rec('d', '2024-03-31T23:59:59.999Z', { channelTitle: 'B' }), // YTD
    rec('e', '2024-01-01T00:00:00.000Z', { channelTitle: 'C', product: 'YouTube Music', topics: ['Rare'] }), // YTD start
    rec('f', '2023-12-31T23:59:59.999Z', { channelTitle: 'C' }), // no current period
    rec('g', '2024-05-15T12:00:00.001Z', { channelTitle: 'D' }), // after asOf: in no period, but in All
    rec('h', null, { channelTitle: 'E' }), // undated: counted in All totals only
    rec('i', '2024-05-10T00:00:00.000Z', { channelTitle: 'F', isAd: true }), // ad: nowhere
    rec('j', '2023-05-15T12:00:00.000Z'), // = lyEnd; no channel → "Unknown Channel"
    rec('k', '2023-05-15T12:00:00.001Z', { channelTitle: 'A' }), // just after lyEnd: in no ly window
    rec('l', '2023-05-01T00:00:00.000Z', { channelTitle: 'A', product: 'YouTube Music' }),
    rec('o', '2023-05-10T00:00:00.000Z', { channelTitle: 'A', product: 'YouTube Music' }),
    rec('m', '2023-04-15T00:00:00.000Z', { channelTitle: 'A' }),
    rec('n', '2023-02-01T00:00:00.000Z', { channelTitle: 'A', product: 'YouTube Music' }),
    rec('q', '2022-12-31T23:59:59.999Z', { channelTitle: 'A' }),
  ];

  it('counts everything for All, and periods over dated records in [start, asOf]', () => {
    // 15 non-ad records; channels A, B, C, D, E and "Unknown Channel".
    // mtd {a,b}=2, qtd {a,b,c}=3, ytd {a,b,c,d,e}=5; last year mtd {j,l,o}=3, qtd +m=4, ytd +n=5.
    expect(kpi(records, { asOf })).toEqual({
      totalVideos: 15,
      uniqueChannels: 6,
      totalWatchTime: 4500,
      mtdVideos: 2,
      qtdVideos: 3,
      ytdVideos: 5,
      mtdYoyDelta: -33.33333333333333, // ((2 − 3) / 3) × 100
      qtdYoyDelta: -25, // ((3 − 4) / 4) × 100
      ytdYoyDelta: 0,
    });
  });

  it('applies the timeframe to totals only; period counts ignore it ((fix) D′)', () => {
    const periods = { mtdVideos: 2, qtdVideos: 3, ytdVideos: 5, mtdYoyDelta: -33.33333333333333, qtdYoyDelta: -25, ytdYoyDelta: 0 };
    expect(kpi(records, { asOf, filters: { timeframe: 'MTD' } })).toEqual({ totalVideos: 2, uniqueChannels: 1, totalWatchTime: 600, ...periods });
    expect(kpi(records, { asOf, filters: { timeframe: 'YTD' } })).toEqual({ totalVideos: 5, uniqueChannels: 3, totalWatchTime: 1500, ...periods });
    // Last12M = [2023-05-15T12:00Z, asOf] = {a,b,c,d,e,f,j,k}: channels A, B, C, Unknown.
    expect(kpi(records, { asOf, filters: { timeframe: 'Last12M' } })).toMatchObject({ totalVideos: 8, uniqueChannels: 4, ...periods });
  });

  it('applies product, topic and channel filters to the period counts ((fix) D′)', () => {
    // Music: b, e, l, o, n. mtd {b}=1, qtd {b}=1, ytd {b,e}=2; ly mtd {l,o}=2, qtd 2, ytd {l,o,n}=3.
    expect(kpi(records, { asOf, filters: { product: 'YouTube Music' } })).toEqual({
      totalVideos: 5,
      uniqueChannels: 2,
      totalWatchTime: 1500,
      mtdVideos: 1,
      qtdVideos: 1,
      ytdVideos: 2,
      mtdYoyDelta: -50,
      qtdYoyDelta: -50,
      ytdYoyDelta: -33.33333333333333,
    });
    // Channel B: c, d. No record last year: pctChange(c, 0) is 100 when c > 0 and 0 when c = 0.
    expect(kpi(records, { asOf, filters: { channels: ['B'] } })).toEqual({
      totalVideos: 2,
      uniqueChannels: 1,
      totalWatchTime: 600,
      mtdVideos: 0,
      qtdVideos: 1,
      ytdVideos: 2,
      mtdYoyDelta: 0,
      qtdYoyDelta: 100,
      ytdYoyDelta: 100,
    });
    expect(kpi(records, { asOf, filters: { topics: ['Rare'] } })).toEqual({
      totalVideos: 1,
      uniqueChannels: 1,
      totalWatchTime: 300,
      mtdVideos: 0,
      qtdVideos: 0,
      ytdVideos: 1,
      mtdYoyDelta: 0,
      qtdYoyDelta: 0,
      ytdYoyDelta: 100,
    });
  });

  it('is all zeros for no records, only ads, or a filter that matches nothing', () => {
    const zero = { totalVideos: 0, uniqueChannels: 0, totalWatchTime: 0, mtdVideos: 0, qtdVideos: 0, ytdVideos: 0, mtdYoyDelta: 0, qtdYoyDelta: 0, ytdYoyDelta: 0 };
    expect(kpi([], { asOf })).toEqual(zero);
    expect(kpi([rec('ad', asOf, { isAd: true })], { asOf })).toEqual(zero);
    expect(kpi(records, { asOf, filters: { channels: ['Nobody'] } })).toEqual(zero);
  });

  it('counts undated records in All totals only, each channel once', () => {
    expect(kpi([rec('u1', null), rec('u2', null, { channelTitle: 'X' })], { asOf })).toEqual({
      totalVideos: 2, uniqueChannels: 2, totalWatchTime: 600, mtdVideos: 0, qtdVideos: 0, ytdVideos: 0, mtdYoyDelta: 0, qtdYoyDelta: 0, ytdYoyDelta: 0,
    });
  });

  it('lyEnd = ly on a leap day: 2024-02-29 → 2023-02-28 at the same time, not Mar 1 (D18)', () => {
    const leap = '2024-02-29T12:00:00.000Z';
    const recs = [
      rec('x1', '2024-02-29T12:00:00.000Z'),
      rec('x2', '2024-02-01T00:00:00.000Z'),
      rec('x3', '2024-01-15T00:00:00.000Z'),
      rec('y1', '2023-02-28T12:00:00.000Z'), // = lyEnd
      rec('y2', '2023-02-28T12:00:00.001Z'),
      rec('y3', '2023-03-01T00:00:00.000Z'), // the origin's Mar 1 lyEnd would count it
      rec('y4', '2023-01-31T00:00:00.000Z'),
    ];
    // mtd {x1,x2}=2, qtd=ytd {x1,x2,x3}=3; ly mtd {y1}=1, qtd=ytd {y1,y4}=2.
    expect(kpi(recs, { asOf: leap })).toMatchObject({
      mtdVideos: 2, qtdVideos: 3, ytdVideos: 3, mtdYoyDelta: 100, qtdYoyDelta: 50, ytdYoyDelta: 50,
    });
  });

  it('evaluates periods in the zone: Tokyo (east), Chicago (west)', () => {
    // asOf 2024-03-31T15:30Z = 2024-04-01 00:30 JST = 2024-03-31 10:30 CDT.
    const at = '2024-03-31T15:30:00.000Z';
    const recs = [
      rec('t1', '2024-03-31T15:00:00.000Z'), // Apr 1 00:00 JST
      rec('t2', '2024-03-31T14:59:59.999Z'), // Mar 31 23:59 JST
      rec('t3', '2023-03-31T15:10:00.000Z'), // Apr 1 00:10 JST (ly = 2023-04-01 00:30 JST)
      rec('t4', '2023-03-31T14:00:00.000Z'), // Mar 31 23:00 JST
      rec('t5', '2023-12-31T15:00:00.000Z'), // Jan 1 00:00 JST; Dec 31 09:00 CST
    ];
    // Tokyo: MTD=QTD from 2024-03-31T15:00Z → {t1}; YTD from 2023-12-31T15:00Z → {t1,t2,t5}.
    // ly windows: month=quarter from 2023-03-31T15:00Z → {t3}; year from 2022-12-31T15:00Z → {t3,t4}.
    expect(kpi(recs, { asOf: at, timeZone: 'Asia/Tokyo' })).toMatchObject({
      mtdVideos: 1, qtdVideos: 1, ytdVideos: 3, mtdYoyDelta: 0, qtdYoyDelta: 0, ytdYoyDelta: 50,
    });
    // Chicago: MTD from 2024-03-01T06:00Z → {t1,t2}; QTD=YTD from 2024-01-01T06:00Z → {t1,t2}.
    // ly = 2023-03-31 10:30 CDT = 15:30Z; month from 2023-03-01T06:00Z → {t3,t4}; year from 2023-01-01T06:00Z → {t3,t4}.
    expect(kpi(recs, { asOf: at, timeZone: 'America/Chicago' })).toMatchObject({
      mtdVideos: 2, qtdVideos: 2, ytdVideos: 2, mtdYoyDelta: 0, qtdYoyDelta: 0, ytdYoyDelta: 0,
    });
  });
});
