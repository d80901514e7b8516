import { describe, expect, it } from 'vitest';
import { canonicalFilters, type FiltersInput } from '../../src/core/filters.js';
import { iterateAggregations } from '../../src/core/compute.js';
import { DatasetBuilder, prepareDataset, selectView } from '../../src/core/dataset.js';
import { DEFAULT_GRID } from '../../src/core/filters.js';
import { newestWatchedAt } from '../../src/core/newest-watch.js';
import { generateUser } from '../../fixtures/generator.js';
import { DuplicateRecordIdError } from '../../src/core/normalize.js';
import type { InputRecord } from '../../src/core/record.js';
import { Random } from '../../fixtures/random.js';
import { compute, rec, shuffle } from './support/records.js';

/** Ids of the F-core records (dated in (instant, id) order, then undated by id). */
function select(records: readonly InputRecord[], asOf: string, filters: FiltersInput, timeZone = 'UTC'): string[] {
  const view = selectView(prepareDataset(records, { asOf, timeZone }), canonicalFilters(filters));
  return [...view.dated, ...view.undated].map((r) => r.id);
}

describe('F-core timeframes (spec §1.5): [start, asOf], inclusive at both ends', () => {
  // asOf 2024-08-31T10:00Z (UTC). Starts: MTD 2024-08-01, QTD 2024-07-01, YTD 2024-01-01,
  // Last6M = addMonths(asOf, −6) = 2024-02-29T10:00Z (Aug 31 clamped to Feb 29), Last12M = 2023-08-31T10:00Z.
  const asOf = '2024-08-31T10:00:00.000Z';
  const records = [
    rec('r01', '2024-08-31T10:00:00.000Z'), // asOf itself
    rec('r02', '2024-08-31T10:00:00.001Z'), // after asOf: only All keeps it
    rec('r03', '2024-08-01T00:00:00.000Z'), // MTD start
    rec('r04', '2024-07-31T23:59:59.999Z'),
    rec('r05', '2024-07-01T00:00:00.000Z'), // QTD start
    rec('r06', '2024-06-30T23:59:59.999Z'),
    rec('r07', '2024-02-29T10:00:00.000Z'), // Last6M start
    rec('r08', '2024-02-29T09:59:59.999Z'),
    rec('r09', '2024-01-01T00:00:00.000Z'), // YTD start
    rec('r10', '2023-12-31T23:59:59.999Z'),
    rec('r11', '2023-08-31T10:00:00.000Z'), // Last12M start
    rec('r12', '2023-08-31T09:59:59.999Z'),
    rec('r13', null), // undated: only All keeps it
    rec('ad1', '2024-08-15T00:00:00.000Z', { isAd: true }), // ads: never
  ];

  it.each([
    ['MTD', ['r03', 'r01']],
    ['QTD', ['r05', 'r04', 'r03', 'r01']],
    ['Last6M', ['r07', 'r06', 'r05', 'r04', 'r03', 'r01']],
    ['YTD', ['r09', 'r08', 'r07', 'r06', 'r05', 'r04', 'r03', 'r01']],
    ['Last12M', ['r11', 'r10', 'r09', 'r08', 'r07', 'r06', 'r05', 'r04', 'r03', 'r01']],
    ['All', ['r12', 'r11', 'r10', 'r09', 'r08', 'r07', 'r06', 'r05', 'r04', 'r03', 'r01', 'r02', 'r13']],
  ] as const)('%s', (timeframe, expected) => {
    expect(select(records, asOf, { timeframe })).toEqual(expected);
    expect(compute<{ totalVideos: number }>('kpi', records, { asOf, filters: { timeframe } }).totalVideos).toBe(expected.length);
  });

  it('Last6M and Last12M clamp on month ends (asOf 2025-02-28 → 2024-08-28 and 2024-02-28)', () => {
    const end = '2025-02-28T00:00:00.000Z';
    const recs = [
      rec('a', '2024-08-28T00:00:00.000Z'),
      rec('b', '2024-08-27T23:59:59.999Z'),
      rec('c', '2024-02-28T00:00:00.000Z'),
      rec('d', '2024-02-27T23:59:59.999Z'),
    ];
    expect(select(recs, end, { timeframe: 'Last6M' })).toEqual(['a']);
    expect(select(recs, end, { timeframe: 'Last12M' })).toEqual(['c', 'b', 'a']);
    // From a leap day: 2024-02-29 − 12 months = 2023-02-28 (same wall time).
    const leap = '2024-02-29T12:00:00.000Z';
    const recs2 = [rec('x', '2023-02-28T12:00:00.000Z'), rec('y', '2023-02-28T11:59:59.999Z'), rec('z', '2023-03-01T00:00:00.000Z')];
    expect(select(recs2, leap, { timeframe: 'Last12M' })).toEqual(['x', 'z']);
    // 2024-02-29 − 6 months = 2023-08-29.
    expect(select([rec('p', '2023-08-29T12:00:00.000Z'), rec('q', '2023-08-29T11:59:59.999Z')], leap, { timeframe: 'Last6M' })).toEqual(['p']);
  });

  it('windows are computed in the zone: Tokyo (east) and Chicago (west) month starts', () => {
    // asOf 2024-03-31T15:30Z is 2024-04-01 00:30 JST, so MTD and QTD start at 2024-03-31T15:00Z in Tokyo,
    // while in UTC it is still March 31 (MTD from 2024-03-01, QTD from 2024-01-01).
    const asOf = '2024-03-31T15:30:00.000Z';
    const recs = [
      rec('a', '2024-03-31T15:00:00.000Z'),
      rec('b', '2024-03-31T14:59:59.999Z'),
      rec('c', '2024-03-01T00:00:00.000Z'),
      rec('d', '2023-12-31T15:00:00.000Z'), // 2024-01-01 00:00 JST
      rec('e', '2023-12-31T14:59:59.999Z'),
    ];
    expect(select(recs, asOf, { timeframe: 'MTD' }, 'Asia/Tokyo')).toEqual(['a']);
    expect(select(recs, asOf, { timeframe: 'QTD' }, 'Asia/Tokyo')).toEqual(['a']);
    expect(select(recs, asOf, { timeframe: 'YTD' }, 'Asia/Tokyo')).toEqual(['d', 'c', 'b', 'a']);
    expect(select(recs, asOf, { timeframe: 'MTD' }, 'UTC')).toEqual(['c', 'b', 'a']);
    expect(select(recs, asOf, { timeframe: 'QTD' }, 'UTC')).toEqual(['c', 'b', 'a']);
    expect(select(recs, asOf, { timeframe: 'YTD' }, 'UTC')).toEqual(['c', 'b', 'a']);
    // Chicago: asOf 2024-04-01T03:00Z is 2024-03-31 22:00 CDT; MTD starts 2024-03-01 00:00 CST = 06:00Z.
    const asOf2 = '2024-04-01T03:00:00.000Z';
    const recs2 = [rec('f', '2024-03-01T06:00:00.000Z'), rec('g', '2024-03-01T05:59:59.999Z'), rec('h', '2024-04-01T00:00:00.000Z')];
    expect(select(recs2, asOf2, { timeframe: 'MTD' }, 'America/Chicago')).toEqual(['f', 'h']);
    expect(select(recs2, asOf2, { timeframe: 'MTD' }, 'UTC')).toEqual(['h']);
    // Last6M in Chicago: 2024-03-31 22:00 CDT − 6 months = 2023-09-30 22:00 CDT = 2023-10-01T03:00Z.
    const recs3 = [rec('i', '2023-10-01T03:00:00.000Z'), rec('j', '2023-10-01T02:59:59.999Z')];
    expect(select(recs3, asOf2, { timeframe: 'Last6M' }, 'America/Chicago')).toEqual(['i']);
    // In UTC: 2024-04-01T03:00Z − 6 months = 2023-10-01T03:00Z as well (same instant, different reasoning).
    expect(select(recs3, asOf2, { timeframe: 'Last6M' }, 'UTC')).toEqual(['i']);
    // New York, asOf 2024-09-15 12:00 EDT (16:00Z) − 6 months = 2024-03-15 12:00 EDT (after the Mar 10 switch) = 16:00Z.
    expect(select([rec('k', '2024-03-15T16:00:00.000Z'), rec('l', '2024-03-15T15:59:59.999Z')], '2024-09-15T16:00:00.000Z', { timeframe: 'Last6M' }, 'America/New_York')).toEqual(['k']);
    // asOf 2024-05-15 12:00 EDT (16:00Z) − 6 months = 2023-11-15 12:00 EST = 17:00Z: same wall time, other offset.
    expect(select([rec('m', '2023-11-15T17:00:00.000Z'), rec('n', '2023-11-15T16:59:59.999Z')], '2024-05-15T16:00:00.000Z', { timeframe: 'Last6M' }, 'America/New_York')).toEqual(['m']);
    expect(select([rec('m', '2023-11-15T17:00:00.000Z'), rec('n', '2023-11-15T16:00:00.000Z')], '2024-05-15T16:00:00.000Z', { timeframe: 'Last6M' }, 'UTC')).toEqual(['n', 'm']);
  });
});

