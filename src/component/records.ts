import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import type { Doc } from './_generated/dataModel.js';
import { type MutationCtx, internalMutation, internalQuery } from './_generated/server.js';
import { nextRecordsRevision } from '../core/records-revision.js';
import { changeStampValidator, pageOf, recordValidator, recordWriteValidator, userSummaryValidator } from './validators.js';

type StoredRecord = typeof recordValidator.type;
type ChangeStamp = typeof changeStampValidator.type;

function recordOf(doc: Doc<'watch_records'>): StoredRecord {
  const { _id, _creationTime, userId, ...record } = doc;
  return record;
}

export function sameRecord(doc: Doc<'watch_records'>, record: StoredRecord): boolean {
  const stored = recordOf(doc) as Record<string, unknown>;
  const incoming = record as Record<string, unknown>;
  const keys = new Set([...Object.keys(stored), ...Object.keys(incoming)]);
  for (const key of keys) if (JSON.stringify(stored[key]) !== JSON.stringify(incoming[key])) return false;
  return true;
}

/**
 * Keeps user_stats exact: count, first and last instants (from the index), last change, and a new
 * records revision, which it returns (the change-log entry records it too).
 */
export async function touchStats(ctx: MutationCtx, userId: string, countDelta: number, change: { changeId: string; at: string }): Promise<string> {
  const at = change.at;
  const stats = await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
  const recordsRevision = nextRecordsRevision(stats?.recordsRevision, change);
  const recordCount = (stats?.recordCount ?? 0) + countDelta;
  if (recordCount <= 0) {
    if (stats) await ctx.db.delete(stats._id);
    return recordsRevision;
  }
  const dated = (order: 'asc' | 'desc') =>
    ctx.db.query('watch_records').withIndex('by_user_watchedAt', (q) => q.eq('userId', userId).gte('watchedAt', '')).order(order).first();
  const first = await dated('asc');
  const last = await dated('desc');
  const fields = {
    userId,
    recordCount,
    firstWatchedAt: first?.watchedAt ?? null,
    lastWatchedAt: last?.watchedAt ?? null,
    lastChangeAt: at,
    gridFreshUntil: stats?.gridFreshUntil ?? null,
    recordsRevision,
  };
  if (stats) await ctx.db.replace(stats._id, fields);
  else await ctx.db.insert('user_stats', fields);
  return recordsRevision;
}

/** One change-log entry per changeId: retries and later batches of the same import extend it. */
export async function extendChange(ctx: MutationCtx, userId: string, change: ChangeStamp, recordCount: number, revision: string): Promise<void> {
  const entry = await ctx.db.query('data_change_log').withIndex('by_changeId', (q) => q.eq('changeId', change.changeId)).unique();
  if (entry) {
    await ctx.db.patch(entry._id, { recordCount: entry.recordCount + recordCount, changedAt: change.at, processed: false, processedAt: null, revision });
  } else {
    await ctx.db.insert('data_change_log', {
      changeId: change.changeId,
      userId,
      changeType: change.changeType,
      recordCount,
      changedAt: change.at,
      processed: false,
      processedAt: null,
      revision,
    });
  }
}

/**
 * Writes a user's records, keyed by record id: new ones inserted, changed ones replaced, equal ones
 * left alone; user_stats and the change-log entry follow in the same transaction when anything changed.
 */
export async function writeRecords(ctx: MutationCtx, userId: string, records: readonly StoredRecord[], change: ChangeStamp) {
  let inserted = 0;
  let updated = 0;
  let unchanged = 0;
  for (const record of records) {
    const existing = await ctx.db
      .query('watch_records')
      .withIndex('by_user_record', (q) => q.eq('userId', userId).eq('recordId', record.recordId))
      .unique();
    if (!existing) {
      await ctx.db.insert('watch_records', { userId, ...record });
      inserted++;
    } else if (sameRecord(existing, record)) {
      unchanged++;
    } else {
      await ctx.db.replace(existing._id, { userId, ...record });
      updated++;
    }
  }
  if (inserted + updated > 0) {
    await extendChange(ctx, userId, change, inserted + updated, await touchStats(ctx, userId, inserted, change));
  }
  return { inserted, updated, unchanged };
}

