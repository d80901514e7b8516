import { describe, expect, it } from 'vitest';
import type { EnhancedChannelMetrics } from '../../../src/core/aggregations/enhanced-channel-metrics.js';
import type { InputRecord } from '../../../src/core/record.js';
import { Random } from '../../../fixtures/random.js';
import { DAY, compute, many, rec, shuffle, type RunOptions } from '../support/records.js';

const metrics = (records: readonly InputRecord[], options: RunOptions) =>
  compute<EnhancedChannelMetrics[]>('enhanced_channel_metrics', records, options);

interface Expected {
  channelTitle: string;
  channelUrl?: string;
  videoCount: number;
  averageVideosPerMonth: number;
  firstWatched: string;
  lastWatched: string;
  loyaltyScore: number;
  topicsSpread: string[];
  peakHour: number;
  peakDay: number;
  consistencyScore: number;
  isNew: boolean;
  retentionRate: number;
}

function row(e: Expected): EnhancedChannelMetrics {
  return {
    channelTitle: e.channelTitle,
    ...(e.channelUrl === undefined ? {} : { channelUrl: e.channelUrl }),
    videoCount: e.videoCount,
    totalWatchTime: 300 * e.videoCount,
    averageVideosPerMonth: e.averageVideosPerMonth,
    firstWatched: e.firstWatched,
    lastWatched: e.lastWatched,
    loyaltyScore: e.loyaltyScore,
    topicsSpread: e.topicsSpread,
    viewingPattern: { peakHour: e.peakHour, peakDay: e.peakDay, consistencyScore: e.consistencyScore },
    discoveryMetrics: { isNew: e.isNew, retentionRate: e.retentionRate, sessionFrequency: 0 },
    relatedChannels: [],
  };
}

