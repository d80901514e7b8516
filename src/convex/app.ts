import { v } from 'convex/values';
import { canonicalFilters, filterHash } from '../core/filters.js';
import { REGISTRY } from '../core/registry.js';
import { decideServing } from '../core/eligibility.js';
import { DEFAULT_FLAG } from '../core/rollout-plan.js';
import { mutation, query, type QueryCtx } from './_generated/server.js';
import { recordFilterUse as countFilterUse } from './filterCombinations.js';
import { findAggregation } from './lib/aggregationRows.js';
import { aggregationTypeValidator, filtersValidator } from './validators.js';

// The app's public API. Every function acts for the signed-in user only (the identity's `subject` is
// the userId records were imported under) and never takes a userId argument.

export { DEFAULT_FLAG };

/** Chunked aggregations larger than this are not assembled in a query; the app computes instead. */
const APP_READ_LIMIT_BYTES = 8 * 1024 * 1024;

async function signedInUser(ctx: QueryCtx): Promise<string | null> {
  const identity = await ctx.auth.getUserIdentity();
  return identity?.subject ?? null;
}

/** The rollout decision and the flag's eligibility policy, with the facts backfill keeps in user_stats. */
async function rolledOut(ctx: QueryCtx, flag: string, userId: string): Promise<boolean> {
  const state = await ctx.db.query('rollout_flags').withIndex('by_flag', (q) => q.eq('flag', flag)).unique();
  if (!state) return false;
  const override = await ctx.db.query('rollout_overrides').withIndex('by_flag_user', (q) => q.eq('flag', flag).eq('userId', userId)).unique();
  const stats = await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
  const policy = { minRecords: state.minRecords ?? 0, requireFreshGrid: state.requireFreshGrid ?? false };
  const facts = { recordCount: stats?.recordCount ?? 0, gridFreshUntil: stats?.gridFreshUntil ?? null };
  return decideServing(state, userId, override?.mode ?? null, policy, facts, new Date().toISOString()).served;
}

export const isRolledOut = query({
  args: { flag: v.optional(v.string()) },
  handler: async (ctx, { flag }) => {
    const userId = await signedInUser(ctx);
    return userId !== null && (await rolledOut(ctx, flag ?? DEFAULT_FLAG, userId));
  },
});

/**
 * The pre-computed aggregation for the signed-in user and filter set, when the user is rolled out and
 * the row is fresh and of the current algorithm version; otherwise null, and the app computes itself.
 */
export const getAggregation = query({
  args: { type: aggregationTypeValidator, filters: filtersValidator, flag: v.optional(v.string()) },
  handler: async (ctx, { type, filters, flag }) => {
    const userId = await signedInUser(ctx);
    if (userId === null || !(await rolledOut(ctx, flag ?? DEFAULT_FLAG, userId))) return null;
    const doc = await findAggregation(ctx, { userId, aggregationType: type, filterHash: filterHash(canonicalFilters(filters)) });
    if (!doc || doc.version !== REGISTRY[type].version || doc.expiresAt <= new Date().toISOString()) return null;
    let data: unknown = doc.data ?? null;
    if (doc.chunkCount > 0) {
      if (doc.metadata.bytes > APP_READ_LIMIT_BYTES) return null;
      const chunks = await ctx.db
        .query('aggregation_chunks')
        .withIndex('by_owner', (q) =>
          q.eq('userId', userId).eq('aggregationType', type).eq('filterHash', doc.filterHash).eq('dataHash', doc.dataHash),
        )
        .collect();
      if (chunks.length !== doc.chunkCount) return null;
      data = JSON.parse(chunks.map((chunk) => chunk.text).join(''));
    }
    return { data, version: doc.version, asOf: doc.asOf, timeZone: doc.timeZone, computedAt: doc.computedAt, expiresAt: doc.expiresAt };
  },
});

/** Counts a filter set the signed-in user looked at, so backfill computes it too. */
export const recordFilterUse = mutation({
  args: { filters: filtersValidator },
  handler: async (ctx, { filters }) => {
    const userId = await signedInUser(ctx);
    if (userId === null) return null;
    await countFilterUse(ctx, userId, filters, new Date().toISOString());
    return null;
  },
});
