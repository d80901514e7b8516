import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import type { Doc } from './_generated/dataModel.js';
import { internalMutation, internalQuery } from './_generated/server.js';
import { changeEntryValidator, pageOf } from './validators.js';

function entryOf(doc: Doc<'data_change_log'>) {
  const { _id, _creationTime, ...entry } = doc;
  return entry;
}

/** Unprocessed entries in (userId, changedAt) order, so the client can group them by user. */
export const pending = internalQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: pageOf(changeEntryValidator),
  handler: async (ctx, { paginationOpts }) => {
    const result = await ctx.db
      .query('data_change_log')
      .withIndex('by_processed_user', (q) => q.eq('processed', false))
      .paginate(paginationOpts);
    return { page: result.page.map(entryOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const forUser = internalQuery({
  args: { userId: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(changeEntryValidator),
  handler: async (ctx, { userId, paginationOpts }) => {
    const result = await ctx.db
      .query('data_change_log')
      .withIndex('by_user_changedAt', (q) => q.eq('userId', userId))
      .paginate(paginationOpts);
    return { page: result.page.map(entryOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/**
 * Marks exactly the given entries processed, each only if it is unchanged since the caller read it:
 * an entry extended meanwhile (a later batch of the same import) stays unprocessed.
 */
export const markProcessed = internalMutation({
  args: { userId: v.string(), changes: v.array(v.object({ changeId: v.string(), changedAt: v.string(), revision: v.optional(v.string()) })), at: v.string() },
  /** How many entries were marked. */
  returns: v.number(),
  handler: async (ctx, { userId, changes, at }) => {
    let marked = 0;
    for (const { changeId, changedAt, revision } of changes) {
      const entry = await ctx.db.query('data_change_log').withIndex('by_changeId', (q) => q.eq('changeId', changeId)).unique();
      // The revision tells an entry extended within the same millisecond from one that was not.
      if (entry && entry.userId === userId && !entry.processed && entry.changedAt === changedAt && (revision === undefined || entry.revision === revision)) {
        await ctx.db.patch(entry._id, { processed: true, processedAt: at });
        marked++;
      }
    }
    return marked;
  },
});
