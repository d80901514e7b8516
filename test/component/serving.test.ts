import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { measureJson } from '../../src/core/json.js';
import { sha256Hex } from '../../src/core/hash/sha256.js';
import type { AggregationWrite } from '../../src/store/types.js';
import { makeConvexTestStore, makeTestConvex } from '../support/convex-test-store.js';

// The serving path as the app's client calls it: by user id, from the app's own functions.

const FLAG = { flag: 'precomputed_aggregations', basisPoints: 10_000, salt: 's', rolledBack: false, updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'test' };

function write(userId: string, data: unknown, type: AggregationWrite['aggregationType'] = 'top_channels'): AggregationWrite {
  const json = JSON.stringify(data);
  const shape = measureJson(data, json);
  const now = Date.now();
  return {
    userId,
    aggregationType: type,
    filterHash: filterHash(DEFAULT_FILTERS),
    version: 1,
    filters: DEFAULT_FILTERS,
    json,
    dataHash: sha256Hex(json),
    asOf: '2026-11-30T00:00:00.000Z',
    timeZone: 'UTC',
    computedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 3_600_000).toISOString(),
    metadata: { recordCount: 1, computeMs: 1, bytes: shape.bytes },
    longestArray: shape.longestArray,
    widestObject: shape.widestObject,
    depth: shape.depth,
  };
}

async function servingDeployment() {
  const t = makeTestConvex();
  await t.run((ctx) => ctx.db.insert('rollout_flags', FLAG));
  return { t, store: makeConvexTestStore(t) };
}

describe('serving:getAggregation', () => {
  it('serves data as a value when it is one, and as its JSON text when it breaks Convex\'s value limits', async () => {
    const { t, store } = await servingDeployment();
    const small = [{ channel: 'a', videoCount: 1 }];
    // 9,000 elements: storable only as chunked text, and no valid Convex value as a whole.
    const long = Array.from({ length: 9000 }, (_, i) => i);
    await store.upsertAggregations([write('small', small), write('long', long)]);
    const args = (userId: string) => ({ userId, type: 'top_channels', filters: DEFAULT_FILTERS });
    expect(await t.query('serving:getAggregation', args('small'))).toMatchObject({ type: 'top_channels', data: small });
    const served = await t.query('serving:getAggregation', args('long'));
    expect(served).toMatchObject({ type: 'top_channels', version: 1 });
    expect(served.data).toBeUndefined();
    expect(JSON.parse(served.json)).toEqual(long);
  });

  it('serves nothing when the JSON text would not fit one string value, nor for another user or filter set', async () => {
    const { t, store } = await servingDeployment();
    // Over 1 MiB of text in 9,000 elements: neither a value nor one string.
    const huge = Array.from({ length: 9000 }, (_, i) => `${i}:${'x'.repeat(130)}`);
    await store.upsertAggregations([write('huge', huge), write('other', [1])]);
    expect(await t.query('serving:getAggregation', { userId: 'huge', type: 'top_channels', filters: DEFAULT_FILTERS })).toBeNull();
    expect(await t.query('serving:getAggregation', { userId: 'nobody', type: 'top_channels', filters: DEFAULT_FILTERS })).toBeNull();
    expect(await t.query('serving:getAggregation', { userId: 'other', type: 'top_channels', filters: { ...DEFAULT_FILTERS, timeframe: 'YTD' } })).toBeNull();
    expect(await t.query('serving:getAggregation', { userId: 'other', type: 'top_channels', filters: DEFAULT_FILTERS })).toMatchObject({ data: [1] });
  });

  it('serves nothing expired, of an older version, or to a user the rollout leaves out', async () => {
    const { t, store } = await servingDeployment();
    const expired = { ...write('u1', [1]), expiresAt: '2020-01-01T00:00:00.000Z' };
    const old = { ...write('u2', [2]), version: 0 };
    await store.upsertAggregations([expired, old, write('u3', [3])]);
    expect(await t.query('serving:getAggregation', { userId: 'u1', type: 'top_channels', filters: DEFAULT_FILTERS })).toBeNull();
    expect(await t.query('serving:getAggregation', { userId: 'u2', type: 'top_channels', filters: DEFAULT_FILTERS })).toBeNull();
    await t.run(async (ctx) => {
      const flag = (await ctx.db.query('rollout_flags').collect())[0]!;
      await ctx.db.patch(flag._id, { rolledBack: true });
    });
    expect(await t.query('serving:getAggregation', { userId: 'u3', type: 'top_channels', filters: DEFAULT_FILTERS })).toBeNull();
    expect(await t.query('serving:isRolledOut', { userId: 'u3' })).toBe(false);
  });
});