/** Deletes a user's records by id (missing ones are fine), keeping user_stats and the change log exact. */
export async function deleteRecords(ctx: MutationCtx, userId: string, recordIds: Iterable<string>, change: ChangeStamp) {
  let deleted = 0;
  let missing = 0;
  for (const recordId of recordIds) {
    const existing = await ctx.db
      .query('watch_records')
      .withIndex('by_user_record', (q) => q.eq('userId', userId).eq('recordId', recordId))
      .unique();
    if (existing) {
      await ctx.db.delete(existing._id);
      deleted++;
    } else missing++;
  }
  if (deleted > 0) {
    await extendChange(ctx, userId, change, deleted, await touchStats(ctx, userId, -deleted, change));
  }
  return { deleted, missing };
}

/** Idempotent upsert of one batch (the client keeps batches under the per-transaction limits). */
export const putBatch = internalMutation({
  args: { userId: v.string(), records: v.array(recordValidator), change: changeStampValidator },
  returns: recordWriteValidator,
  handler: async (ctx, { userId, records, change }) => writeRecords(ctx, userId, records, change),
});

export const deleteBatch = internalMutation({
  args: { userId: v.string(), recordIds: v.array(v.string()), change: changeStampValidator },
  /** How many of the records existed and were deleted. */
  returns: v.number(),
  handler: async (ctx, { userId, recordIds, change }) => (await deleteRecords(ctx, userId, recordIds, change)).deleted,
});

export const page = internalQuery({
  args: { userId: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(recordValidator),
  handler: async (ctx, { userId, paginationOpts }) => {
    const result = await ctx.db
      .query('watch_records')
      .withIndex('by_user_record', (q) => q.eq('userId', userId))
      .paginate(paginationOpts);
    return { page: result.page.map(recordOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

function summaryOf(stats: Doc<'user_stats'>) {
  const { _id, _creationTime, ...summary } = stats;
  return { ...summary, gridFreshUntil: summary.gridFreshUntil ?? null, recordsRevision: summary.recordsRevision ?? null };
}

/** Kept by backfill: until when every default-grid aggregation of the user is fresh (eligibility). */
export const setGridFreshness = internalMutation({
  args: { userId: v.string(), freshUntil: v.union(v.string(), v.null()) },
  returns: v.null(),
  handler: async (ctx, { userId, freshUntil }) => {
    const stats = await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
    if (stats && stats.gridFreshUntil !== freshUntil) await ctx.db.patch(stats._id, { gridFreshUntil: freshUntil });
  },
});

/**
 * After renewals: raises each user's gridFreshUntil to at least `atLeast` (a bound the caller proved:
 * every default-grid row of the user expires no earlier). Never lowers it, never sets an unknown one.
 */
export const raiseGridFreshness = internalMutation({
  args: { users: v.array(v.object({ userId: v.string(), atLeast: v.string() })), now: v.string() },
  /** How many users were raised, and those refused: gridFreshUntil unknown or past at `now` (their grid may have lost a row). */
  returns: v.object({ raised: v.number(), refused: v.array(v.string()) }),
  handler: async (ctx, { users, now }) => {
    let raised = 0;
    const refused: string[] = [];
    for (const { userId, atLeast } of users) {
      const stats = await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
      const current = stats?.gridFreshUntil ?? null;
      if (!stats || current === null || current < now) refused.push(userId);
      else if (current < atLeast) {
        await ctx.db.patch(stats._id, { gridFreshUntil: atLeast });
        raised++;
      }
    }
    return { raised, refused };
  },
});

export const listUsers = internalQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: pageOf(userSummaryValidator),
  handler: async (ctx, { paginationOpts }) => {
    const result = await ctx.db.query('user_stats').withIndex('by_user').paginate(paginationOpts);
    return { page: result.page.map(summaryOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const getUser = internalQuery({
  args: { userId: v.string() },
  returns: v.nullable(userSummaryValidator),
  handler: async (ctx, { userId }) => {
    const stats = await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
    return stats ? summaryOf(stats) : null;
  },
});
