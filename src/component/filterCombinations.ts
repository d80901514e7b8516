import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import { canonicalFilters, filterHash } from '../core/filters.js';
import type { MutationCtx } from './_generated/server.js';
import { internalMutation, internalQuery } from './_generated/server.js';
import { filterCombinationValidator, filterUseOutcomeValidator, filtersValidator, pageOf } from './validators.js';

/**
 * Bounds on what one user's filter use may store: the app's users choose filters freely, and every
 * combination kept is computed by each backfill.
 */
export const FILTER_USE_LIMITS = {
  /** Distinct combinations kept per user by default; the oldest used is dropped for a new one. */
  defaultCombinations: 50,
  maxCombinations: 500,
  listLength: 20,
  stringLength: 200,
} as const;

export type FilterUseOutcome = typeof filterUseOutcomeValidator.type;

export const forUser = internalQuery({
  args: { userId: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(filterCombinationValidator),
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

function refusal(filters: typeof filtersValidator.type): string | null {
  for (const list of ['topics', 'channels'] as const) {
    if (filters[list].length > FILTER_USE_LIMITS.listLength) return `${filters[list].length} ${list} (at most ${FILTER_USE_LIMITS.listLength})`;
    const long = filters[list].find((item) => item.length > FILTER_USE_LIMITS.stringLength);
    if (long !== undefined) return `a ${list.slice(0, -1)} of ${long.length} characters (at most ${FILTER_USE_LIMITS.stringLength})`;
  }
  return null;
}

/**
 * Counts one use of a filter set, keyed by its canonical hash. Refuses (and reports) a filter set with
 * too many or too long topics or channels; at `maxCombinations` distinct sets, drops the one used
 * longest ago to make room for a new one.
 */
export async function recordFilterUse(
  ctx: MutationCtx,
  userId: string,
  filters: typeof filtersValidator.type,
  at: string,
  maxCombinations: number = FILTER_USE_LIMITS.defaultCombinations,
): Promise<FilterUseOutcome> {
  if (!Number.isInteger(maxCombinations) || maxCombinations < 1 || maxCombinations > FILTER_USE_LIMITS.maxCombinations) {
    throw new Error(`maxCombinations must be a whole number from 1 to ${FILTER_USE_LIMITS.maxCombinations}, not ${maxCombinations}`);
  }
  const refused = refusal(filters);
  if (refused !== null) return { recorded: false, reason: `filter set not recorded: ${refused}` };
  const canonical = canonicalFilters(filters);
  const hash = filterHash(canonical);
  const existing = await ctx.db
    .query('filter_combinations')
    .withIndex('by_user_filter', (q) => q.eq('userId', userId).eq('filterHash', hash))
    .unique();
  if (existing) {
    await ctx.db.patch(existing._id, { lastUsed: at > existing.lastUsed ? at : existing.lastUsed, usageCount: existing.usageCount + 1 });
    return { recorded: true, dropped: 0 };
  }
  // Oldest first; only what is over the cap is read beyond the first `maxCombinations`.
  const kept = await ctx.db
    .query('filter_combinations')
    .withIndex('by_user_lastUsed', (q) => q.eq('userId', userId))
    .take(FILTER_USE_LIMITS.maxCombinations + 1);
  const excess = kept.length - maxCombinations + 1;
  for (const old of kept.slice(0, Math.max(0, excess))) await ctx.db.delete(old._id);
  await ctx.db.insert('filter_combinations', {
    userId,
    filters: { timeframe: canonical.timeframe, product: canonical.product, topics: [...canonical.topics], channels: [...canonical.channels] },
    filterHash: hash,
    lastUsed: at,
    usageCount: 1,
  });
  return { recorded: true, dropped: Math.max(0, excess) };
}

/** The CLI's and the tests' way in (`agg` records uses the way the app does, at a given instant). */
export const recordUse = internalMutation({
  args: { userId: v.string(), filters: filtersValidator, at: v.string(), maxCombinations: v.optional(v.number()) },
  returns: filterUseOutcomeValidator,
  handler: async (ctx, { userId, filters, at, maxCombinations }) => recordFilterUse(ctx, userId, filters, at, maxCombinations),
});