describe('F-core product, topic and channel filters (spec §1.5)', () => {
  const asOf = '2024-06-01T00:00:00.000Z';
  const records = [
    rec('yt', '2024-05-01T00:00:00.000Z', { product: 'YouTube', channelTitle: 'Alpha', topics: ['Music', 'Gaming'] }),
    rec('default', '2024-05-02T00:00:00.000Z', { channelTitle: 'alpha', videoTitle: 'python tutorial' }), // product absent → YouTube
    rec('music', '2024-05-03T00:00:00.000Z', { product: 'YouTube Music', channelTitle: 'Beta', topics: ['Music'] }),
    rec('nochannel', '2024-05-04T00:00:00.000Z', { product: 'YouTube Music', topics: ['music'] }),
    rec('undated', null, { product: 'YouTube Music', channelTitle: 'Alpha', topics: ['Gaming'] }),
  ];

  it('product keeps exact matches; a missing product is YouTube', () => {
    expect(select(records, asOf, { product: 'YouTube' })).toEqual(['yt', 'default']);
    expect(select(records, asOf, { product: 'YouTube Music' })).toEqual(['music', 'nochannel', 'undated']);
    expect(select(records, asOf, { product: 'All' })).toHaveLength(5);
  });

  it('topics keep records with at least one listed topic, exact and case-sensitive, derived topics included', () => {
    expect(select(records, asOf, { topics: ['Music'] })).toEqual(['yt', 'music']);
    expect(select(records, asOf, { topics: ['music'] })).toEqual(['nochannel']);
    expect(select(records, asOf, { topics: ['Gaming', 'Education'] })).toEqual(['yt', 'default', 'undated']);
    expect(select(records, asOf, { topics: ['Technology'] })).toEqual(['default']);
    expect(select(records, asOf, { topics: ['Nothing'] })).toEqual([]);
  });

  it('channels keep exact matches; a record without a channel is "Unknown Channel" (§1.3, D22)', () => {
    expect(select(records, asOf, { channels: ['Alpha'] })).toEqual(['yt', 'undated']);
    expect(select(records, asOf, { channels: ['alpha', 'Beta'] })).toEqual(['default', 'music']);
    expect(select(records, asOf, { channels: ['Unknown Channel'] })).toEqual(['nochannel']);
  });

  it('all steps combine with AND', () => {
    expect(select(records, asOf, { product: 'YouTube Music', topics: ['Gaming'], channels: ['Alpha'] })).toEqual(['undated']);
    expect(select(records, asOf, { timeframe: 'MTD', product: 'YouTube Music', topics: ['Gaming'] })).toEqual([]);
    expect(select(records, '2024-05-31T00:00:00.000Z', { timeframe: 'MTD', product: 'YouTube Music' })).toEqual(['music', 'nochannel']);
  });
});

