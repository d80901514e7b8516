import { v } from 'convex/values';
import { inputRecordSchema } from '../core/record.js';
import { toStoredRecord } from '../core/stored-record.js';
import { internal } from './_generated/api.js';
import type { MutationCtx } from './_generated/server.js';
import { internalMutation, mutation } from './_generated/server.js';
import { ingestOutcomeValidator, refuseOversizeBatch, userDeletionValidator } from './limits.js';
import { deleteRecords, writeRecords } from './records.js';
import { watchValidator } from './validators.js';

// The app keeps agg's mirror of its watch records in sync from its own ingestion mutations. Each call
// writes its change-log entry in the same transaction as the records, so `agg backfill --changed`
// cannot miss a change; each is idempotent by record id.

type Watch = typeof watchValidator.type;

function checkedWatch(watch: Watch, index: number) {
  const parsed = inputRecordSchema.safeParse(watch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`agg: record ${index} (${JSON.stringify(watch.id).slice(0, 80)}): ${issue.path.join('.') || 'record'} ${issue.message}`);
  }
  return toStoredRecord(parsed.data);
}

/** One change-log entry per user and instant: a later call in the same millisecond extends it. */
function appChange(userId: string, at: string, changeType: 'import' | 'update' | 'delete') {
  return { changeId: `app:${userId}:${at}`, changeType, at };
}

export const recordWatches = mutation({
  args: { userId: v.string(), records: v.array(watchValidator) },
  returns: ingestOutcomeValidator,
  handler: async (ctx, { userId, records }) => {
    if (userId === '') throw new Error('agg: the user id is empty');
    refuseOversizeBatch('records', records);
    const seen = new Set<string>();
    const stored = records.map((watch, index) => {
      if (seen.has(watch.id)) throw new Error(`agg: record id ${JSON.stringify(watch.id).slice(0, 80)} appears twice in one call`);
      seen.add(watch.id);
      return checkedWatch(watch, index);
    });
    // The change's instant is the mutation's own clock: one entry per user and instant.
    const written = await writeRecords(ctx, userId, stored, appChange(userId, new Date().toISOString(), 'import'));
    return { ...written, deleted: 0 };
  },
});

export const deleteWatches = mutation({
  args: { userId: v.string(), ids: v.array(v.string()) },
  returns: ingestOutcomeValidator,
  handler: async (ctx, { userId, ids }) => {
    refuseOversizeBatch('record ids', ids);
    const { deleted, missing } = await deleteRecords(ctx, userId, new Set(ids), appChange(userId, new Date().toISOString(), 'delete'));
    return { inserted: 0, updated: 0, unchanged: missing, deleted };
  },
});

// Deleting a user: everything agg holds for them, table by table, in steps that each stay far inside
// one transaction's limits; a step that leaves work schedules the next.

type UserTable =
  | 'watch_records'
  | 'precomputed_aggregations'
  | 'aggregation_chunks'
  | 'aggregation_content_chunks'
  | 'aggregation_contents'
  | 'filter_combinations'
  | 'data_change_log'
  | 'rollout_overrides'
  | 'user_validations'
  | 'user_stats';

/** Per table: the user's documents, and how many one step takes (aggregations and chunks are large). */
const USER_TABLES: ReadonlyArray<{ table: UserTable; perStep: number; docs: (ctx: MutationCtx, userId: string, n: number) => Promise<Array<{ _id: any }>> }> = [
  { table: 'watch_records', perStep: 1000, docs: (ctx, userId, n) => ctx.db.query('watch_records').withIndex('by_user_record', (q) => q.eq('userId', userId)).take(n) },
  { table: 'aggregation_chunks', perStep: 8, docs: (ctx, userId, n) => ctx.db.query('aggregation_chunks').withIndex('by_owner', (q) => q.eq('userId', userId)).take(n) },
  { table: 'precomputed_aggregations', perStep: 8, docs: (ctx, userId, n) => ctx.db.query('precomputed_aggregations').withIndex('by_key', (q) => q.eq('userId', userId)).take(n) },
  // Shared content after the headers that refer to it: pieces up to 768 KiB each, then the small heads.
  { table: 'aggregation_content_chunks', perStep: 8, docs: (ctx, userId, n) => ctx.db.query('aggregation_content_chunks').withIndex('by_content', (q) => q.eq('userId', userId)).take(n) },
  { table: 'aggregation_contents', perStep: 500, docs: (ctx, userId, n) => ctx.db.query('aggregation_contents').withIndex('by_user_data', (q) => q.eq('userId', userId)).take(n) },
  { table: 'filter_combinations', perStep: 500, docs: (ctx, userId, n) => ctx.db.query('filter_combinations').withIndex('by_user_filter', (q) => q.eq('userId', userId)).take(n) },
  { table: 'data_change_log', perStep: 1000, docs: (ctx, userId, n) => ctx.db.query('data_change_log').withIndex('by_user_changedAt', (q) => q.eq('userId', userId)).take(n) },
  { table: 'rollout_overrides', perStep: 500, docs: (ctx, userId, n) => ctx.db.query('rollout_overrides').withIndex('by_user', (q) => q.eq('userId', userId)).take(n) },
  { table: 'user_validations', perStep: 10, docs: (ctx, userId, n) => ctx.db.query('user_validations').withIndex('by_user', (q) => q.eq('userId', userId)).take(n) },
  { table: 'user_stats', perStep: 10, docs: (ctx, userId, n) => ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).take(n) },
];

/**
 * One step: deletes from the first table that still holds the user's documents. With `continueAfter`,
 * schedules the next step itself (the app's path); the CLI calls step after step instead.
 */
async function deleteUserStep(ctx: MutationCtx, userId: string, continueAfter: boolean): Promise<{ deleted: number; done: boolean; table: UserTable | null }> {
  for (const { table, perStep, docs } of USER_TABLES) {
    const batch = await docs(ctx, userId, perStep + 1);
    if (batch.length === 0) continue;
    const now = batch.slice(0, perStep);
    for (const doc of now) await ctx.db.delete(doc._id);
    // Whatever remains (here or in a later table), the next step finds; the step that finds nothing ends.
    if (continueAfter) await ctx.scheduler.runAfter(0, internal.ingest.continueDeleteUser, { userId });
    return { deleted: now.length, done: false, table };
  }
  return { deleted: 0, done: true, table: null };
}

/**
 * Removes every record, result, filter combination, change-log entry, override and validation agg
 * holds for the user (a deletion request). The first step runs in the caller's transaction; the rest
 * follow as scheduled steps. Rollout audit events are kept: they are the log of who changed what.
 */
export const deleteUser = mutation({
  args: { userId: v.string() },
  returns: userDeletionValidator,
  handler: async (ctx, { userId }) => {
    const { deleted, done } = await deleteUserStep(ctx, userId, true);
    return { deleted, done };
  },
});

export const continueDeleteUser = internalMutation({
  args: { userId: v.string() },
  returns: userDeletionValidator,
  handler: async (ctx, { userId }) => {
    const { deleted, done } = await deleteUserStep(ctx, userId, true);
    return { deleted, done };
  },
});

/** `agg delete-user`: one bounded step, no scheduling; the CLI calls again until `done`. */
export const deleteUserBatch = internalMutation({
  args: { userId: v.string() },
  returns: v.object({ deleted: v.number(), done: v.boolean(), table: v.union(v.string(), v.null()) }),
  handler: async (ctx, { userId }) => deleteUserStep(ctx, userId, false),
});
