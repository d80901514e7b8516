import { describe, expect, it } from 'vitest';
import type { ChannelRelationship } from '../../../src/core/aggregations/channel-relationships.js';
import { canonicalJson } from '../../../src/core/json.js';
import type { InputRecord } from '../../../src/core/record.js';
import { Random } from '../../../fixtures/random.js';
import { HOUR, MINUTE, compute, rec, shuffle, type RunOptions } from '../support/records.js';

const relationships = (records: readonly InputRecord[], options: RunOptions) =>
  compute<ChannelRelationship[]>('channel_relationships', records, options);

// Keys in sorted order, like the library's objects, so JSON.stringify can compare large outputs quickly.
const pair = (channel1: string, channel2: string, coWatchScore: number, topicOverlap: string[]): ChannelRelationship => ({
  channel1,
  channel2,
  coWatchScore,
  temporalCorrelation: 0.5,
  topicOverlap,
});

/**
 * Spec §3.9, written out directly: sessions of at most 1,800,000 ms from their first record, distinct
 * channels and topics per session, every unordered pair of a session's channels once, pairs keyed by
 * the (channel1, channel2) tuple, unions of whole topic mixes, score = round(co / min(sessions) × 100).
 * Input: dated, non-ad records with explicit topics (channel-less records are "Unknown Channel", §1.3).
 */
function reference(records: readonly InputRecord[]): ChannelRelationship[] {
  const dated = records
    .filter((r) => r.watchedAt !== null && r.isAd !== true)
    .map((r) => ({ t: Date.parse(r.watchedAt!), id: r.id, channel: r.channelTitle || 'Unknown Channel', topics: r.topics! }))
    .sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const sessions: { start: number; channels: string[]; topics: string[] }[] = [];
  for (const r of dated) {
    let current = sessions[sessions.length - 1];
    if (current === undefined || r.t - current.start > 1_800_000) {
      current = { start: r.t, channels: [], topics: [] };
      sessions.push(current);
    }
    if (!current.channels.includes(r.channel)) current.channels.push(r.channel);
    for (const topic of r.topics) if (!current.topics.includes(topic)) current.topics.push(topic);
  }
  const sessionsOf = new Map<string, number>();
  for (const s of sessions) for (const c of s.channels) sessionsOf.set(c, (sessionsOf.get(c) ?? 0) + 1);
  const pairs = new Map<string, { c1: string; c2: string; co: number; topics: Set<string> }>();
  for (const s of sessions) {
    for (let i = 0; i < s.channels.length; i++) {
      for (let j = i + 1; j < s.channels.length; j++) {
        const [c1, c2] = [s.channels[i]!, s.channels[j]!].sort();
        const key = JSON.stringify([c1, c2]);
        let p = pairs.get(key);
        if (!p) pairs.set(key, (p = { c1: c1!, c2: c2!, co: 0, topics: new Set() }));
        p.co += 1;
        for (const topic of s.topics) p.topics.add(topic);
      }
    }
  }
  return [...pairs.values()]
    .map((p) => ({ ...p, score: Math.round((p.co / Math.min(sessionsOf.get(p.c1)!, sessionsOf.get(p.c2)!)) * 100) }))
    .filter((p) => p.score >= 10)
    .sort((a, b) => b.score - a.score || (a.c1 < b.c1 ? -1 : a.c1 > b.c1 ? 1 : a.c2 < b.c2 ? -1 : a.c2 > b.c2 ? 1 : 0))
    .map((p) => pair(p.c1, p.c2, p.score, [...p.topics].sort()));
}