describe('prepareDataset', () => {
  it('refuses duplicate ids, even when one of them is an ad', () => {
    const asOf = '2024-01-01T00:00:00.000Z';
    expect(() => prepareDataset([rec('a', null), rec('a', asOf)], { asOf, timeZone: 'UTC' })).toThrow(DuplicateRecordIdError);
    expect(() => prepareDataset([rec('a', asOf, { isAd: true }), rec('a', asOf)], { asOf, timeZone: 'UTC' })).toThrow(DuplicateRecordIdError);
  });

  it('refuses a bad asOf or zone', () => {
    expect(() => prepareDataset([], { asOf: 'yesterday', timeZone: 'UTC' })).toThrow(/asOf/);
    expect(() => prepareDataset([], { asOf: '2024-01-01T00:00:00', timeZone: 'UTC' })).toThrow(/asOf/);
    expect(() => prepareDataset([], { asOf: '2024-01-01T00:00:00Z', timeZone: 'Nowhere/City' })).toThrow(/time zone/);
  });

  it('orders dated records by (instant, id) and undated ones by id, whatever the input order', () => {
    const asOf = '2024-01-01T00:00:00.000Z';
    const records = [rec('b', asOf), rec('a', asOf), rec('c', '2023-12-31T23:59:59.999Z'), rec('z', null), rec('y', null), rec('B', asOf)];
    const random = new Random('dataset-order');
    for (let i = 0; i < 20; i++) {
      expect(select(shuffle(records, random), asOf, {})).toEqual(['c', 'B', 'a', 'b', 'y', 'z']);
    }
  });
});

