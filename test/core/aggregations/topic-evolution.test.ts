import { describe, expect, it } from 'vitest';
import type { TopicEvolution } from '../../../src/core/aggregations/topic-evolution.js';
import type { InputRecord } from '../../../src/core/record.js';
import { compute, many, rec, type RunOptions } from '../support/records.js';

const evolution = (records: readonly InputRecord[], options: RunOptions) => compute<TopicEvolution[]>('topic_evolution', records, options);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const label = (key: string) => `${MONTHS[Number(key.slice(5, 7)) - 1]} ${key.slice(0, 4)}`;

/** Records of one topic: `counts[key]` records in month `key` (on the 10th, UTC). */
function topicRecords(topic: string, counts: Record<string, number>, fields: Partial<InputRecord> = {}): InputRecord[] {
  return Object.entries(counts).flatMap(([key, n]) => many(`${topic}-${key}`, n, `${key}-10T00:00:00.000Z`, { topics: [topic], ...fields }));
}

function evolved(
  topic: string,
  counts: Record<string, number>,
  trending: TopicEvolution['timeline'][number]['trending'][],
  T: number,
  growthRate: number,
  seasonality: { peak: string; low: string },
): TopicEvolution {
  const total = Object.values(counts).reduce((s, c) => s + c, 0);
  return {
    topic,
    timeline: Object.entries(counts).map(([key, count], i) => ({ period: label(key), count, percentage: (count / T) * 100, trending: trending[i]! })),
    totalVideos: total,
    averagePercentage: (total / T) * 100,
    growthRate,
    seasonality,
  };
}

