import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import { orphanReason } from '../core/expected-aggregations.js';
import type { Doc } from './_generated/dataModel.js';
import { type QueryCtx, internalMutation, internalQuery } from './_generated/server.js';
import { documentBytes } from './lib/archiveRows.js';
import { type AggregationDoc, findAggregation } from './lib/aggregationRows.js';
import { type StaleContent, contentReferenced, ownsChunks, releaseDeleted } from './lib/contentRows.js';
import {
  aggregationKeyFields,
  changeEntryValidator,
  deletionValidator,
  deletionWithChunksValidator,
  filterCombinationValidator,
  pageOf,
  runValidator,
} from './validators.js';

// What `agg cleanup` deletes. Each query finds candidates; each mutation re-checks the candidate's
// condition inside its own transaction, so a row refreshed or reused since it was found survives, and
// a retried call (after a lost answer) deletes nothing twice.

type ChunkKey = { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string; dataHash: string };

function strip<T extends { _id: unknown; _creationTime: unknown }>(doc: T): Omit<T, '_id' | '_creationTime'> {
  const { _id, _creationTime, ...rest } = doc;
  return rest;
}

export const staleFilterCombinations = internalQuery({
  args: { before: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(filterCombinationValidator),
  handler: async (ctx, { before, paginationOpts }) => {
    const result = await ctx.db
      .query('filter_combinations')
      .withIndex('by_lastUsed', (q) => q.lt('lastUsed', before))
      .paginate(paginationOpts);
    return {
      page: result.page.map(({ userId, filters, filterHash, lastUsed, usageCount }) => ({ userId, filters, filterHash, lastUsed, usageCount })),
      isDone: result.isDone,
      continueCursor: result.continueCursor,
    };
  },
});

export const deleteStaleFilterCombinations = internalMutation({
  args: { keys: v.array(v.object({ userId: v.string(), filterHash: v.string() })), before: v.string() },
  returns: deletionValidator,
  handler: async (ctx, { keys, before }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    for (const key of keys) {
      const doc = await ctx.db
        .query('filter_combinations')
        .withIndex('by_user_filter', (q) => q.eq('userId', key.userId).eq('filterHash', key.filterHash))
        .unique();
      if (!doc) {
        missing++;
        continue;
      }
      if (!(doc.lastUsed < before)) continue;
      await ctx.db.delete(doc._id);
      deleted++;
      bytesFreed += documentBytes(doc);
    }
    return { deleted, missing, bytesFreed };
  },
});

async function userExists(ctx: QueryCtx, userId: string, cache: Map<string, boolean>): Promise<boolean> {
  let exists = cache.get(userId);
  if (exists === undefined) {
    exists = (await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique()) !== null;
    cache.set(userId, exists);
  }
  return exists;
}

/** Deletes aggregations that are still orphans (core's orphanReason); returns their chunk sets to delete. */
export const deleteOrphanAggregations = internalMutation({
  args: { keys: v.array(v.object(aggregationKeyFields)) },
  returns: deletionWithChunksValidator,
  handler: async (ctx, { keys }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    const stale = { staleChunks: [] as ChunkKey[], staleContents: [] as StaleContent[] };
    const users = new Map<string, boolean>();
    for (const key of keys) {
      const doc = await findAggregation(ctx, key);
      if (!doc) {
        missing++;
        continue;
      }
      const exists = await userExists(ctx, key.userId, users);
      const used =
        exists &&
        (await ctx.db
          .query('filter_combinations')
          .withIndex('by_user_filter', (q) => q.eq('userId', key.userId).eq('filterHash', key.filterHash))
          .unique()) !== null;
      if (orphanReason({ userExists: exists, filterHash: key.filterHash, combinationHashes: new Set(used ? [key.filterHash] : []) }) === null) continue;
      await ctx.db.delete(doc._id);
      await releaseDeleted(ctx, doc, stale);
      deleted++;
      bytesFreed += doc.metadata.bytes;
    }
    return { deleted, missing, bytesFreed, ...stale };
  },
});

export const processedChanges = internalQuery({
  args: { before: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(changeEntryValidator),
  handler: async (ctx, { before, paginationOpts }) => {
    const result = await ctx.db
      .query('data_change_log')
      .withIndex('by_processed_changedAt', (q) => q.eq('processed', true).lt('changedAt', before))
      .paginate(paginationOpts);
    return { page: result.page.map(strip), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const deleteProcessedChanges = internalMutation({
  args: { changeIds: v.array(v.string()), before: v.string() },
  returns: deletionValidator,
  handler: async (ctx, { changeIds, before }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    for (const changeId of changeIds) {
      const doc = await ctx.db.query('data_change_log').withIndex('by_changeId', (q) => q.eq('changeId', changeId)).unique();
      // An entry extended since it was found is unprocessed again (or newer): it stays.
      if (!doc) {
        missing++;
        continue;
      }
      if (!doc.processed || !(doc.changedAt < before)) continue;
      await ctx.db.delete(doc._id);
      deleted++;
      bytesFreed += documentBytes(doc);
    }
    return { deleted, missing, bytesFreed };
  },
});

export const finishedRuns = internalQuery({
  args: { before: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(runValidator),
  handler: async (ctx, { before, paginationOpts }) => {
    const result = await ctx.db
      .query('agg_runs')
      // null (still running) sorts before every string.
      .withIndex('by_finishedAt', (q) => q.gte('finishedAt', '').lt('finishedAt', before))
      .paginate(paginationOpts);
    return { page: result.page.map((run: Doc<'agg_runs'>) => ({ ...strip(run), checkpoint: run.checkpoint ?? null })), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const deleteFinishedRuns = internalMutation({
  args: { runIds: v.array(v.string()), before: v.string() },
  returns: deletionValidator,
  handler: async (ctx, { runIds, before }) => {
    let deleted = 0;
    let missing = 0;
    let bytesFreed = 0;
    for (const runId of runIds) {
      const doc = await ctx.db.query('agg_runs').withIndex('by_runId', (q) => q.eq('runId', runId)).unique();
      if (!doc) {
        missing++;
        continue;
      }
      if (doc.finishedAt === null || !(doc.finishedAt < before)) continue;
      await ctx.db.delete(doc._id);
      deleted++;
      bytesFreed += documentBytes(doc);
    }
    return { deleted, missing, bytesFreed };
  },
});

function referenced(header: AggregationDoc | null, dataHash: string): boolean {
  return header !== null && ownsChunks(header) && header.dataHash === dataHash;
}

/**
 * Chunks that no header references and that are at least `minAgeMs` old, one item per chunk (the
 * client groups them into sets). Pages are bounded by bytes read: chunks are large.
 */
export const orphanChunks = internalQuery({
  args: { minAgeMs: v.number(), paginationOpts: paginationOptsValidator },
  // aggregationType as aggregation_chunks stores it (a string; putChunks only writes known types).
  returns: pageOf(
    v.object({ userId: v.string(), aggregationType: v.string(), filterHash: v.string(), dataHash: v.string(), seq: v.number(), bytes: v.number() }),
  ),
  handler: async (ctx, { minAgeMs, paginationOpts }) => {
    const now = Date.now();
    const result = await ctx.db.query('aggregation_chunks').withIndex('by_owner').paginate(paginationOpts);
    const headers = new Map<string, AggregationDoc | null>();
    const page = [];
    for (const chunk of result.page) {
      const owner = `${chunk.userId}\u0000${chunk.aggregationType}\u0000${chunk.filterHash}`;
      if (!headers.has(owner)) {
        headers.set(owner, await findAggregation(ctx, { userId: chunk.userId, aggregationType: chunk.aggregationType as AggregationDoc['aggregationType'], filterHash: chunk.filterHash }));
      }
      if (referenced(headers.get(owner)!, chunk.dataHash) || now - chunk._creationTime < minAgeMs) continue;
      page.push({
        userId: chunk.userId,
        aggregationType: chunk.aggregationType,
        filterHash: chunk.filterHash,
        dataHash: chunk.dataHash,
        seq: chunk.seq,
        bytes: new TextEncoder().encode(chunk.text).length,
      });
    }
    return { page, isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/**
 * Deletes up to `limit` chunks of one set if no header references it and none of them is younger
 * than `minAgeMs` (a write in progress puts chunks in before its header); call again until `done`.
 */
export const deleteOrphanChunks = internalMutation({
  args: { ...aggregationKeyFields, dataHash: v.string(), minAgeMs: v.number(), limit: v.number() },
  returns: v.object({ deleted: v.number(), bytesFreed: v.number(), done: v.boolean() }),
  handler: async (ctx, { userId, aggregationType, filterHash, dataHash, minAgeMs, limit }) => {
    if (referenced(await findAggregation(ctx, { userId, aggregationType, filterHash }), dataHash)) return { deleted: 0, bytesFreed: 0, done: true };
    const chunks = await ctx.db
      .query('aggregation_chunks')
      .withIndex('by_owner', (q) => q.eq('userId', userId).eq('aggregationType', aggregationType).eq('filterHash', filterHash).eq('dataHash', dataHash))
      .take(limit + 1);
    const now = Date.now();
    if (chunks.some((chunk) => now - chunk._creationTime < minAgeMs)) return { deleted: 0, bytesFreed: 0, done: true };
    const batch = chunks.slice(0, limit);
    let bytesFreed = 0;
    for (const chunk of batch) {
      await ctx.db.delete(chunk._id);
      bytesFreed += new TextEncoder().encode(chunk.text).length;
    }
    return { deleted: batch.length, bytesFreed, done: chunks.length <= limit };
  },
});

/**
 * Shared contents no header refers to (heads `deleting`, whose pieces a client left behind, or heads
 * in any state unreferenced for at least `minAgeMs`: a writer that died before its header). Heads are
 * small; deleting goes through contents:deleteContents with `orphanAfterMs`.
 */
export const orphanContents = internalQuery({
  args: { minAgeMs: v.number(), paginationOpts: paginationOptsValidator },
  returns: pageOf(v.object({ userId: v.string(), dataHash: v.string(), chunkCount: v.number(), bytes: v.number() })),
  handler: async (ctx, { minAgeMs, paginationOpts }) => {
    const now = Date.now();
    const result = await ctx.db.query('aggregation_contents').withIndex('by_user_data').paginate(paginationOpts);
    const page = [];
    for (const head of result.page) {
      const orphan = head.state === 'deleting' || (now - head._creationTime >= minAgeMs && !(await contentReferenced(ctx, head)));
      if (orphan) page.push({ userId: head.userId, dataHash: head.dataHash, chunkCount: head.chunkCount, bytes: head.bytes });
    }
    return { page, isDone: result.isDone, continueCursor: result.continueCursor };
  },
});
