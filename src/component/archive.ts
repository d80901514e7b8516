import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import { canonicalJson } from '../core/json.js';
import type { Doc } from './_generated/dataModel.js';
import { type QueryCtx, internalMutation, internalQuery } from './_generated/server.js';
import { changeText, documentBytes, headerText, recordOfDoc, runText, sameStoredRecord } from './lib/archiveRows.js';
import { findAggregation } from './lib/aggregationRows.js';
import { type StaleContent, releaseDeleted } from './lib/contentRows.js';
import {
  type ChunkKey,
  findChange,
  findRecord,
  findRun,
  headerFields,
  restoreAggregationsIn,
  restoreChangesIn,
  restoreRecordsIn,
  restoreRunsIn,
} from './lib/archiveRestores.js';
import { extendChange, touchStats } from './records.js';
import {
  aggregationKeyFields,
  changeEntryFields,
  chunkKeyValidator,
  contentKeyValidator,
  conditionalDeletionFields,
  conditionalDeletionValidator,
  manifestStatusValidator,
  manifestValidator,
  manifestWriteOutcomeValidator,
  pageOf,
  recordFields,
  recordValidator,
  restoreOutcomeFields,
  restoreOutcomeValidator,
  runFields,
} from './validators.js';

// What `agg archive` reads, deletes and puts back. Deletions happen only where the store still holds
// exactly the archived copy; restores only where the key is free. Both are idempotent, so a retried
// call (after a lost answer) changes nothing twice. Records keep user_stats exact and log the change,
// so backfill recomputes the user's aggregations with or without them.

const changeRef = v.object({ manifestId: v.string(), at: v.string() });

function changeId(kind: 'archive' | 'restore', manifestId: string, userId: string): string {
  // Same text as archiveChangeId in src/store/maintenance.ts.
  return `${kind}:${manifestId}:${userId}`;
}

// Watch records

