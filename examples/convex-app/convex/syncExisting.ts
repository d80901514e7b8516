import { v } from 'convex/values';
import { INGEST_LIMITS } from 'agg';
import { agg, watchRecordOf } from './agg.js';
import { internal } from './_generated/api.js';
import type { Doc } from './_generated/dataModel.js';
import { internalMutation } from './_generated/server.js';

/**
 * For watches the app held before it installed agg: one pass over watch_events, a page per
 * transaction, each page handed to agg user by user; each step schedules the next. Run it once with
 * `npx convex run syncExisting:run`. Idempotent (agg keys records by id), so a rerun or an overlap
 * with live ingestion changes nothing twice. A @convex-dev/migrations migration over watch_events that
 * calls agg.recordWatches per document does the same with progress tracking.
 */
export const run = internalMutation({
  args: { cursor: v.optional(v.union(v.string(), v.null())), pageSize: v.optional(v.number()) },
  returns: v.object({ synced: v.number(), isDone: v.boolean() }),
  handler: async (ctx, { cursor, pageSize }) => {
    // A page holds at most one recordWatches call's worth of one user's events.
    if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > INGEST_LIMITS.itemsPerCall)) {
      throw new Error(`syncExisting: pageSize must be a whole number from 1 to ${INGEST_LIMITS.itemsPerCall}, not ${pageSize}`);
    }
    const page = await ctx.db.query('watch_events').paginate({ cursor: cursor ?? null, numItems: pageSize ?? 200 });
    const byUser = new Map<string, Doc<'watch_events'>[]>();
    for (const event of page.page) byUser.set(event.userId, [...(byUser.get(event.userId) ?? []), event]);
    for (const [userId, events] of byUser) await agg.recordWatches(ctx, userId, events.map(watchRecordOf));
    if (!page.isDone) await ctx.scheduler.runAfter(0, internal.syncExisting.run, { cursor: page.continueCursor, ...(pageSize ? { pageSize } : {}) });
    return { synced: page.page.length, isDone: page.isDone };
  },
});
