import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import { type MutationCtx, type QueryCtx, internalMutation, internalQuery } from './_generated/server.js';
import { type AggregationDoc, aggregationDocOf, digestOf, findAggregation, releaseReplaced, upsertItem } from './lib/aggregationRows.js';
import { type StaleContent, acquireContent, contentChunks, ownsChunks, releaseDeleted } from './lib/contentRows.js';
import {
  aggregationKeyFields,
  batchDeletionValidator,
  chunkKeyValidator,
  chunkTextValidator,
  contentKeyValidator,
  deletionWithChunksValidator,
  digestValidator,
  pageOf,
  storedAggregationValidator,
} from './validators.js';

/** Digests of one user's aggregations (no data); the client passes a byte budget per page. */
export const digests = internalQuery({
  args: { userId: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(digestValidator),
  handler: async (ctx, { userId, paginationOpts }) => {
    const result = await ctx.db
      .query('precomputed_aggregations')
      .withIndex('by_key', (q) => q.eq('userId', userId))
      .paginate(paginationOpts);
    return { page: result.page.map(digestOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/** Shared data that comes along with its header when it fits one string value, up to this much per call. */
const SHARED_ALONG_MAX_BYTES = 4 * 1024 * 1024;
const SHARED_ALONG_ITEM_MAX_BYTES = 1000 * 1024;

/**
 * A header as read back. Shared data comes as its JSON text while `budget` lasts (the caller reads the
 * rest with readContent); chunked data of the old layout never does (readChunks).
 */
async function storedOf(ctx: QueryCtx, doc: AggregationDoc, budget: { bytes: number }) {
  const stored = { ...digestOf(doc), filters: doc.filters, data: doc.data ?? null };
  if (doc.shared !== true) return stored;
  if (doc.metadata.bytes > SHARED_ALONG_ITEM_MAX_BYTES || doc.metadata.bytes > budget.bytes) return { ...stored, shared: true };
  const chunks = await contentChunks(ctx, doc, doc.chunkCount + 1);
  budget.bytes -= doc.metadata.bytes;
  // A count that does not match is left to the caller's check against dataHash.
  if (chunks.length !== doc.chunkCount) return { ...stored, shared: true };
  return { ...stored, shared: true, json: chunks.map((chunk) => chunk.text).join('') };
}

/** A user's aggregations with inline data; chunked ones come with `data: null` and a chunkCount, shared ones with their `json` while it fits. */
export const forUser = internalQuery({
  args: { userId: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(storedAggregationValidator),
  handler: async (ctx, { userId, paginationOpts }) => {
    const result = await ctx.db
      .query('precomputed_aggregations')
      .withIndex('by_key', (q) => q.eq('userId', userId))
      .paginate(paginationOpts);
    // Inline data the page read already counts against what shared data may add.
    const inlineBytes = result.page.reduce((n, doc) => n + (doc.data !== undefined ? doc.metadata.bytes : 0), 0);
    const budget = { bytes: Math.max(0, SHARED_ALONG_MAX_BYTES - inlineBytes) };
    const page = [];
    for (const doc of result.page) page.push(await storedOf(ctx, doc, budget));
    return { page, isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const read = internalQuery({
  args: aggregationKeyFields,
  returns: v.nullable(storedAggregationValidator),
  handler: async (ctx, key) => {
    const doc = await findAggregation(ctx, key);
    if (!doc) return null;
    return storedOf(ctx, doc, { bytes: SHARED_ALONG_MAX_BYTES });
  },
});

const chunkOwner = { ...aggregationKeyFields, dataHash: v.string() };

export const readChunks = internalQuery({
  args: { ...chunkOwner, paginationOpts: paginationOptsValidator },
  returns: pageOf(chunkTextValidator),
  handler: async (ctx, { userId, aggregationType, filterHash, dataHash, paginationOpts }) => {
    const result = await ctx.db
      .query('aggregation_chunks')
      .withIndex('by_owner', (q) =>
        q.eq('userId', userId).eq('aggregationType', aggregationType).eq('filterHash', filterHash).eq('dataHash', dataHash),
      )
      .paginate(paginationOpts);
    return { page: result.page.map((chunk) => ({ seq: chunk.seq, text: chunk.text })), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/** Idempotent: a chunk is keyed by its owner, the data's hash and its sequence number. */
export const putChunks = internalMutation({
  args: { chunks: v.array(v.object({ ...chunkOwner, seq: v.number(), text: v.string() })) },
  /** How many chunks the call carried. */
  returns: v.number(),
  handler: async (ctx, { chunks }) => {
    for (const chunk of chunks) {
      const existing = await ctx.db
        .query('aggregation_chunks')
        .withIndex('by_owner', (q) =>
          q
            .eq('userId', chunk.userId)
            .eq('aggregationType', chunk.aggregationType)
            .eq('filterHash', chunk.filterHash)
            .eq('dataHash', chunk.dataHash)
            .eq('seq', chunk.seq),
        )
        .unique();
      if (existing) {
        if (existing.text !== chunk.text) await ctx.db.patch(existing._id, { text: chunk.text });
      } else {
        await ctx.db.insert('aggregation_chunks', chunk);
      }
    }
    return chunks.length;
  },
});

/** Deletes up to `limit` chunks of one (owner, dataHash); call again until `done`. */
export const deleteChunks = internalMutation({
  args: { ...chunkOwner, limit: v.number() },
  returns: batchDeletionValidator,
  handler: async (ctx, { userId, aggregationType, filterHash, dataHash, limit }) => {
    const chunks = await ctx.db
      .query('aggregation_chunks')
      .withIndex('by_owner', (q) =>
        q.eq('userId', userId).eq('aggregationType', aggregationType).eq('filterHash', filterHash).eq('dataHash', dataHash),
      )
      .take(limit + 1);
    const batch = chunks.slice(0, limit);
    for (const chunk of batch) await ctx.db.delete(chunk._id);
    return { deleted: batch.length, done: chunks.length <= limit };
  },
});

/**
 * Writes a batch of aggregation headers (with inline data, pointing at chunks already written, or at
 * the user's shared content for the dataHash). An item whose version and dataHash equal the stored
 * ones only refreshes expiresAt, unless `force`. Returns the items whose shared content must be put
 * first (`needsContent`, not written), and the chunk sets and contents that no header references any
 * more, for the client to delete (the contents are deleted already: their heads turned `deleting`).
 */
export const upsert = internalMutation({
  args: { items: v.array(upsertItem), force: v.boolean() },
  returns: v.object({
    written: v.number(),
    unchanged: v.number(),
    bytesWritten: v.number(),
    staleChunks: v.array(chunkKeyValidator),
    staleContents: v.array(contentKeyValidator),
    needsContent: v.array(v.object(aggregationKeyFields)),
  }),
  handler: async (ctx, { items, force }) => {
    let written = 0;
    let unchanged = 0;
    let bytesWritten = 0;
    const staleChunks: { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string; dataHash: string }[] = [];
    const staleContents: StaleContent[] = [];
    const needsContent: { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string }[] = [];
    for (const item of items) {
      const existing = await findAggregation(ctx, item);
      if (existing && !force && existing.dataHash === item.dataHash && existing.version === item.version) {
        // Recomputed and equal: the row is this revision's now, and was verified at computedAt.
        const patch: { expiresAt?: string; recordsRevision?: string; computedAt?: string } = {};
        if (existing.expiresAt !== item.expiresAt) patch.expiresAt = item.expiresAt;
        if (item.recordsRevision !== undefined && existing.recordsRevision !== item.recordsRevision) patch.recordsRevision = item.recordsRevision;
        if (item.recordsRevision !== undefined && existing.computedAt !== item.computedAt) patch.computedAt = item.computedAt;
        if (Object.keys(patch).length > 0) await ctx.db.patch(existing._id, patch);
        unchanged++;
        continue;
      }
      const doc = aggregationDocOf(item);
      if (item.shared === true) {
        const content = await acquireContent(ctx, {
          userId: item.userId,
          dataHash: item.dataHash,
          chunkCount: item.chunkCount,
          bytes: item.metadata.bytes,
          written: item.contentWritten === true,
          ...(item.contentText !== undefined ? { text: item.contentText } : {}),
        });
        if (!content.ready) {
          needsContent.push({ userId: item.userId, aggregationType: item.aggregationType, filterHash: item.filterHash });
          continue;
        }
        doc.chunkCount = content.chunkCount;
      }
      if (existing) {
        await ctx.db.replace(existing._id, doc);
        staleContents.push(...(await releaseReplaced(ctx, existing, doc)));
        if (ownsChunks(existing) && !(ownsChunks(doc) && existing.dataHash === doc.dataHash)) {
          staleChunks.push({ userId: existing.userId, aggregationType: existing.aggregationType, filterHash: existing.filterHash, dataHash: existing.dataHash });
        }
      } else {
        await ctx.db.insert('precomputed_aggregations', doc);
      }
      written++;
      bytesWritten += item.metadata.bytes;
    }
    return { written, unchanged, bytesWritten, staleChunks, staleContents, needsContent };
  },
});

const refreshItem = v.object({
  ...aggregationKeyFields,
  version: v.number(),
  dataHash: v.string(),
  expiresAt: v.string(),
  /** Recomputed and found equal: the row is now known to be this revision's (and computed now). */
  recordsRevision: v.optional(v.string()),
  computedAt: v.optional(v.string()),
  /** A renewal without recomputation: only while the row's revision is still the user's current one. */
  renewal: v.optional(v.boolean()),
});

/**
 * Extends expiresAt of rows still holding the given version and data (a renewal: and computed from
 * the user's current records); reports the others. The check and the write are one transaction, so a
 * record change that lands meanwhile is never papered over.
 */
export const refresh = internalMutation({
  args: { items: v.array(refreshItem) },
  returns: v.object({ refreshed: v.number(), mismatched: v.array(v.object(aggregationKeyFields)) }),
  handler: async (ctx, { items }) => {
    let refreshed = 0;
    const mismatched: { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string }[] = [];
    const revisions = new Map<string, string | null>();
    const currentRevision = async (userId: string): Promise<string | null> => {
      if (!revisions.has(userId)) {
        const stats = await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
        revisions.set(userId, stats?.recordsRevision ?? null);
      }
      return revisions.get(userId)!;
    };
    for (const item of items) {
      const doc = await findAggregation(ctx, item);
      const current = item.renewal === true && doc?.recordsRevision !== undefined && doc.recordsRevision === (await currentRevision(item.userId));
      if (!doc || doc.version !== item.version || doc.dataHash !== item.dataHash || (item.renewal === true && !current)) {
        mismatched.push({ userId: item.userId, aggregationType: item.aggregationType, filterHash: item.filterHash });
        continue;
      }
      const patch: { expiresAt?: string; recordsRevision?: string; computedAt?: string } = {};
      if (doc.expiresAt !== item.expiresAt) patch.expiresAt = item.expiresAt;
      if (item.recordsRevision !== undefined && doc.recordsRevision !== item.recordsRevision) patch.recordsRevision = item.recordsRevision;
      if (item.computedAt !== undefined && doc.computedAt !== item.computedAt) patch.computedAt = item.computedAt;
      if (Object.keys(patch).length > 0) await ctx.db.patch(doc._id, patch);
      refreshed++;
    }
    return { refreshed, mismatched };
  },
});

/** Every aggregation of every user, without data. */
export const allDigests = internalQuery({
  args: { paginationOpts: paginationOptsValidator },
  returns: pageOf(digestValidator),
  handler: async (ctx, { paginationOpts }) => {
    const result = await ctx.db.query('precomputed_aggregations').withIndex('by_key').paginate(paginationOpts);
    return { page: result.page.map(digestOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/**
 * Deletes aggregations by key. Each key may carry conditions checked inside this transaction, so a
 * row refreshed or rewritten since the caller planned the deletion survives.
 */
export const remove = internalMutation({
  args: {
    keys: v.array(
      v.object({
        ...aggregationKeyFields,
        onlyIfExpiresBefore: v.optional(v.string()),
        onlyIfDataHash: v.optional(v.string()),
      }),
    ),
  },
  returns: deletionWithChunksValidator,
  handler: async (ctx, { keys }) => removeAggregations(ctx, keys),
});

async function removeAggregations(
  ctx: MutationCtx,
  keys: { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string; onlyIfExpiresBefore?: string; onlyIfDataHash?: string }[],
) {
  let deleted = 0;
  let missing = 0;
  let bytesFreed = 0;
  const stale = { staleChunks: [] as { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string; dataHash: string }[], staleContents: [] as StaleContent[] };
  for (const key of keys) {
    const doc = await findAggregation(ctx, key);
    if (!doc) {
      missing++;
      continue;
    }
    if (key.onlyIfExpiresBefore !== undefined && !(doc.expiresAt < key.onlyIfExpiresBefore)) continue;
    if (key.onlyIfDataHash !== undefined && doc.dataHash !== key.onlyIfDataHash) continue;
    await ctx.db.delete(doc._id);
    await releaseDeleted(ctx, doc, stale);
    deleted++;
    bytesFreed += doc.metadata.bytes;
  }
  return { deleted, missing, bytesFreed, ...stale };
}

/** Aggregations whose expiresAt is before `before`, oldest first. */
export const pageExpired = internalQuery({
  args: { before: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(digestValidator),
  handler: async (ctx, { before, paginationOpts }) => {
    const result = await ctx.db
      .query('precomputed_aggregations')
      .withIndex('by_expiresAt', (q) => q.lt('expiresAt', before))
      .paginate(paginationOpts);
    return { page: result.page.map(digestOf), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

