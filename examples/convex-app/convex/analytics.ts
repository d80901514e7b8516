import { v } from 'convex/values';
import { agg } from './agg.js';
import { currentUserId } from './auth.js';
import { mutation, query } from './_generated/server.js';

const typeValidator = v.union(
  v.literal('kpi'),
  v.literal('monthly_trend'),
  v.literal('top_channels'),
  v.literal('day_time_heatmap'),
  v.literal('topics_leaderboard'),
  v.literal('session_analysis'),
  v.literal('viewing_patterns'),
  v.literal('enhanced_channel_metrics'),
  v.literal('channel_relationships'),
  v.literal('topic_evolution'),
);

const filtersValidator = v.object({
  timeframe: v.optional(v.union(v.literal('MTD'), v.literal('QTD'), v.literal('YTD'), v.literal('Last6M'), v.literal('Last12M'), v.literal('All'))),
  product: v.optional(v.union(v.literal('All'), v.literal('YouTube'), v.literal('YouTube Music'))),
  topics: v.optional(v.array(v.string())),
  channels: v.optional(v.array(v.string())),
});

/**
 * The signed-in user's pre-computed result, or null: nobody signed in, not rolled out, not stored
 * yet, expired or of an older algorithm — then the app computes it as it did before agg.
 */
export const get = query({
  args: { type: typeValidator, filters: v.optional(filtersValidator) },
  handler: async (ctx, { type, filters }) => {
    const userId = await currentUserId(ctx);
    if (userId === null) return null;
    return agg.getAggregation(ctx, userId, type, filters);
  },
});

export const rolledOut = query({
  args: {},
  returns: v.boolean(),
  handler: async (ctx) => {
    const userId = await currentUserId(ctx);
    return userId !== null && (await agg.isRolledOut(ctx, userId));
  },
});

/** Called when the user applies filters, so the next backfill computes that filter set too. */
export const filtersUsed = mutation({
  args: { filters: filtersValidator },
  returns: v.boolean(),
  handler: async (ctx, { filters }) => {
    const userId = await currentUserId(ctx);
    if (userId === null) return false;
    return (await agg.recordFilterUse(ctx, userId, filters)).recorded;
  },
});
