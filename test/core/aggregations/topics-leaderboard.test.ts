import { describe, expect, it } from 'vitest';
import type { TopicCount } from '../../../src/core/aggregations/topics-leaderboard.js';
import type { InputRecord } from '../../../src/core/record.js';
import { compute, many, rec, type RunOptions } from '../support/records.js';

const leaderboard = (records: readonly InputRecord[], options: RunOptions) => compute<TopicCount[]>('topics_leaderboard', records, options);
const row = (topic: string, count: number, trend: TopicCount['trend'], total: number): TopicCount => ({
  topic,
  count,
  trend,
  percentage: (count / total) * 100,
});

describe('topics_leaderboard (spec §3.5)', () => {
  // asOf 2024-05-15T12:00Z: prev window [addMonths(asOf, −2), addMonths(asOf, −1)] = [2024-03-15T12:00Z, 2024-04-15T12:00Z].
  // With timeframe MTD the current counts come from [2024-05-01, asOf] only, so prev and count are separate.
  const asOf = '2024-05-15T12:00:00.000Z';
  const records = [
    ...many('up-prev', 10, '2024-04-01T00:00:00.000Z', { topics: ['Up'] }),
    ...many('up-now', 12, '2024-05-02T00:00:00.000Z', { topics: ['Up'] }),
    rec('up-undated', null, { topics: ['Up'] }),
    // Even: the two prev records on the window's ends must count (else prev 8 and the trend is up).
    rec('even-start', '2024-03-15T12:00:00.000Z', { topics: ['Even'] }),
    rec('even-end', '2024-04-15T12:00:00.000Z', { topics: ['Even'] }),
    ...many('even-prev', 8, '2024-04-02T00:00:00.000Z', { topics: ['Even'] }),
    ...many('even-now', 11, '2024-05-03T00:00:00.000Z', { topics: ['Even'] }),
    // Low: the two records just outside the window must not count (else prev 12 and the trend is down).
    rec('low-before', '2024-03-15T11:59:59.999Z', { topics: ['Low'] }),
    rec('low-after', '2024-04-15T12:00:00.001Z', { topics: ['Low'] }),
    ...many('low-prev', 10, '2024-04-03T00:00:00.000Z', { topics: ['Low'] }),
    ...many('low-now', 9, '2024-05-04T00:00:00.000Z', { topics: ['Low'] }),
    ...many('down-prev', 10, '2024-04-04T00:00:00.000Z', { topics: ['Down'] }),
    ...many('down-now', 8, '2024-05-05T00:00:00.000Z', { topics: ['Down'] }),
    rec('new', '2024-05-06T00:00:00.000Z', { topics: ['New'] }),
    rec('zulu', '2024-05-06T00:00:00.000Z', { topics: ['Zulu'] }),
    rec('alpha', '2024-05-06T00:00:00.000Z', { topics: ['alpha'] }),
    rec('ad', '2024-05-06T00:00:00.000Z', { topics: ['Ad'], isAd: true }),
  ];

  it('uses the integer thresholds 10c > 11p (up) and 10c < 9p (down), ties by topic in UTF-16 order', () => {
    // total = 12 + 11 + 9 + 8 + 1 + 1 + 1 = 43.
    expect(leaderboard(records, { asOf, filters: { timeframe: 'MTD' } })).toEqual([
      row('Up', 12, 'up', 43), // 120 > 110
      row('Even', 11, 'stable', 43), // 110 = 110: not up
      row('Low', 9, 'stable', 43), // 90 = 90: not down
      row('Down', 8, 'down', 43), // 80 < 90
      row('New', 1, 'up', 43), // prev 0
      row('Zulu', 1, 'up', 43),
      row('alpha', 1, 'up', 43),
    ]);
  });

  it('counts the whole timeframe against one prev month for All, undated records included (D11)', () => {
    // Up 10 + 12 + 1 undated = 23; Even 21; Low 2 + 10 + 9 = 21; Down 18. Total 23+21+21+18+3 = 86.
    expect(leaderboard(records, { asOf })).toEqual([
      row('Up', 23, 'up', 86),
      row('Even', 21, 'up', 86),
      row('Low', 21, 'up', 86),
      row('Down', 18, 'up', 86),
      row('New', 1, 'up', 86),
      row('Zulu', 1, 'up', 86),
      row('alpha', 1, 'up', 86),
    ]);
  });

  it('filters prev by product ((fix) §3.5)', () => {
    const recs = [
      ...many('mix-prev-yt', 8, '2024-04-01T00:00:00.000Z', { topics: ['Mix'] }),
      ...many('mix-prev-music', 2, '2024-04-02T00:00:00.000Z', { topics: ['Mix'], product: 'YouTube Music' }),
      ...many('mix-now', 9, '2024-05-02T00:00:00.000Z', { topics: ['Mix'] }),
    ];
    // All products: prev 10, count 9 → stable. YouTube only: prev 8, count 9 → 90 > 88, up.
    expect(leaderboard(recs, { asOf, filters: { timeframe: 'MTD' } })).toEqual([row('Mix', 9, 'stable', 9)]);
    expect(leaderboard(recs, { asOf, filters: { timeframe: 'MTD', product: 'YouTube' } })).toEqual([row('Mix', 9, 'up', 9)]);
    expect(leaderboard(recs, { asOf, filters: { timeframe: 'MTD', product: 'YouTube Music' } })).toEqual([]);
  });

  it('keeps all topics of a record the topic filter keeps, in count and in prev ((fix) §3.5)', () => {
    const recs = [
      rec('r1', '2024-05-02T00:00:00.000Z', { topics: ['Pair', 'Extra'] }),
      rec('r2', '2024-05-02T00:00:00.000Z', { topics: ['Extra'] }),
      rec('p1', '2024-04-01T00:00:00.000Z', { topics: ['Extra'] }),
      rec('p2', '2024-04-01T00:00:00.000Z', { topics: ['Pair', 'Extra'] }),
    ];
    // Kept: r1 (Pair 1, Extra 1) against p2 (Pair 1, Extra 1): stable. An unfiltered prev would make Extra 2 → down.
    expect(leaderboard(recs, { asOf, filters: { timeframe: 'MTD', topics: ['Pair'] } })).toEqual([
      row('Extra', 1, 'stable', 2),
      row('Pair', 1, 'stable', 2),
    ]);
    expect(leaderboard(recs, { asOf, filters: { timeframe: 'MTD' } })).toEqual([row('Extra', 2, 'stable', 3), row('Pair', 1, 'stable', 3)]);
    // Channel filter applies to prev as well: only p1 is on channel C, r1 and r2 are not.
    const withChannel = recs.map((r) => (r.id === 'p1' || r.id === 'r2' ? { ...r, channelTitle: 'C' } : r));
    expect(leaderboard(withChannel, { asOf, filters: { timeframe: 'MTD', channels: ['C'] } })).toEqual([row('Extra', 1, 'stable', 1)]);
  });

  it('clamps the prev window on month ends: asOf 2024-03-31T12:00Z → [2024-01-31T12:00Z, 2024-02-29T12:00Z]', () => {
    const at = '2024-03-31T12:00:00.000Z';
    const recs = [
      rec('in1', '2024-01-31T12:00:00.000Z', { topics: ['In1'] }),
      rec('in2', '2024-02-29T12:00:00.000Z', { topics: ['In2'] }),
      rec('out1', '2024-01-31T11:59:59.999Z', { topics: ['Out1'] }),
      rec('out2', '2024-02-29T12:00:00.001Z', { topics: ['Out2'] }),
      ...['In1', 'In2', 'Out1', 'Out2'].map((topic) => rec(`now-${topic}`, '2024-03-10T00:00:00.000Z', { topics: [topic] })),
    ];
    expect(leaderboard(recs, { asOf: at, filters: { timeframe: 'MTD' } })).toEqual([
      row('In1', 1, 'stable', 4),
      row('In2', 1, 'stable', 4),
      row('Out1', 1, 'up', 4),
      row('Out2', 1, 'up', 4),
    ]);
  });

  it('is empty for no records', () => {
    expect(leaderboard([], { asOf })).toEqual([]);
    expect(leaderboard(records, { asOf, filters: { channels: ['Nobody'] } })).toEqual([]);
  });
});