describe('channel_relationships (spec §3.9)', () => {
  const asOf = '2024-01-02T00:00:00.000Z';
  const at = (time: string) => `2024-01-01T${time}Z`;
  const records = [
    // S1 starts 10:00:00.000; 10:30:00.000 is exactly 1,800,000 ms after the start → still S1.
    rec('r1', at('10:00:00.000'), { channelTitle: 'A', topics: ['t1'] }),
    rec('r2', at('10:20:00.000'), { channelTitle: 'B', topics: ['t2'] }),
    rec('ad', at('10:25:00.000'), { channelTitle: 'E', topics: ['ad'], isAd: true }),
    rec('r3', at('10:30:00.000'), { channelTitle: 'A', topics: ['t3'] }),
    // S2 starts 10:30:00.001 (1,800,001 ms after S1's start), although only 1 ms after the previous record.
    rec('r4', at('10:30:00.001'), { channelTitle: 'C', topics: ['t1'] }),
    rec('r5', at('10:45:00.000'), { channelTitle: 'B', topics: ['t4'] }),
    rec('r6', at('11:00:00.001'), { channelTitle: 'D', topics: ['t2'] }),
    // S3: A alone (a single-channel session still counts in sessions(A)).
    rec('r7', at('12:00:00.000'), { channelTitle: 'A', topics: ['t5'] }),
    // S4: D and a record without channel ("Unknown Channel", D22).
    rec('r8', at('13:00:00.000'), { channelTitle: 'D', topics: ['t6'] }),
    rec('r9', at('13:05:00.000'), { topics: ['t7'] }),
    // S5: B alone.
    rec('r10', at('14:00:00.000'), { channelTitle: 'B', topics: ['t8'] }),
    rec('undated', null, { channelTitle: 'A', topics: ['t9'] }),
  ];
  // sessions: A 2 (S1, S3), B 3 (S1, S2, S5), C 1, D 2 (S2, S4), Unknown Channel 1.
  const expected = [
    pair('B', 'C', 100, ['t1', 't2', 't4']), // 1 / min(3, 1)
    pair('C', 'D', 100, ['t1', 't2', 't4']), // 1 / min(1, 2)
    pair('D', 'Unknown Channel', 100, ['t6', 't7']), // 1 / min(2, 1)
    pair('A', 'B', 50, ['t1', 't2', 't3']), // 1 / min(2, 3); the union of S1's whole topic mix
    pair('B', 'D', 50, ['t1', 't2', 't4']), // 1 / min(3, 2)
  ];

  it('builds sessions from their start, counts pairs and single-channel sessions, sorts by score then names', () => {
    expect(relationships(records, { asOf })).toEqual(expected);
    expect(reference(records)).toEqual(expected);
  });

  it('is independent of input order', () => {
    const random = new Random('relationships-order');
    for (let i = 0; i < 10; i++) expect(relationships(shuffle(records, random), { asOf })).toEqual(expected);
  });

  it('rounds with Math.round, keeps scores ≥ 10, orders names in UTF-16 order and keys pairs by tuple (D20)', () => {
    const recs: InputRecord[] = [];
    let hour = 0;
    const session = (...channels: string[]) => {
      const start = Date.parse('2024-02-01T00:00:00.000Z') + hour++ * HOUR;
      channels.forEach((c, i) => recs.push(rec(`s${hour}-${i}`, start + i * MINUTE, { channelTitle: c, topics: [`topic-${c}`] })));
    };
    const alone = (channel: string, times: number) => {
      for (let i = 0; i < times; i++) session(channel);
    };
    session('P', 'Q'), alone('P', 9), alone('Q', 11); // 1 / min(10, 12) = 10% → kept
    session('R', 'S'), alone('R', 10), alone('S', 10); // 1 / 11 = 9.09% → 9 → dropped
    session('U', 'V'), alone('U', 7), alone('V', 7); // 1 / 8 = 12.5% → 13 (halves up)
    session('W', 'X'), session('X', 'W'), alone('W', 1), alone('X', 1); // 2 / 3 = 66.67% → 67
    session('Y', 'Z'), alone('Y', 2), alone('Z', 2); // 1 / 3 = 33.33% → 33
    session('alpha', 'Zed'); // "Zed" < "alpha"
    session('a|b', 'c'), session('a', 'b|c'); // "a|b|c" twice as a string key, two pairs as tuples
    const expectedPairs = [
      pair('Zed', 'alpha', 100, ['topic-Zed', 'topic-alpha']),
      pair('a', 'b|c', 100, ['topic-a', 'topic-b|c']),
      pair('a|b', 'c', 100, ['topic-a|b', 'topic-c']),
      pair('W', 'X', 67, ['topic-W', 'topic-X']),
      pair('Y', 'Z', 33, ['topic-Y', 'topic-Z']),
      pair('U', 'V', 13, ['topic-U', 'topic-V']),
      pair('P', 'Q', 10, ['topic-P', 'topic-Q']),
    ];
    expect(relationships(recs, { asOf: '2024-03-01T00:00:00.000Z' })).toEqual(expectedPairs);
    expect(reference(recs)).toEqual(expectedPairs);
  });

  it('applies F-core first (timeframe, product, channel filters) and is empty without pairs', () => {
    const recs = [
      rec('a', '2024-01-01T10:00:00.000Z', { channelTitle: 'A', topics: ['x'], product: 'YouTube Music' }),
      rec('b', '2024-01-01T10:10:00.000Z', { channelTitle: 'B', topics: ['y'] }),
      rec('c', '2024-01-01T10:20:00.000Z', { channelTitle: 'C', topics: ['z'], product: 'YouTube Music' }),
    ];
    expect(relationships(recs, { asOf })).toEqual([
      pair('A', 'B', 100, ['x', 'y', 'z']),
      pair('A', 'C', 100, ['x', 'y', 'z']),
      pair('B', 'C', 100, ['x', 'y', 'z']),
    ]);
    expect(relationships(recs, { asOf, filters: { product: 'YouTube Music' } })).toEqual([pair('A', 'C', 100, ['x', 'z'])]);
    expect(relationships(recs, { asOf, filters: { channels: ['B', 'C'] } })).toEqual([pair('B', 'C', 100, ['y', 'z'])]);
    // Topic filter keeps whole records, with all their topics.
    expect(relationships(recs, { asOf, filters: { topics: ['x', 'y'] } })).toEqual([pair('A', 'B', 100, ['x', 'y'])]);
    expect(relationships(recs, { asOf: '2024-01-01T10:15:00.000Z', filters: { timeframe: 'MTD' } })).toEqual([pair('A', 'B', 100, ['x', 'y'])]);
    expect(relationships([], { asOf })).toEqual([]);
    expect(relationships([rec('s', asOf, { channelTitle: 'S' })], { asOf })).toEqual([]);
  });
});