export const archivableRecords = internalQuery({
  args: { userId: v.string(), before: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(v.object({ userId: v.string(), ...recordFields })),
  handler: async (ctx, { userId, before, paginationOpts }) => {
    const result = await ctx.db
      .query('watch_records')
      // Undated records (null sorts before every string) are never archived by age.
      .withIndex('by_user_watchedAt', (q) => q.eq('userId', userId).gte('watchedAt', '').lt('watchedAt', before))
      .paginate(paginationOpts);
    return { page: result.page.map((doc) => ({ userId, ...recordOfDoc(doc) })), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const deleteRecords = internalMutation({
  args: { userId: v.string(), records: v.array(recordValidator), change: changeRef },
  returns: conditionalDeletionValidator,
  handler: async (ctx, { userId, records, change }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    const changed: number[] = [];
    for (const [index, record] of records.entries()) {
      const doc = await findRecord(ctx, userId, record.recordId);
      if (!doc) missing++;
      else if (!sameStoredRecord(doc, record)) changed.push(index);
      else {
        await ctx.db.delete(doc._id);
        deleted++;
        bytesFreed += documentBytes(doc);
      }
    }
    if (deleted > 0) {
      const stamp = { changeId: changeId('archive', change.manifestId, userId), changeType: 'archive' as const, at: change.at };
      await extendChange(ctx, userId, stamp, deleted, await touchStats(ctx, userId, -deleted, stamp));
    }
    return { deleted, changed: changed.length, changedRows: changed, missing, bytesFreed };
  },
});

export const restoreRecords = internalMutation({
  args: { userId: v.string(), records: v.array(recordValidator), change: changeRef },
  returns: restoreOutcomeValidator,
  handler: async (ctx, { userId, records, change }) => {
    const outcome = await restoreRecordsIn(ctx, userId, records, ctx);
    if (outcome.inserted > 0) {
      const stamp = { changeId: changeId('restore', change.manifestId, userId), changeType: 'restore' as const, at: change.at };
      await extendChange(ctx, userId, stamp, outcome.inserted, await touchStats(ctx, userId, outcome.inserted, stamp));
    }
    return outcome;
  },
});

export const planRestoreRecords = internalQuery({
  args: { userId: v.string(), records: v.array(recordValidator) },
  returns: restoreOutcomeValidator,
  handler: async (ctx, { userId, records }) => restoreRecordsIn(ctx, userId, records, null),
});

// Aggregations (headers; chunked data travels through aggregations:putChunks and :deleteChunks)

export const deleteAggregations = internalMutation({
  args: { headers: v.array(v.object(headerFields)) },
  returns: v.object({ ...conditionalDeletionFields, staleChunks: v.array(chunkKeyValidator), staleContents: v.array(contentKeyValidator) }),
  handler: async (ctx, { headers }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    const changed: number[] = [];
    const stale = { staleChunks: [] as ChunkKey[], staleContents: [] as StaleContent[] };
    for (const [index, header] of headers.entries()) {
      const doc = await findAggregation(ctx, header);
      if (!doc) missing++;
      else if (headerText(doc) !== headerText(header)) changed.push(index);
      else {
        await ctx.db.delete(doc._id);
        await releaseDeleted(ctx, doc, stale);
        deleted++;
        bytesFreed += doc.metadata.bytes;
      }
    }
    return { deleted, changed: changed.length, changedRows: changed, missing, bytesFreed, ...stale };
  },
});

export const restoreAggregations = internalMutation({
  args: {
    items: v.array(v.object({ ...headerFields, chunkCount: v.number(), data: v.optional(v.any()), shared: v.optional(v.boolean()), contentWritten: v.optional(v.boolean()) })),
  },
  returns: v.object({ ...restoreOutcomeFields, unusedChunks: v.array(chunkKeyValidator), needsContent: v.array(v.object(aggregationKeyFields)) }),
  handler: async (ctx, { items }) => restoreAggregationsIn(ctx, items, ctx),
});

export const planRestoreAggregations = internalQuery({
  args: { items: v.array(v.object(headerFields)) },
  returns: restoreOutcomeValidator,
  handler: async (ctx, { items }) => {
    const { inserted, identical, conflicting } = await restoreAggregationsIn(ctx, items, null);
    return { inserted, identical, conflicting };
  },
});

// Change log

export const deleteChanges = internalMutation({
  args: { entries: v.array(v.object(changeEntryFields)) },
  returns: conditionalDeletionValidator,
  handler: async (ctx, { entries }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    const changed: number[] = [];
    for (const [index, entry] of entries.entries()) {
      const doc = await findChange(ctx, entry.changeId);
      if (!doc) missing++;
      else if (changeText(doc) !== changeText(entry)) changed.push(index);
      else {
        await ctx.db.delete(doc._id);
        deleted++;
        bytesFreed += documentBytes(doc);
      }
    }
    return { deleted, changed: changed.length, changedRows: changed, missing, bytesFreed };
  },
});

export const restoreChanges = internalMutation({
  args: { entries: v.array(v.object(changeEntryFields)) },
  returns: restoreOutcomeValidator,
  handler: async (ctx, { entries }) => restoreChangesIn(ctx, entries, ctx),
});

export const planRestoreChanges = internalQuery({
  args: { entries: v.array(v.object(changeEntryFields)) },
  returns: restoreOutcomeValidator,
  handler: async (ctx, { entries }) => restoreChangesIn(ctx, entries, null),
});

// Run ledger

export const deleteRuns = internalMutation({
  args: { runs: v.array(v.object(runFields)) },
  returns: conditionalDeletionValidator,
  handler: async (ctx, { runs }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    const changed: number[] = [];
    for (const [index, run] of runs.entries()) {
      const doc = await findRun(ctx, run.runId);
      if (!doc) missing++;
      else if (runText(doc) !== runText(run)) changed.push(index);
      else {
        await ctx.db.delete(doc._id);
        deleted++;
        bytesFreed += documentBytes(doc);
      }
    }
    return { deleted, changed: changed.length, changedRows: changed, missing, bytesFreed };
  },
});

export const restoreRuns = internalMutation({
  args: { runs: v.array(v.object(runFields)) },
  returns: restoreOutcomeValidator,
  handler: async (ctx, { runs }) => restoreRunsIn(ctx, runs, ctx),
});

export const planRestoreRuns = internalQuery({
  args: { runs: v.array(v.object(runFields)) },
  returns: restoreOutcomeValidator,
  handler: async (ctx, { runs }) => restoreRunsIn(ctx, runs, null),
});

// Manifests

function manifestOf(doc: Doc<'archive_manifests'>) {
  const { _id, _creationTime, ...row } = doc;
  return { ...row, manifest: row.manifest ?? null };
}

function findManifest(ctx: QueryCtx, manifestId: string) {
  return ctx.db.query('archive_manifests').withIndex('by_manifestId', (q) => q.eq('manifestId', manifestId)).unique();
}

export const listManifests = internalQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: pageOf(manifestValidator),
  handler: async (ctx, { paginationOpts }) => {
    const result = await ctx.db.query('archive_manifests').withIndex('by_manifestId').paginate(paginationOpts);
    return { page: result.page.map(manifestOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const getManifest = internalQuery({
  args: { manifestId: v.string() },
  returns: v.nullable(manifestValidator),
  handler: async (ctx, { manifestId }) => {
    const doc = await findManifest(ctx, manifestId);
    return doc ? manifestOf(doc) : null;
  },
});

/** Creates or advances a manifest row; a retry of a write that already took effect is a no-op. */
export const putManifest = internalMutation({
  args: { row: manifestValidator, expectedStatus: v.union(manifestStatusValidator, v.null()) },
  returns: manifestWriteOutcomeValidator,
  handler: async (ctx, { row, expectedStatus }) => {
    const doc = await findManifest(ctx, row.manifestId);
    if (doc && canonicalJson(manifestOf(doc)) === canonicalJson({ ...row, manifest: row.manifest ?? null })) return { applied: true as const };
    if ((doc?.status ?? null) !== expectedStatus) return { applied: false as const, current: doc?.status ?? null };
    if (doc) await ctx.db.replace(doc._id, row);
    else await ctx.db.insert('archive_manifests', row);
    return { applied: true as const };
  },
});

export const deleteManifest = internalMutation({
  args: { manifestId: v.string(), expectedStatus: manifestStatusValidator },
  /** False when the row is in another status than expected; true when deleted now or before. */
  returns: v.boolean(),
  handler: async (ctx, { manifestId, expectedStatus }) => {
    const doc = await findManifest(ctx, manifestId);
    if (!doc) return true;
    if (doc.status !== expectedStatus) return false;
    await ctx.db.delete(doc._id);
    return true;
  },
});
