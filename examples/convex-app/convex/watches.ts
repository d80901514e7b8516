import { v } from 'convex/values';
import { agg, type WatchEvent, watchRecordOf } from './agg.js';
import { currentUserId } from './auth.js';
import { mutation } from './_generated/server.js';

const eventValidator = v.object({
  eventId: v.string(),
  watchedAt: v.union(v.string(), v.null()),
  videoId: v.optional(v.string()),
  title: v.optional(v.string()),
  channel: v.optional(v.string()),
  channelUrl: v.optional(v.string()),
  music: v.optional(v.boolean()),
});

/**
 * The app's ingestion mutation: its own rows, and agg's mirror of them in the same transaction (so
 * the change `agg backfill --changed` reads is never lost, and never seen without its records).
 */
export const ingest = mutation({
  args: { events: v.array(eventValidator) },
  returns: v.object({ inserted: v.number(), updated: v.number(), unchanged: v.number(), deleted: v.number() }),
  handler: async (ctx, { events }) => {
    const userId = await currentUserId(ctx);
    if (userId === null) throw new Error('sign in first');
    const rows: WatchEvent[] = events.map((event) => ({ userId, ...event }));
    for (const row of rows) {
      const existing = await ctx.db
        .query('watch_events')
        .withIndex('by_user_event', (q) => q.eq('userId', userId).eq('eventId', row.eventId))
        .unique();
      if (existing) await ctx.db.replace(existing._id, row);
      else await ctx.db.insert('watch_events', row);
    }
    return agg.recordWatches(ctx, userId, rows.map(watchRecordOf));
  },
});

/** Removes some of the user's watches, here and in agg. */
export const remove = mutation({
  args: { eventIds: v.array(v.string()) },
  returns: v.number(),
  handler: async (ctx, { eventIds }) => {
    const userId = await currentUserId(ctx);
    if (userId === null) throw new Error('sign in first');
    for (const eventId of eventIds) {
      const existing = await ctx.db
        .query('watch_events')
        .withIndex('by_user_event', (q) => q.eq('userId', userId).eq('eventId', eventId))
        .unique();
      if (existing) await ctx.db.delete(existing._id);
    }
    return (await agg.deleteWatches(ctx, userId, eventIds)).deleted;
  },
});

/** A deletion request: the app's rows for the user (one batch here), and everything agg holds. */
export const forgetMe = mutation({
  args: {},
  returns: v.object({ done: v.boolean() }),
  handler: async (ctx) => {
    const userId = await currentUserId(ctx);
    if (userId === null) throw new Error('sign in first');
    const mine = await ctx.db.query('watch_events').withIndex('by_user', (q) => q.eq('userId', userId)).take(1000);
    for (const row of mine) await ctx.db.delete(row._id);
    const { done } = await agg.deleteUser(ctx, userId);
    return { done: done && mine.length < 1000 };
  },
});