describe('serving:recordFilterUse', () => {
  const ytd = { timeframe: 'YTD', product: 'All', topics: [], channels: [] } as const;

  it('keeps at most the configured number of combinations per user, dropping the one used longest ago', async () => {
    const t = makeTestConvex();
    for (let i = 0; i < 5; i++) {
      expect(await t.mutation('filterCombinations:recordUse', { userId: 'u1', filters: { ...ytd, channels: [`c${i}`] }, at: `2026-01-0${i + 1}T00:00:00.000Z`, maxCombinations: 3 })).toEqual({
        recorded: true,
        dropped: i < 3 ? 0 : 1,
      });
    }
    // Using c3 again refreshes it; a new set then drops the oldest left (c2).
    await t.mutation('filterCombinations:recordUse', { userId: 'u1', filters: { ...ytd, channels: ['c3'] }, at: '2026-02-01T00:00:00.000Z', maxCombinations: 3 });
    await t.mutation('filterCombinations:recordUse', { userId: 'u1', filters: { ...ytd, channels: ['c9'] }, at: '2026-02-02T00:00:00.000Z', maxCombinations: 3 });
    const kept = await t.run((ctx) => ctx.db.query('filter_combinations').collect());
    expect(kept.map((row) => row.filters.channels[0]).sort()).toEqual(['c3', 'c4', 'c9']);
    expect(kept.find((row) => row.filters.channels[0] === 'c3')).toMatchObject({ usageCount: 2 });
    // Another user has a cap of their own.
    await t.mutation('serving:recordFilterUse', { userId: 'u2', filters: ytd });
    expect(await t.run((ctx) => ctx.db.query('filter_combinations').collect())).toHaveLength(4);
  });

  it('defaults to 50 per user and refuses too many or too long topics or channels, without throwing', async () => {
    const t = makeTestConvex();
    for (let i = 0; i < 52; i++) await t.mutation('serving:recordFilterUse', { userId: 'u1', filters: { ...ytd, topics: [`t${i}`] } });
    expect(await t.run((ctx) => ctx.db.query('filter_combinations').collect())).toHaveLength(50);
    expect(await t.mutation('serving:recordFilterUse', { userId: 'u1', filters: { ...ytd, channels: Array.from({ length: 21 }, (_, i) => `c${i}`) } })).toEqual({
      recorded: false,
      reason: 'filter set not recorded: 21 channels (at most 20)',
    });
    expect(await t.mutation('serving:recordFilterUse', { userId: 'u1', filters: { ...ytd, topics: ['x'.repeat(201)] } })).toEqual({
      recorded: false,
      reason: 'filter set not recorded: a topic of 201 characters (at most 200)',
    });
    await expect(t.mutation('serving:recordFilterUse', { userId: 'u1', filters: ytd, maxCombinations: 0 })).rejects.toThrow(/maxCombinations must be a whole number from 1 to 500/);
    // A refused set is not stored; the canonical form of a recorded one is.
    const hashes = (await t.run((ctx) => ctx.db.query('filter_combinations').collect())).map((row) => row.filterHash);
    expect(hashes).toContain(filterHash(canonicalFilters({ timeframe: 'YTD', topics: ['t51'] })));
  });
});
