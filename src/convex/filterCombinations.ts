import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import { canonicalFilters, filterHash } from '../core/filters.js';
import type { MutationCtx } from './_generated/server.js';
import { internalMutation, internalQuery } from './_generated/server.js';
import { filtersValidator } from './validators.js';

export const forUser = internalQuery({
  args: { userId: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { userId, paginationOpts }) => {
    const result = await ctx.db
      .query('filter_combinations')
      .withIndex('by_user_filter', (q) => q.eq('userId', userId))
      .paginate(paginationOpts);
    return {
      page: result.page.map(({ userId, filters, filterHash, lastUsed, usageCount }) => ({ userId, filters, filterHash, lastUsed, usageCount })),
      isDone: result.isDone,
      continueCursor: result.continueCursor,
    };
  },
});

/** Counts one use of a filter set, keyed by its canonical hash (shared with the app's mutation). */
export async function recordFilterUse(ctx: MutationCtx, userId: string, filters: typeof filtersValidator.type, at: string): Promise<void> {
  const canonical = canonicalFilters(filters);
  const hash = filterHash(canonical);
  const existing = await ctx.db
    .query('filter_combinations')
    .withIndex('by_user_filter', (q) => q.eq('userId', userId).eq('filterHash', hash))
    .unique();
  if (existing) {
    await ctx.db.patch(existing._id, { lastUsed: at > existing.lastUsed ? at : existing.lastUsed, usageCount: existing.usageCount + 1 });
  } else {
    await ctx.db.insert('filter_combinations', {
      userId,
      filters: { timeframe: canonical.timeframe, product: canonical.product, topics: [...canonical.topics], channels: [...canonical.channels] },
      filterHash: hash,
      lastUsed: at,
      usageCount: 1,
    });
  }
}

export const recordUse = internalMutation({
  args: { userId: v.string(), filters: filtersValidator, at: v.string() },
  handler: async (ctx, { userId, filters, at }) => recordFilterUse(ctx, userId, filters, at),
});