describe('channel_relationships against the brute-force reference', () => {
  const CHANNELS = ['A', 'B', 'C', 'Zed', 'alpha', 'Ä', 'a|b', 'b', 'a', 'b|c', 'Unknown Channel', 'x y', '"q"', 'ß'];
  // More than 32 topics, so topic sets span several bitset words.
  const TOPICS = Array.from({ length: 70 }, (_, i) => `topic-${String(i).padStart(2, '0')}`);

  function randomRecords(random: Random, n: number): InputRecord[] {
    const records: InputRecord[] = [];
    let t = Date.parse('2024-01-01T00:00:00.000Z');
    for (let i = 0; i < n; i++) {
      // Many identical instants, steps around the 30-minute boundary, and long breaks.
      const step = random.pick([0, 0, 0, 1, 60_000, 600_000, 1_799_999, 1_800_000, 1_800_001, 3_600_000, 86_400_000]);
      t += step;
      const topics = Array.from({ length: 1 + random.int(3) }, () => random.pick(TOPICS));
      const record: InputRecord = { id: `r${i}`, watchedAt: random.chance(0.03) ? null : new Date(t).toISOString(), topics: [...new Set(topics)] };
      if (!random.chance(0.05)) record.channelTitle = random.pick(CHANNELS.slice(0, 3 + random.int(CHANNELS.length - 2)));
      if (random.chance(0.03)) record.isAd = true;
      records.push(record);
    }
    return records;
  }

  function expectSame(actual: ChannelRelationship[], expected: ChannelRelationship[]): void {
    if (JSON.stringify(actual) === JSON.stringify(expected)) return;
    const i = actual.findIndex((p, k) => canonicalJson(p) !== canonicalJson(expected[k]));
    expect({ index: i, length: actual.length, pair: actual[i] }).toEqual({ index: i, length: expected.length, pair: expected[i] });
  }

  it('agrees on many random datasets with ties, boundary gaps and tricky names', () => {
    const random = new Random('relationships-reference');
    let nonEmpty = 0;
    for (let k = 0; k < 150; k++) {
      const records = randomRecords(random, 1 + random.int(120));
      const actual = relationships(records, { asOf: '2030-01-01T00:00:00.000Z' });
      expectSame(actual, reference(records));
      if (actual.length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(100);
  });

  it('agrees on one very wide session: 300 channels at one instant, plus other sessions', () => {
    const random = new Random('relationships-wide');
    const wide = Array.from({ length: 300 }, (_, i) =>
      // 40 topics (still more than one 32-bit word) keep the reference's per-pair unions affordable.
      rec(`w${i}`, '2024-01-01T12:00:00.000Z', { channelTitle: `ch-${String(random.int(1000)).padStart(3, '0')}-${i}`, topics: [random.pick(TOPICS.slice(0, 40))] }),
    );
    // Some of the wide session's channels meet again in smaller sessions, so scores vary below 100.
    const later: InputRecord[] = [];
    for (let s = 0; s < 60; s++) {
      const start = Date.parse('2024-01-02T00:00:00.000Z') + s * HOUR;
      for (let j = 0; j < 1 + random.int(8); j++) {
        const member = wide[random.int(wide.length)]!;
        later.push(rec(`s${s}-${j}`, start + j * 1000, { channelTitle: member.channelTitle, topics: [random.pick(TOPICS)] }));
      }
    }
    const records = [...wide, ...later];
    const actual = relationships(records, { asOf: '2024-02-01T00:00:00.000Z' });
    expect(actual.length).toBeGreaterThan(44_000); // ≈ 300·299/2 = 44,850 pairs, most of them kept
    expect(new Set(actual.map((p) => p.coWatchScore)).size).toBeGreaterThan(3);
    expectSame(actual, reference(records));
  });
});