describe('enhanced_channel_metrics (spec §3.8)', () => {
  // asOf 2024-06-15T12:00Z (UTC). now − 30 calendar days = 2024-05-16T12:00Z.
  const asOf = '2024-06-15T12:00:00.000Z';
  const records = [
    rec('a1', '2024-01-10T08:00:00.000Z', { channelTitle: 'Alpha', channelUrl: 'https://www.youtube.com/channel/UCalpha', topics: ['Music'] }), // Wed
    rec('a2', '2024-01-20T08:00:00.000Z', { channelTitle: 'Alpha', channelUrl: 'https://example.com/other', topics: ['Gaming', 'Music'] }), // Sat
    rec('a3', '2024-03-05T20:00:00.000Z', { channelTitle: 'Alpha', topics: ['Art'] }), // Tue
    rec('a4', '2024-06-10T08:00:00.000Z', { channelTitle: 'Alpha', topics: ['Gaming'] }), // Mon
    rec('a-undated', null, { channelTitle: 'Alpha', topics: ['Undated'] }), // F-strict: dropped even for All
    rec('a-ad', '2024-06-11T00:00:00.000Z', { channelTitle: 'Alpha', topics: ['Ad'], isAd: true }),
    rec('b1', '2024-06-14T00:30:00.000Z', { channelTitle: 'Beta', topics: ['News'] }), // Fri, no URL on the first record
    rec('b2', '2024-06-15T00:10:00.000Z', { channelTitle: 'Beta', channelUrl: 'https://www.youtube.com/channel/UCbeta' }), // Sat
    rec('b3', '2024-06-15T12:00:00.000Z', { channelTitle: 'Beta' }), // Sat, = asOf
    rec('g1', '2024-05-20T23:00:00.000Z', { channelTitle: 'Gamma', topics: ['Tech'] }), // Mon
    rec('g2', '2024-05-21T23:30:00.000Z', { channelTitle: 'Gamma', topics: ['Tech'] }), // Tue
    rec('g3', '2024-05-25T04:00:00.000Z', { channelTitle: 'Gamma', topics: ['Tech'] }), // Sat
    rec('g4', '2024-05-26T04:15:00.000Z', { channelTitle: 'Gamma', topics: ['Tech'] }), // Sun
    rec('z1', '2024-06-07T12:00:00.001Z', { channelTitle: 'Zeta' }), // Fri
    rec('e1', '2024-06-08T12:00:00.000Z', { channelTitle: 'Eta' }), // Sat
    rec('l1', '2024-06-07T12:00:00.000Z', { channelTitle: 'alpha' }), // Fri
  ];

  const alpha = row({
    // No channelUrl (v2): the newest record, a4, has none; the older a1/a2 URLs do not count.
    channelTitle: 'Alpha',
    videoCount: 4,
    // M = fullMonths(Jun 15 12:00, Jan 10 08:00) = 5 → 4/5.
    averageVideosPerMonth: 0.8,
    firstWatched: '2024-01-10T08:00:00.000Z',
    lastWatched: '2024-06-10T08:00:00.000Z',
    // consistency: a = 3 months (Jan 2, Mar 1, Jun 1), avg 4/3, var 2/9, var/avg = 1/6:
    //   round(3/5·80 + max(0, 20 − 10/6)) = round(48 + 18.33) = 66. frequency min(8, 50) = 8.
    //   recency: fullDays(Jun 15 12:00, Jun 10 08:00) = 5 → 100. loyalty round((66 + 8 + 100)/3) = 58.
    loyaltyScore: 58,
    topicsSpread: ['Gaming', 'Art', 'Music'], // first-seen newest first: a4 Gaming, a3 Art, a2 (Gaming) Music
    peakHour: 8, // 08:00 ×3, 20:00 ×1
    peakDay: 1, // Wed, Sat, Tue, Mon once each: the smallest weekday (Mon), not the first seen (Wed)
    consistencyScore: 66,
    isNew: false,
    retentionRate: 0.25, // only a4 is after May 16 12:00
  });
  const gamma = row({
    channelTitle: 'Gamma',
    videoCount: 4,
    // M = fullMonths(Jun 15 12:00, May 20 23:00) = 1 − 1 = 0 → consistency 100, average = n = 4, frequency 40.
    averageVideosPerMonth: 4,
    firstWatched: '2024-05-20T23:00:00.000Z',
    lastWatched: '2024-05-26T04:15:00.000Z',
    // recency: fullDays(Jun 15 12:00, May 26 04:15) = 20 → 80. round((100 + 40 + 80)/3) = round(73.33) = 73.
    loyaltyScore: 73,
    topicsSpread: ['Tech'],
    peakHour: 4, // 23:00 ×2 (seen first), 04:00 ×2 → the smallest hour
    peakDay: 0, // Mon, Tue, Sat, Sun once each → Sunday
    consistencyScore: 100,
    isNew: true,
    retentionRate: 1,
  });
  const beta = row({
    channelTitle: 'Beta', // no channelUrl: the newest record, b3, has none (b2's URL is older)
    videoCount: 3,
    averageVideosPerMonth: 3, // M = 0
    firstWatched: '2024-06-14T00:30:00.000Z',
    lastWatched: '2024-06-15T12:00:00.000Z',
    // consistency 100, frequency min(30, 50) = 30, recency 100 (dd = 0): round(230/3) = round(76.67) = 77.
    loyaltyScore: 77,
    topicsSpread: ['Other', 'News'], // newest first: b3, b2 have no topics (derived from "Beta" → Other), then b1 News
    peakHour: 0, // 00:30, 00:10, 12:00 → hour 0, reported as 0 ((fix) D5), not 12
    peakDay: 6, // Fri 1, Sat 2
    consistencyScore: 100,
    isNew: true,
    retentionRate: 1,
  });
  const single = (channelTitle: string, at: string, peakDay: number, loyaltyScore: number) =>
    row({
      channelTitle,
      videoCount: 1,
      averageVideosPerMonth: 1,
      firstWatched: at,
      lastWatched: at,
      loyaltyScore,
      topicsSpread: ['Other'],
      peakHour: 12,
      peakDay,
      consistencyScore: 100,
      isNew: true,
      retentionRate: 1,
    });
  // Eta: dd = 7 → recency 100 → round((100 + 10 + 100)/3) = 70. Zeta: 8 days minus 1 ms → dd = 7 → 70.
  // alpha: exactly 8 days → recency 80 → round(190/3) = 63.
  const eta = single('Eta', '2024-06-08T12:00:00.000Z', 6, 70);
  const zeta = single('Zeta', '2024-06-07T12:00:00.001Z', 5, 70);
  const lowerAlpha = single('alpha', '2024-06-07T12:00:00.000Z', 5, 63);

  it('scores each channel and orders by videoCount, then title in UTF-16 order', () => {
    expect(metrics(records, { asOf })).toEqual([alpha, gamma, beta, eta, zeta, lowerAlpha]);
  });

  it('is the same for any input order', () => {
    const random = new Random('ecm-order');
    for (let i = 0; i < 10; i++) expect(metrics(shuffle(records, random), { asOf })).toEqual([alpha, gamma, beta, eta, zeta, lowerAlpha]);
  });

  it('maps recency bands 7/30/90/180/365 days (inclusive) through the loyalty score', () => {
    // One record per channel, k calendar days before asOf at the same time of day.
    // k: M, consistency, average, frequency, recency → loyalty
    const table: [number, number, number][] = [
      [0, 1, 70], //    0, 100, 1,    10,   100 → 70
      [7, 1, 70], //    0, 100, 1,    10,   100 → 70
      [8, 1, 63], //    0, 100, 1,    10,    80 → 63.33
      [30, 1, 63], //   0 (May 16 → Jun 15: day 15 < 16), 100, 1, 10, 80 → 63
      [31, 1, 57], //   1, 100, 1/1,  10,    60 → 56.67
      [90, 0.5, 42], // 2 (Mar 17), 1/2·80 + 20 = 60, 0.5, 5, 60 → 41.67
      [91, 0.5, 35], // 2 (Mar 16), 60, 0.5, 5, 40 → 35
      [180, 0.2, 26], // 5 (2023-12-18), 1/5·80 + 20 = 36, 0.2, 2, 40 → 26
      [181, 0.2, 19], // 5 (2023-12-17), 36, 0.2, 2, 20 → 19.33
      [365, 1 / 11, 16], // 11 (2023-06-16), round(7.27 + 20) = 27, 1/11, 0.909, 20 → 15.97
      [366, 1 / 12, 13], // 12 (2023-06-15), round(6.67 + 20) = 27, 1/12, 0.833, 10 → 12.61
    ];
    const now = Date.parse(asOf);
    const recs = table.map(([k]) => rec(`k${k}`, now - k * DAY, { channelTitle: `k${String(k).padStart(3, '0')}` }));
    const result = metrics(recs, { asOf });
    expect(result.map((m) => [m.channelTitle, m.averageVideosPerMonth, m.loyaltyScore])).toEqual(
      table.map(([k, average, loyalty]) => [`k${String(k).padStart(3, '0')}`, average, loyalty]),
    );
  });

  it('caps consistency at 100 when a/M > 1, floors the variance term at 0, caps frequency at 50 (loyalty ≤ 83)', () => {
    const recs = [
      // Over: Apr 10, May 10, Jun 10 → M = 2, a = 3: 1.5·80 + 20 = 140 → 100. average 1.5 → 15; recency 100 → round(215/3) = 72.
      rec('o1', '2024-04-10T12:00:00.000Z', { channelTitle: 'Over' }),
      rec('o2', '2024-05-10T12:00:00.000Z', { channelTitle: 'Over' }),
      rec('o3', '2024-06-10T12:00:00.000Z', { channelTitle: 'Over' }),
      // Var: 1 record in March, 9 in May → M = fullMonths(Jun 15, Mar 1) = 3, a = 2, avg 5, var 16, 20 − 32 < 0 → 0:
      //   round(2/3·80) = 53; average 10/3 → frequency 33.33; last May 10 00:08 → dd 36 → 60; round(146.33/3) = 49.
      rec('v0', '2024-03-01T00:00:00.000Z', { channelTitle: 'Var' }),
      ...many('v', 9, '2024-05-10T00:00:00.000Z', { channelTitle: 'Var' }),
      // Many: 6 records this month → M = 0, average 6 → frequency min(60, 50) = 50; round((100 + 50 + 100)/3) = 83.
      ...many('m', 6, '2024-06-15T06:00:00.000Z', { channelTitle: 'Many' }),
    ];
    const result = metrics(recs, { asOf });
    expect(result.map((m) => [m.channelTitle, m.viewingPattern.consistencyScore, m.averageVideosPerMonth, m.loyaltyScore])).toEqual([
      ['Var', 53, 10 / 3, 49],
      ['Many', 100, 6, 83],
      ['Over', 100, 1.5, 72],
    ]);
  });

  it('uses the population variance of the monthly counts', () => {
    // Months Mar 4, Apr 1, Jun 1; M = fullMonths(Jun 15 12:00, Mar 10 12:00) = 3; avg 2, population var (4 + 1 + 1)/3 = 2:
    //   round(3/3·80 + (20 − 2/2·10)) = 90 (a sample variance, 3, would give 85). average 6/3 = 2 → 20; recency 100 → 70.
    const recs = [
      ...many('s', 4, '2024-03-10T12:00:00.000Z', { channelTitle: 'Spread' }),
      rec('s4', '2024-04-10T12:00:00.000Z', { channelTitle: 'Spread' }),
      rec('s5', '2024-06-10T12:00:00.000Z', { channelTitle: 'Spread' }),
    ];
    expect(metrics(recs, { asOf })[0]).toMatchObject({ averageVideosPerMonth: 2, loyaltyScore: 70, viewingPattern: { consistencyScore: 90 } });
  });

  it('treats records after asOf per D17: M ≤ 0 gives consistency 100, average n, recency 100', () => {
    // fullMonths(Jun 15 12:00, Aug 20 12:00) = −2; fullDays = −66 ≤ 7.
    expect(metrics([rec('f', '2024-08-20T12:00:00.000Z', { channelTitle: 'Future' })], { asOf })).toEqual([
      row({
        channelTitle: 'Future', videoCount: 1, averageVideosPerMonth: 1, firstWatched: '2024-08-20T12:00:00.000Z',
        lastWatched: '2024-08-20T12:00:00.000Z', loyaltyScore: 70, topicsSpread: ['Other'], peakHour: 12, peakDay: 2,
        consistencyScore: 100, isNew: true, retentionRate: 1,
      }),
    ]);
  });

  it('uses a strict 30-calendar-day cutoff for isNew and retentionRate', () => {
    const cutoff = Date.parse('2024-05-16T12:00:00.000Z');
    const recs = [
      rec('x1', cutoff, { channelTitle: 'AtCutoff' }),
      rec('x2', asOf, { channelTitle: 'AtCutoff' }),
      rec('y1', cutoff + 1, { channelTitle: 'AfterCutoff' }),
      rec('y2', asOf, { channelTitle: 'AfterCutoff' }),
    ];
    expect(metrics(recs, { asOf }).map((m) => [m.channelTitle, m.discoveryMetrics.isNew, m.discoveryMetrics.retentionRate])).toEqual([
      ['AfterCutoff', true, 1],
      ['AtCutoff', false, 0.5],
    ]);
    // New York: asOf 2024-03-25 12:00 EDT (16:00Z) − 30 calendar days = 2024-02-24 12:00 EST = 17:00Z
    // (30 × 24 h would give 16:00Z). A first watch at 16:30Z is therefore not new.
    const ny = [rec('n1', '2024-02-24T16:30:00.000Z', { channelTitle: 'Edge' }), rec('n2', '2024-03-20T12:00:00.000Z', { channelTitle: 'Edge' })];
    expect(metrics(ny, { asOf: '2024-03-25T16:00:00.000Z', timeZone: 'America/New_York' })[0]!.discoveryMetrics).toEqual({
      isNew: false,
      retentionRate: 0.5,
      sessionFrequency: 0,
    });
  });

  it('reads hours, weekdays and months in the zone (Chicago, Kolkata)', () => {
    const recs = [
      rec('c1', '2024-01-15T12:00:00.000Z', { channelTitle: 'Zoned' }), // UTC Mon 12:00 | Chicago Mon 06:00
      rec('c2', '2024-02-01T03:00:00.000Z', { channelTitle: 'Zoned' }), // UTC Thu Feb 1 03:00 | Chicago Wed Jan 31 21:00
    ];
    // UTC: M = 5, a = 2 → 2/5·80 + 20 = 52; average 0.4 → 4; dd(Jun 15 12:00, Feb 1 03:00) = 135 → 40 → round(96/3) = 32.
    expect(metrics(recs, { asOf })[0]).toMatchObject({ loyaltyScore: 32, viewingPattern: { peakHour: 3, peakDay: 1, consistencyScore: 52 } });
    // Chicago: both in January → a = 1 → 16 + 20 = 36; M = 5; dd(Jun 15 07:00, Jan 31 21:00) = 135 → 40 → round(80/3) = 27.
    expect(metrics(recs, { asOf, timeZone: 'America/Chicago' })[0]).toMatchObject({
      loyaltyScore: 27,
      viewingPattern: { peakHour: 6, peakDay: 1, consistencyScore: 36 },
    });
    // Kolkata: 2024-06-10T18:30Z is Tue Jun 11 00:00 IST → peak hour 0, Tuesday.
    expect(metrics([rec('k', '2024-06-10T18:30:00.000Z', { channelTitle: 'K' })], { asOf, timeZone: 'Asia/Kolkata' })[0]!.viewingPattern).toEqual({
      peakHour: 0,
      peakDay: 2,
      consistencyScore: 100,
    });
  });

  it('applies F-core then drops undated records (F-strict); "Unknown Channel" is a channel (D22)', () => {
    // MTD = [2024-06-01, asOf]: Alpha keeps a4 only, whose record has no URL.
    const mtd = metrics(records, { asOf, filters: { timeframe: 'MTD' } });
    expect(mtd.map((m) => m.channelTitle)).toEqual(['Beta', 'Alpha', 'Eta', 'Zeta', 'alpha']);
    expect(mtd[1]).toEqual(
      row({
        channelTitle: 'Alpha', videoCount: 1, averageVideosPerMonth: 1, firstWatched: '2024-06-10T08:00:00.000Z',
        lastWatched: '2024-06-10T08:00:00.000Z', loyaltyScore: 70, topicsSpread: ['Gaming'], peakHour: 8, peakDay: 1,
        consistencyScore: 100, isNew: true, retentionRate: 1,
      }),
    );
    expect(metrics(records, { asOf, filters: { channels: ['Gamma'] } })).toEqual([gamma]);
    expect(metrics(records, { asOf, filters: { topics: ['Art'] } }).map((m) => [m.channelTitle, m.videoCount, m.topicsSpread])).toEqual([
      ['Alpha', 1, ['Art']],
    ]);
    expect(metrics([rec('u', '2024-06-01T00:00:00.000Z'), rec('v', null)], { asOf }).map((m) => m.channelTitle)).toEqual(['Unknown Channel']);
  });

  describe('input order is newest first (version 2 batch rule)', () => {
    const url = (name: string) => `https://www.youtube.com/@${name}`;

    it('takes channelUrl from the newest record: instant descending, ties by id ascending', () => {
      const recs = [
        rec('m1', '2024-03-01T10:00:00.000Z', { channelTitle: 'Many', channelUrl: url('march'), topics: ['X'] }),
        rec('m2', '2024-05-01T10:00:00.000Z', { channelTitle: 'Many', channelUrl: url('may'), topics: ['Y'] }),
        rec('m3', '2024-04-01T10:00:00.000Z', { channelTitle: 'Many', channelUrl: url('april'), topics: ['X'] }),
        // The newest has no URL: omitted, although every older record has one.
        rec('n1', '2024-05-02T10:00:00.000Z', { channelTitle: 'NewestBare', channelUrl: url('older') }),
        rec('n2', '2024-06-02T10:00:00.000Z', { channelTitle: 'NewestBare', channelUrl: '' }),
        // Two records at the newest instant: the smaller id ("t-a") is first in the walk.
        rec('t-b', '2024-06-01T09:00:00.000Z', { channelTitle: 'Tied', channelUrl: url('b') }),
        rec('t-a', '2024-06-01T09:00:00.000Z', { channelTitle: 'Tied', channelUrl: url('a') }),
        rec('t-0', '2024-02-01T09:00:00.000Z', { channelTitle: 'Tied', channelUrl: url('oldest') }),
        // Only the oldest record has no URL.
        rec('o1', '2024-01-01T00:00:00.000Z', { channelTitle: 'OldBare' }),
        rec('o2', '2024-01-02T00:00:00.000Z', { channelTitle: 'OldBare', channelUrl: url('new') }),
      ];
      const expected = [
        ['Many', url('may')],
        ['Tied', url('a')],
        ['NewestBare', undefined],
        ['OldBare', url('new')],
      ];
      const random = new Random('ecm-url');
      for (let i = 0; i < 5; i++) {
        const result = metrics(shuffle(recs, random), { asOf });
        expect(result.map((m) => [m.channelTitle, m.channelUrl])).toEqual(expected);
        expect('channelUrl' in result.find((m) => m.channelTitle === 'NewestBare')!).toBe(false);
      }
      // The newest record among those the filters keep: topic X drops m2, so m3 (April) is the newest.
      expect(metrics(recs, { asOf, filters: { topics: ['X'] } }).map((m) => [m.channelTitle, m.channelUrl])).toEqual([['Many', url('april')]]);
    });

    it('lists topicsSpread in first-seen order of the newest-first walk, each record in its own topic order', () => {
      const recs = [
        rec('x1', '2024-01-05T10:00:00.000Z', { channelTitle: 'Topics', topics: ['A', 'B'] }),
        rec('x2', '2024-02-05T10:00:00.000Z', { channelTitle: 'Topics', topics: ['C', 'A'] }),
        rec('x3', '2024-03-05T10:00:00.000Z', { channelTitle: 'Topics', topics: ['D'] }),
        // The newest instant twice: "x4-a" before "x4-b".
        rec('x4-b', '2024-04-05T10:00:00.000Z', { channelTitle: 'Topics', topics: ['E', 'B'] }),
        rec('x4-a', '2024-04-05T10:00:00.000Z', { channelTitle: 'Topics', topics: ['F'] }),
      ];
      // Walk: x4-a [F], x4-b [E, B], x3 [D], x2 [C, A], x1 [A, B] → F, E, B, D, C, A (version 1 gave A, B, C, D, F, E).
      const random = new Random('ecm-topics');
      for (let i = 0; i < 5; i++) {
        expect(metrics(shuffle(recs, random), { asOf })[0]!.topicsSpread).toEqual(['F', 'E', 'B', 'D', 'C', 'A']);
      }
      // With a topic filter (F-core: any of the topics), only x1, x2 and x4-b remain: x4-b [E, B], x2 [C, A], x1 [A, B].
      expect(metrics(recs, { asOf, filters: { topics: ['B', 'C'] } })[0]!.topicsSpread).toEqual(['E', 'B', 'C', 'A']);
    });
  });

  it('computes M with date-fns 4.1 differenceInMonths: a later Feb 28 counts from Mar 2 (version 2)', () => {
    // asOf 2026-02-28 12:00 (UTC): step 2 of §0 makes it Mar 2, two months back is Jan 2 12:00, not before
    // Dec 29 10:00 → M = 2 (version 1 gave 1). a = 3 months (Dec, Jan, Feb) of 1 → consistency 100;
    // average 3/2 → frequency 15; fullDays(Feb 28 12:00, Feb 20 10:00) = 8 → recency 80; round(195/3) = 65.
    const recs = [
      rec('f1', '2025-12-29T10:00:00.000Z', { channelTitle: 'Feb', topics: ['T'] }), // Mon
      rec('f2', '2026-01-15T10:00:00.000Z', { channelTitle: 'Feb', topics: ['T'] }), // Thu
      rec('f3', '2026-02-20T10:00:00.000Z', { channelTitle: 'Feb', topics: ['T'] }), // Fri
    ];
    expect(metrics(recs, { asOf: '2026-02-28T12:00:00.000Z' })).toEqual([
      row({
        channelTitle: 'Feb', videoCount: 3, averageVideosPerMonth: 1.5, firstWatched: '2025-12-29T10:00:00.000Z',
        lastWatched: '2026-02-20T10:00:00.000Z', loyaltyScore: 65, topicsSpread: ['T'], peakHour: 10, peakDay: 1,
        // now − 30 days = Jan 29 12:00: only f3 is after it.
        consistencyScore: 100, isNew: false, retentionRate: 1 / 3,
      }),
    ]);
  });

  it('is empty for no dated records', () => {
    expect(metrics([], { asOf })).toEqual([]);
    expect(metrics([rec('u', null, { channelTitle: 'A' })], { asOf })).toEqual([]);
    expect(metrics(records, { asOf, filters: { product: 'YouTube Music' } })).toEqual([]);
  });
});
