import { describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { SuggestionPool, boundedEditDistance, closeness, didYouMean, suggest } from '../../src/text/did-you-mean.js';

/** The textbook optimal-string-alignment distance, unbounded, for comparison. */
function osa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

describe('did you mean', () => {
  it('measures edits, a swap of neighbours as one, and stops counting past the bound', () => {
    expect(boundedEditDistance('alice', 'alice', 2)).toBe(0);
    expect(boundedEditDistance('alcie', 'alice', 2)).toBe(1);
    expect(boundedEditDistance('user-01', 'user-001', 2)).toBe(1);
    expect(boundedEditDistance('kitten', 'sitting', 5)).toBe(3);
    expect(boundedEditDistance('kitten', 'sitting', 2)).toBe(3);
    expect(boundedEditDistance('a', 'abcdef', 2)).toBe(3);
    expect(boundedEditDistance('', 'ab', 2)).toBe(2);
    // Against the plain algorithm, on pseudo-random short strings over a small alphabet.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const word = () => Array.from({ length: next() % 7 }, () => 'abc'[next() % 3]).join('');
    for (let i = 0; i < 2000; i++) {
      const [a, b] = [word(), word()];
      expect(boundedEditDistance(a, b, 2), `${a} / ${b}`).toBe(Math.min(osa(a, b), 3));
      expect(boundedEditDistance(a, b, 10), `${a} / ${b}`).toBe(osa(a, b));
    }
  });

  it('suggests only plausible ids: within two edits and less than half the length; a case-only difference first', () => {
    expect(closeness('u1', 'u2')).toBeNull();
    expect(closeness('ab', 'ac')).toBeNull();
    expect(closeness('alcei', 'alice')).toEqual([2, 2]);
    expect(closeness('Alice', 'alice')).toEqual([0, 1]);
    expect(closeness('alice', 'alice')).toBeNull();
    expect(suggest('Alice', ['alicia', 'alice', 'malice', 'bob'])).toEqual(['alice', 'malice', 'alicia']);
  });

  it('offers at most three, closest first, ties in id order, whatever order the candidates come in', () => {
    const candidates = ['user-013', 'user-003', 'user-023', 'user-001', 'user-000', 'user-002', 'other'];
    const expected = ['user-003', 'user-000', 'user-001'];
    expect(suggest('usr-003', candidates)).toEqual(expected);
    expect(suggest('usr-003', [...candidates].reverse())).toEqual(expected);
    const pool = new SuggestionPool('usr-003');
    for (const candidate of [...candidates, ...candidates]) pool.offer(candidate);
    expect(pool.suggestions).toEqual(expected);
    expect(suggest('usr-003', candidates, { limit: 1 })).toEqual(['user-003']);
  });

  it('finds aggregation types by a typo or by a part of their name', () => {
    expect(suggest('kpis', AGGREGATION_TYPES, { substring: true })).toEqual(['kpi']);
    expect(suggest('top_channel', AGGREGATION_TYPES, { substring: true })).toEqual(['top_channels']);
    expect(suggest('heatmap', AGGREGATION_TYPES, { substring: true })).toEqual(['day_time_heatmap']);
    expect(suggest('channel', AGGREGATION_TYPES, { substring: true })).toEqual(['top_channels', 'channel_relationships', 'enhanced_channel_metrics']);
    expect(suggest('zzz', AGGREGATION_TYPES, { substring: true })).toEqual([]);
  });

  it('says it in words', () => {
    expect(didYouMean([])).toBeNull();
    expect(didYouMean(['a'])).toBe('did you mean a?');
    expect(didYouMean(['a', 'b'])).toBe('did you mean a or b?');
    expect(didYouMean(['a', 'b', 'c'])).toBe('did you mean a, b or c?');
  });
});
