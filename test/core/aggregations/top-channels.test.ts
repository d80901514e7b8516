import { describe, expect, it } from 'vitest';
import type { ChannelMetrics } from '../../../src/core/aggregations/top-channels.js';
import type { InputRecord } from '../../../src/core/record.js';
import { compute, many, rec, type RunOptions } from '../support/records.js';

const top = (records: readonly InputRecord[], options: RunOptions) => compute<ChannelMetrics[]>('top_channels', records, options);
const row = (channel: string, videoCount: number, total: number): ChannelMetrics => ({
  channel,
  videoCount,
  watchTime: 300 * videoCount,
  percentage: (videoCount / total) * 100, // §0: divide first, then × 100
});

describe('top_channels (spec §3.3)', () => {
  const asOf = '2024-06-30T00:00:00.000Z';
  const records = [
    ...many('zed', 3, '2024-06-01T00:00:00.000Z', { channelTitle: 'Zed' }),
    ...many('alpha', 3, '2024-06-02T00:00:00.000Z', { channelTitle: 'alpha' }),
    ...many('beta', 2, '2024-06-03T00:00:00.000Z', { channelTitle: 'Beta' }),
    rec('beta-undated', null, { channelTitle: 'Beta' }),
    ...many('anne', 2, '2024-06-04T00:00:00.000Z', { channelTitle: 'Änne' }),
    ...['C8', 'C7', 'C6', 'C5', 'C4', 'C3', 'C2', 'C1'].map((c, i) => rec(`c${i}`, `2024-06-05T0${i}:00:00.000Z`, { channelTitle: c })),
    rec('ad', '2024-06-06T00:00:00.000Z', { channelTitle: 'Zed', isAd: true }),
    rec('ad2', '2024-06-06T00:00:00.000Z', { channelTitle: 'Ad Only', isAd: true }),
  ];

  it('sorts by count, then channel in UTF-16 order, and keeps ten; the denominator is |F| with undated records', () => {
    // |F| = 3 + 3 + 3 + 2 + 8 = 19. Count 3: "Beta" < "Zed" < "alpha" (uppercase first, not localeCompare);
    // then "Änne" (2), then C1..C6 of the eight channels with one record; C7, C8 are cut.
    expect(top(records, { asOf })).toEqual([
      row('Beta', 3, 19),
      row('Zed', 3, 19),
      row('alpha', 3, 19),
      row('Änne', 2, 19),
      row('C1', 1, 19),
      row('C2', 1, 19),
      row('C3', 1, 19),
      row('C4', 1, 19),
      row('C5', 1, 19),
      row('C6', 1, 19),
    ]);
  });

  it('drops undated records outside All and counts "Unknown Channel" as a channel (D22)', () => {
    const result = top(records, { asOf, filters: { timeframe: 'MTD' } });
    expect(result.slice(0, 4)).toEqual([row('Zed', 3, 18), row('alpha', 3, 18), row('Beta', 2, 18), row('Änne', 2, 18)]);
    expect(top([rec('a', asOf), rec('b', asOf, { channelTitle: 'X' }), rec('c', asOf, { channelTitle: '' })], { asOf })).toEqual([
      row('Unknown Channel', 2, 3),
      row('X', 1, 3),
    ]);
  });

  it('gives 1 of 3 as 33.33333333333333 (unrounded)', () => {
    const result = top([rec('a', asOf, { channelTitle: 'A' }), rec('b', asOf, { channelTitle: 'B' }), rec('c', asOf, { channelTitle: 'B' })], { asOf });
    expect(result.map((r) => r.percentage)).toEqual([66.66666666666666, 33.33333333333333]);
  });

  it('applies product, topic and channel filters', () => {
    const recs = [
      rec('a', asOf, { channelTitle: 'A', product: 'YouTube Music', topics: ['Music'] }),
      rec('b', asOf, { channelTitle: 'B', topics: ['Music', 'Rock'] }),
      rec('c', asOf, { channelTitle: 'B', topics: ['News'] }),
    ];
    expect(top(recs, { asOf, filters: { product: 'YouTube Music' } })).toEqual([row('A', 1, 1)]);
    expect(top(recs, { asOf, filters: { product: 'YouTube' } })).toEqual([row('B', 2, 2)]);
    expect(top(recs, { asOf, filters: { topics: ['Music'] } })).toEqual([row('A', 1, 2), row('B', 1, 2)]);
    expect(top(recs, { asOf, filters: { channels: ['B'], topics: ['News'] } })).toEqual([row('B', 1, 1)]);
  });

  it('is empty for no records', () => {
    expect(top([], { asOf })).toEqual([]);
    expect(top([rec('ad', asOf, { isAd: true })], { asOf })).toEqual([]);
  });
});