describe('topic_evolution (spec §3.10)', () => {
  const asOf = '2024-01-01T00:00:00.000Z';
  const X = { '2023-01': 1, '2023-02': 3, '2023-03': 4, '2023-05': 5, '2023-06': 2, '2023-07': 2, '2023-08': 6 }; // April missing (D21)
  const Y = { '2023-01': 2, '2023-02': 5, '2023-03': 2, '2023-04': 5, '2023-05': 1, '2023-06': 1 };
  const W = { '2023-01': 2, '2023-02': 1, '2023-03': 2, '2023-04': 1 };
  const V = { '2023-01': 1, '2023-02': 2, '2023-03': 7, '2023-04': 11, '2023-05': 17 };
  const U = { '2023-01': 1, '2023-02': 6, '2023-03': 12 };
  const Z = { '2023-01': 1, '2023-02': 1, '2023-03': 1 };
  const Aa = { '2023-06': 3 };
  const records = [
    ...topicRecords('X', X),
    ...topicRecords('Y', Y),
    ...topicRecords('W', W),
    ...topicRecords('V', V),
    ...topicRecords('U', U),
    ...topicRecords('Z', Z),
    ...topicRecords('Aa', Aa),
    rec('undated', null, { topics: ['X'] }), // F-strict: not counted, not in T
    rec('ad', '2023-08-10T00:00:00.000Z', { topics: ['X'], isAd: true }),
  ];
  // T = 23 + 16 + 6 + 38 + 19 + 3 + 3 = 108 dated records.
  const T = 108;
  const expected = [
    // V [1, 2, 7, 11, 17]: i2 r=5,q=1 → up; i3 r=4,q=5: 5r=20 = 4q → not down → stable; i4 r=6,q=4 → up. 5 months: growth 0.
    evolved('V', V, ['stable', 'stable', 'up', 'stable', 'up'], T, 0, { peak: 'May 2023', low: 'Jan 2023' }),
    // X [1, 3, 4, 5, 2, 2, 6]: i2 r=1,q=2: 5 < 8 down; i3 r=1,q=1 stable; i4 r=−3,q=1 down; i5 r=0,q=−3 up; i6 r=4,q=0 up.
    // growth = pctChange(2+2+6, 3+4+5) = (10 − 12)/12 × 100.
    evolved('X', X, ['stable', 'stable', 'down', 'stable', 'down', 'up', 'up'], T, ((10 - 12) / 12) * 100, { peak: 'Aug 2023', low: 'Jan 2023' }),
    // U [1, 6, 12]: i2 r=6,q=5: 5r=30 = 6q → not up → stable. Fewer than 4 months: Unknown.
    evolved('U', U, ['stable', 'stable', 'stable'], T, 0, { peak: 'Unknown', low: 'Unknown' }),
    // Y [2, 5, 2, 5, 1, 1]: down, up, down, up from i2. growth = pctChange(5+1+1, 2+5+2) = (7 − 9)/9 × 100.
    // Peak 5 twice → the earliest (Feb); low 1 twice → the latest (Jun).
    evolved('Y', Y, ['stable', 'stable', 'down', 'up', 'down', 'up'], T, ((7 - 9) / 9) * 100, { peak: 'Feb 2023', low: 'Jun 2023' }),
    // W [2, 1, 2, 1]: i2 r=1,q=−1 up; i3 r=−1,q=1 down. Peak 2 → Jan (earliest); low 1 → Apr (latest).
    evolved('W', W, ['stable', 'stable', 'up', 'down'], T, 0, { peak: 'Jan 2023', low: 'Apr 2023' }),
    // Ties on totalVideos 3: "Aa" < "Z".
    evolved('Aa', Aa, ['stable'], T, 0, { peak: 'Unknown', low: 'Unknown' }),
    evolved('Z', Z, ['stable', 'stable', 'stable'], T, 0, { peak: 'Unknown', low: 'Unknown' }),
  ];

  it('builds per-topic timelines over active months with trending, growthRate and seasonality', () => {
    expect(evolution(records, { asOf })).toEqual(expected);
    expect(expected[1]!.growthRate).toBe(-16.666666666666664);
    expect(expected[3]!.growthRate).toBe(-22.22222222222222);
  });

  it('counts every topic of a record, so percentages can add up to more than 100', () => {
    const recs = [rec('a', '2023-01-10T00:00:00.000Z', { topics: ['P', 'Q'] }), rec('b', '2023-01-11T00:00:00.000Z', { topics: ['P'] })];
    expect(evolution(recs, { asOf }).map((t) => [t.topic, t.totalVideos, t.averagePercentage])).toEqual([
      ['P', 2, 100],
      ['Q', 1, 50],
    ]);
  });

  it('keys months in the zone and labels them from the key (Chicago, Kolkata)', () => {
    const recs = [rec('a', '2023-04-01T03:00:00.000Z', { topics: ['T'] }), rec('b', '2023-03-31T19:00:00.000Z', { topics: ['T'] })];
    // Chicago: Mar 31 22:00 CDT and Mar 31 14:00 CDT → one month, "Mar 2023".
    expect(evolution(recs, { asOf, timeZone: 'America/Chicago' })[0]!.timeline.map((e) => [e.period, e.count])).toEqual([['Mar 2023', 2]]);
    // Kolkata: Apr 1 08:30 and Apr 1 00:30 IST.
    expect(evolution(recs, { asOf, timeZone: 'Asia/Kolkata' })[0]!.timeline.map((e) => [e.period, e.count])).toEqual([['Apr 2023', 2]]);
    // UTC: one in each.
    expect(evolution(recs, { asOf })[0]!.timeline.map((e) => [e.period, e.count])).toEqual([['Mar 2023', 1], ['Apr 2023', 1]]);
    // St. John's fold (2009-11-01 00:01 NDT → Oct 31 23:01 NST): months out of instant order still merge.
    const fold = [
      rec('f1', '2009-10-31T12:00:00.000Z', { topics: ['F'] }),
      rec('f2', '2009-11-01T02:30:30.000Z', { topics: ['F'] }),
      rec('f3', '2009-11-01T02:31:30.000Z', { topics: ['F'] }),
    ];
    expect(evolution(fold, { asOf, timeZone: 'America/St_Johns' })[0]!.timeline.map((e) => [e.period, e.count])).toEqual([
      ['Oct 2009', 2],
      ['Nov 2009', 1],
    ]);
  });

  it('applies F-core (T counts filtered records only) and is empty without dated records', () => {
    // asOf 2023-03-15, MTD = March 1-15: X 4, Y 2, W 2, V 7, U 12, Z 1 → T = 28.
    const mtd = evolution(records, { asOf: '2023-03-15T00:00:00.000Z', filters: { timeframe: 'MTD' } });
    expect(mtd.map((t) => [t.topic, t.totalVideos, t.averagePercentage])).toEqual([
      ['U', 12, (12 / 28) * 100],
      ['V', 7, (7 / 28) * 100],
      ['X', 4, (4 / 28) * 100],
      ['W', 2, (2 / 28) * 100],
      ['Y', 2, (2 / 28) * 100],
      ['Z', 1, (1 / 28) * 100],
    ]);
    expect(evolution(records, { asOf, filters: { topics: ['Aa'] } })).toEqual([
      evolved('Aa', Aa, ['stable'], 3, 0, { peak: 'Unknown', low: 'Unknown' }),
    ]);
    expect(evolution([], { asOf })).toEqual([]);
    expect(evolution([rec('u', null, { topics: ['X'] })], { asOf })).toEqual([]);
    expect(evolution(records, { asOf, filters: { product: 'YouTube Music' } })).toEqual([]);
  });

  it('computes growthRate with pctChange over the last six active months', () => {
    // [1, 1, 1, 2, 2, 2] → (6 − 3)/3 × 100 = 100; [4, 4, 4, 1, 1, 1] → −75; 7 months use the last six only.
    const up = { '2023-01': 1, '2023-02': 1, '2023-03': 1, '2023-04': 2, '2023-05': 2, '2023-06': 2 };
    const down = { '2022-12': 50, '2023-01': 4, '2023-02': 4, '2023-03': 4, '2023-04': 1, '2023-05': 1, '2023-06': 1 };
    const result = evolution([...topicRecords('Up', up), ...topicRecords('Down', down)], { asOf });
    expect(result.map((t) => [t.topic, t.growthRate])).toEqual([
      ['Down', -75],
      ['Up', 100],
    ]);
  });
});