describe('DatasetBuilder: a dataset from records given page by page', () => {
  const records = generateUser({ userId: 'paged', records: 700, seed: 'builder', years: 2, end: '2025-01-01T00:00:00.000Z', undatedShare: 0.05, adShare: 0.05 });
  const zones = ['UTC', 'America/Chicago'];

  it.each(zones)('computes the same grid as prepareDataset of all the records at once, in %s', (timeZone) => {
    const builder = new DatasetBuilder(timeZone);
    for (let i = 0; i < records.length; i += 97) builder.add(records.slice(i, i + 97));
    const asOf = builder.newestWatchedAt()!;
    expect(asOf).toBe(newestWatchedAt(records));
    const paged = [...iterateAggregations(builder.build(asOf), undefined, DEFAULT_GRID)].map((r) => r.json);
    const whole = [...iterateAggregations(prepareDataset(records, { asOf, timeZone }), undefined, DEFAULT_GRID)].map((r) => r.json);
    expect(paged).toEqual(whole);
  });

  it('leaves ads out of the newest watch, says null with no dated watch, and refuses an id seen in an earlier page', () => {
    const builder = new DatasetBuilder('UTC');
    builder.add([rec('a', '2024-01-01T00:00:00.000Z'), { ...rec('ad', '2024-06-01T00:00:00.000Z'), isAd: true }]);
    expect(builder.newestWatchedAt()).toBe('2024-01-01T00:00:00.000Z');
    expect(() => builder.add([rec('a', '2024-02-01T00:00:00.000Z')])).toThrow(DuplicateRecordIdError);
    const undated = new DatasetBuilder('UTC');
    undated.add([{ id: 'u', watchedAt: null }]);
    expect(undated.newestWatchedAt()).toBeNull();
    expect(undated.build('2024-01-01T00:00:00.000Z').recordCount).toBe(1);
  });
});
