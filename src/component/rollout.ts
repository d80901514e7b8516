import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import type { Doc } from './_generated/dataModel.js';
import { internalMutation, internalQuery } from './_generated/server.js';
import { eventFields, eventValidator, flagChangeOutcomeValidator, flagFields, flagValidator, overrideFields, overrideValidator, pageOf } from './validators.js';

function strip<T extends { _id: unknown; _creationTime: unknown }>(doc: T): Omit<T, '_id' | '_creationTime'> {
  const { _id, _creationTime, ...rest } = doc;
  return rest;
}

export const getFlag = internalQuery({
  args: { flag: v.string() },
  returns: v.nullable(flagValidator),
  handler: async (ctx, { flag }) => {
    const doc = await ctx.db.query('rollout_flags').withIndex('by_flag', (q) => q.eq('flag', flag)).unique();
    return doc ? strip(doc) : null;
  },
});

/** Every flag (there are few: one per feature the app gates). */
export const listFlags = internalQuery({
  args: {},
  returns: v.array(flagValidator),
  handler: async (ctx) => (await ctx.db.query('rollout_flags').withIndex('by_flag').take(1000)).map(strip),
});

export const listOverrides = internalQuery({
  args: { flag: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(overrideValidator),
  handler: async (ctx, { flag, paginationOpts }) => {
    const result = await ctx.db
      .query('rollout_overrides')
      .withIndex('by_flag_user', (q) => q.eq('flag', flag))
      .paginate(paginationOpts);
    return { page: result.page.map(strip), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const listEvents = internalQuery({
  args: { flag: v.string(), limit: v.number() },
  returns: v.array(eventValidator),
  handler: async (ctx, { flag, limit }) => {
    const events = await ctx.db
      .query('rollout_events')
      .withIndex('by_flag_at', (q) => q.eq('flag', flag))
      .order('desc')
      .take(limit);
    return events.map((event: Doc<'rollout_events'>) => strip(event));
  },
});

/**
 * One atomic change: the flag, its overrides and the audit event together, or nothing. Idempotent by
 * eventId (a retried call after a lost answer changes nothing), and refused when the flag changed
 * since the caller read it.
 */
export const applyChange = internalMutation({
  args: {
    flag: v.object(flagFields),
    setOverrides: v.array(v.object(overrideFields)),
    clearOverrides: v.array(v.string()),
    event: v.object(eventFields),
    expectedUpdatedAt: v.union(v.string(), v.null()),
  },
  returns: flagChangeOutcomeValidator,
  handler: async (ctx, { flag, setOverrides, clearOverrides, event, expectedUpdatedAt }) => {
    const done = await ctx.db.query('rollout_events').withIndex('by_eventId', (q) => q.eq('eventId', event.eventId)).unique();
    if (done) return { applied: true as const };
    const existing = await ctx.db.query('rollout_flags').withIndex('by_flag', (q) => q.eq('flag', flag.flag)).unique();
    if ((existing?.updatedAt ?? null) !== expectedUpdatedAt) return { applied: false as const, reason: 'conflict' as const };
    if (existing) await ctx.db.replace(existing._id, flag);
    else await ctx.db.insert('rollout_flags', flag);
    for (const userId of clearOverrides) {
      const override = await ctx.db.query('rollout_overrides').withIndex('by_flag_user', (q) => q.eq('flag', flag.flag).eq('userId', userId)).unique();
      if (override) await ctx.db.delete(override._id);
    }
    for (const override of setOverrides) {
      const current = await ctx.db
        .query('rollout_overrides')
        .withIndex('by_flag_user', (q) => q.eq('flag', override.flag).eq('userId', override.userId))
        .unique();
      if (current) await ctx.db.patch(current._id, { mode: override.mode });
      else await ctx.db.insert('rollout_overrides', override);
    }
    await ctx.db.insert('rollout_events', event);
    return { applied: true as const };
  },
});
