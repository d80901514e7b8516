import { paginationOptsValidator } from 'convex/server';
import { v } from 'convex/values';
import { internalMutation, internalQuery } from './_generated/server.js';
import { type StaleContent, contentChunks, contentReferenced, findContent } from './lib/contentRows.js';
import { chunkTextValidator, contentKeyValidator, pageOf } from './validators.js';

// The pieces of shared content (content-addressed results; the protocol is in lib/contentRows.ts):
// read, put for the contents an upsert or restore reported as needed, and deleted after a release.

/** The pieces of one user's shared content, in order. */
export const readContent = internalQuery({
  args: { userId: v.string(), dataHash: v.string(), paginationOpts: paginationOptsValidator },
  returns: pageOf(chunkTextValidator),
  handler: async (ctx, { userId, dataHash, paginationOpts }) => {
    const result = await ctx.db
      .query('aggregation_content_chunks')
      .withIndex('by_content', (q) => q.eq('userId', userId).eq('dataHash', dataHash))
      .paginate(paginationOpts);
    return { page: result.page.map((chunk) => ({ seq: chunk.seq, text: chunk.text })), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

/**
 * Puts pieces of shared contents (idempotent: keyed by user, dataHash and seq). Only under a head that
 * is not being deleted (the contents an upsert or restore reported as needed have one, `writing`; a
 * forced rewrite repairs a complete one): no piece is ever left without a head to find it by.
 * Returns how many pieces were written or found in place.
 */
export const putContentChunks = internalMutation({
  args: { chunks: v.array(v.object({ userId: v.string(), dataHash: v.string(), seq: v.number(), text: v.string() })) },
  returns: v.number(),
  handler: async (ctx, { chunks }) => {
    const heads = new Map<string, boolean>();
    let put = 0;
    for (const chunk of chunks) {
      const id = `${chunk.userId}\u0000${chunk.dataHash}`;
      if (!heads.has(id)) {
        const head = await findContent(ctx, chunk);
        heads.set(id, head !== null && head.state !== 'deleting');
      }
      if (!heads.get(id)) continue;
      const existing = await ctx.db
        .query('aggregation_content_chunks')
        .withIndex('by_content', (q) => q.eq('userId', chunk.userId).eq('dataHash', chunk.dataHash).eq('seq', chunk.seq))
        .unique();
      if (existing) {
        if (existing.text !== chunk.text) await ctx.db.patch(existing._id, { text: chunk.text });
      } else {
        await ctx.db.insert('aggregation_content_chunks', chunk);
      }
      put++;
    }
    return put;
  },
});

/**
 * Deletes the pieces of deleted contents (heads `deleting`), up to `limit` pieces in all, each head
 * after its last piece; a content written again meanwhile (head no longer `deleting`) is left alone.
 * With `orphanAfterMs` (cleanup), a head that no header refers to and whose state is at least that old
 * is deleted first. Returns the keys not finished: call again with them.
 */
export const deleteContents = internalMutation({
  args: { keys: v.array(contentKeyValidator), limit: v.number(), orphanAfterMs: v.optional(v.number()) },
  returns: v.object({ deleted: v.number(), bytesFreed: v.number(), pending: v.array(contentKeyValidator) }),
  handler: async (ctx, { keys, limit, orphanAfterMs }) => {
    let deleted = 0;
    let bytesFreed = 0;
    const pending: StaleContent[] = [];
    const nowMs = Date.now();
    for (const key of keys) {
      const head = await findContent(ctx, key);
      if (!head) continue;
      if (head.state !== 'deleting') {
        if (orphanAfterMs === undefined || nowMs - head._creationTime < orphanAfterMs || (await contentReferenced(ctx, key))) continue;
        await ctx.db.patch(head._id, { state: 'deleting' });
      }
      const left = limit - deleted;
      if (left <= 0) {
        pending.push(key);
        continue;
      }
      const chunks = await contentChunks(ctx, key, left + 1);
      for (const chunk of chunks.slice(0, left)) {
        await ctx.db.delete(chunk._id);
        bytesFreed += new TextEncoder().encode(chunk.text).length;
        deleted++;
      }
      if (chunks.length <= left) await ctx.db.delete(head._id);
      else pending.push(key);
    }
    return { deleted, bytesFreed, pending };
  },
});
