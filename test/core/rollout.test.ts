import { describe, expect, it } from 'vitest';
import { murmur3_32 } from '../../src/core/hash/murmur3.js';
import { BUCKETS, decideRollout, formatBasisPoints, percentToBasisPoints, rolloutBucket } from '../../src/core/rollout.js';
import { TransitionTally, classifyPercentChange, decideUnder, transitionOf } from '../../src/core/rollout-plan.js';
import { expectedAggregations, expectedFilterSets, orphanReason } from '../../src/core/expected-aggregations.js';
import { DEFAULT_GRID, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { VECTORS } from '../support/rollout-vectors.js';


describe('rollout bucketing', () => {
  it('matches the published vectors (an independent Python MurmurHash3 x86_32)', () => {
    expect(VECTORS.vectors.length).toBeGreaterThan(50);
    for (const { userId, hash, bucket } of VECTORS.vectors) {
      expect(murmur3_32(`${VECTORS.flag}:${VECTORS.salt}:${userId}`), userId).toBe(hash);
      expect(rolloutBucket(VECTORS.flag, VECTORS.salt, userId), userId).toBe(bucket);
    }
  });

  it('puts 25 % ± 1.5 % of 10,000 synthetic users in at 25 %, for several flags and salts', () => {
    for (const [flag, salt] of [
      ['precomputed_aggregations', VECTORS.salt],
      ['precomputed_aggregations', '0000000000000000'],
      ['other_flag', 'c0ffee'],
    ] as const) {
      let included = 0;
      for (let i = 0; i < 10_000; i++) if (decideRollout({ flag, salt, basisPoints: 2500, rolledBack: false }, `user-${i}`, null).included) included++;
      expect(Math.abs(included / 10_000 - 0.25), `${flag}/${salt}: ${included}`).toBeLessThanOrEqual(0.015);
    }
  });

  it('spreads buckets evenly: every tenth of the range holds 10 % ± 1 % of 10,000 users', () => {
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) deciles[Math.floor(rolloutBucket('f', 's', `user-${i}`) / 1000)]!++;
    for (const count of deciles) expect(Math.abs(count - 1000)).toBeLessThanOrEqual(100);
  });

  it('only adds users as the percentage grows, and a shrink removes exactly those at or above the new threshold', () => {
    const users = Array.from({ length: 2000 }, (_, i) => `u${i}`);
    const inAt = (basisPoints: number) => new Set(users.filter((u) => decideRollout({ flag: 'f', salt: 's', basisPoints, rolledBack: false }, u, null).included));
    let previous = inAt(0);
    expect(previous.size).toBe(0);
    for (const basisPoints of [500, 1000, 2500, 5000, 7500, 10_000]) {
      const now = inAt(basisPoints);
      for (const u of previous) expect(now.has(u)).toBe(true);
      previous = now;
    }
    expect(previous.size).toBe(users.length);
    const shrunk = inAt(1000);
    const removed = users.filter((u) => !shrunk.has(u));
    expect(removed.every((u) => rolloutBucket('f', 's', u) >= 1000)).toBe(true);
    expect([...shrunk].every((u) => rolloutBucket('f', 's', u) < 1000)).toBe(true);
  });

  it('lets overrides win over the bucket, and a rollback win over everything', () => {
    const user = VECTORS.vectors.find((v) => v.bucket > 5000)!;
    const state = { flag: VECTORS.flag, salt: VECTORS.salt, basisPoints: 5000, rolledBack: false };
    expect(decideRollout(state, user.userId, null)).toEqual({ included: false, reason: { kind: 'bucket', bucket: user.bucket, threshold: 5000 } });
    expect(decideRollout(state, user.userId, 'allow').included).toBe(true);
    expect(decideRollout({ ...state, basisPoints: 10_000 }, user.userId, 'deny').included).toBe(false);
    expect(decideRollout({ ...state, rolledBack: true }, user.userId, 'allow')).toEqual({ included: false, reason: { kind: 'rolled-back' } });
    expect(decideUnder(null, user.userId, () => 'allow').included).toBe(false);
  });

  it('keeps percentages exact in basis points', () => {
    expect(BUCKETS).toBe(10_000);
    expect(percentToBasisPoints(12.34)).toBe(1234);
    expect(percentToBasisPoints(0.01)).toBe(1);
    expect(percentToBasisPoints(100)).toBe(10_000);
    expect(percentToBasisPoints(12.345)).toBeNull();
    expect(percentToBasisPoints(100.01)).toBeNull();
    expect(formatBasisPoints(1234)).toBe('12.34%');
  });
});

describe('rollout planning', () => {
  it('classifies a change from the effective percentage (a rolled-back flag is at 0 %)', () => {
    expect(classifyPercentChange(null, 0)).toBe('same');
    expect(classifyPercentChange(null, 500)).toBe('grow');
    expect(classifyPercentChange({ basisPoints: 2500, rolledBack: false }, 1000)).toBe('shrink');
    expect(classifyPercentChange({ basisPoints: 0, rolledBack: true }, 1000)).toBe('grow');
    expect(classifyPercentChange({ basisPoints: 2500, rolledBack: false }, 2500)).toBe('same');
  });

  it('tallies transitions', () => {
    const tally = new TransitionTally(true);
    const inOut = (a: boolean, b: boolean) => transitionOf({ included: a, reason: { kind: 'rolled-back' } }, { included: b, reason: { kind: 'rolled-back' } });
    tally.add('a', inOut(false, true));
    tally.add('b', inOut(true, false));
    tally.add('c', inOut(true, true));
    tally.add('d', inOut(false, false));
    expect({ enter: tally.enter, leave: tally.leave, inBefore: tally.inBefore, inAfter: tally.inAfter, users: tally.users, entering: tally.entering, leaving: tally.leaving }).toEqual({
      enter: 1,
      leave: 1,
      inBefore: 2,
      inAfter: 2,
      users: 4,
      entering: ['a'],
      leaving: ['b'],
    });
  });
});

describe('expected aggregations and orphans', () => {
  it('expects every type for the grid and for each recorded combination, once per filter set', () => {
    const custom = canonicalFilters({ topics: ['Music'] });
    const combinations = [
      { filters: custom, filterHash: filterHash(custom) },
      { filters: DEFAULT_GRID[0]!, filterHash: filterHash(DEFAULT_GRID[0]!) },
    ];
    expect(expectedFilterSets(combinations)).toHaveLength(19);
    expect(expectedAggregations(combinations)).toHaveLength(190);
    expect(expectedAggregations([])).toHaveLength(180);
  });

  it('calls an aggregation an orphan when its user is gone or its filter set is unused', () => {
    const custom = filterHash(canonicalFilters({ topics: ['Music'] }));
    const grid = filterHash(DEFAULT_GRID[3]!);
    expect(orphanReason({ userExists: false, filterHash: grid, combinationHashes: new Set() })).toBe('user-gone');
    expect(orphanReason({ userExists: true, filterHash: grid, combinationHashes: new Set() })).toBeNull();
    expect(orphanReason({ userExists: true, filterHash: custom, combinationHashes: new Set() })).toBe('filter-unused');
    expect(orphanReason({ userExists: true, filterHash: custom, combinationHashes: new Set([custom]) })).toBeNull();
  });
});
