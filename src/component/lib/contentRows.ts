import type { Doc } from '../_generated/dataModel.js';
import type { MutationCtx, QueryCtx } from '../_generated/server.js';

// Shared content (content-addressed results): a user's data of one dataHash is stored once, as a head
// in aggregation_contents and its pieces in aggregation_content_chunks, and every header of that user
// with that dataHash and `shared` refers to it. The head's state orders the parties that touch the
// pieces without a lock across transactions:
// - a writer creates the head (`writing`) before it puts any piece, and only a header written after
//   all of its pieces went in turns the head `complete`;
// - the transaction that removes the last header referring to a content turns its head `deleting`
//   (the content is gone from then on); pieces are deleted while it stays so, the head last;
// - a writer that finds a `deleting` head turns it back to `writing` and puts every piece again (a
//   piece already there is kept), and a deleter stops as soon as the head is no longer `deleting`.
// So a header never refers to a content with a piece missing.

export type ContentDoc = Doc<'aggregation_contents'>;
export interface ContentKey {
  userId: string;
  dataHash: string;
}
/** A content to delete, with what deleting it reads. */
export interface StaleContent extends ContentKey {
  bytes: number;
  chunkCount: number;
}

export function findContent(ctx: QueryCtx, key: ContentKey) {
  return ctx.db
    .query('aggregation_contents')
    .withIndex('by_user_data', (q) => q.eq('userId', key.userId).eq('dataHash', key.dataHash))
    .unique();
}

/** Whether a header of the user refers to the shared content of dataHash: one indexed read. */
export async function contentReferenced(ctx: QueryCtx, key: ContentKey): Promise<boolean> {
  const header = await ctx.db
    .query('precomputed_aggregations')
    .withIndex('by_user_data_shared', (q) => q.eq('userId', key.userId).eq('dataHash', key.dataHash).eq('shared', true))
    .first();
  return header !== null;
}

/** The pieces of a content, in order (at most `limit`). */
export function contentChunks(ctx: QueryCtx, key: ContentKey, limit: number) {
  return ctx.db
    .query('aggregation_content_chunks')
    .withIndex('by_content', (q) => q.eq('userId', key.userId).eq('dataHash', key.dataHash))
    .take(limit);
}

/**
 * After a header referring to the content was deleted or replaced (in this transaction): when no
 * header of the user refers to it any more, the content is deleted (its head turns `deleting`) and
 * returned, for the caller to remove its pieces with contents:deleteContents.
 */
export async function releaseContent(ctx: MutationCtx, key: ContentKey): Promise<StaleContent | null> {
  if (await contentReferenced(ctx, key)) return null;
  const head = await findContent(ctx, key);
  if (!head) return null;
  if (head.state !== 'deleting') await ctx.db.patch(head._id, { state: 'deleting' });
  return { userId: head.userId, dataHash: head.dataHash, bytes: head.bytes, chunkCount: head.chunkCount };
}

/**
 * Whether a header may refer to the content now. `ready` with the content's piece count; `needed`
 * when its pieces must be put first (the head is created or revived as `writing` here). A writer that
 * put every piece after the head existed says so with `written`, and its header completes the head.
 */
export async function acquireContent(
  ctx: MutationCtx,
  item: ContentKey & { chunkCount: number; bytes: number; written: boolean; text?: string },
): Promise<{ ready: true; chunkCount: number } | { ready: false }> {
  const head = await findContent(ctx, item);
  if (head?.state === 'complete') return { ready: true, chunkCount: head.chunkCount };
  // Data of one piece may come along: head, piece and header go in together, in this transaction.
  if (item.text !== undefined && item.chunkCount === 1) {
    if (head) await ctx.db.patch(head._id, { state: 'complete', chunkCount: 1, bytes: item.bytes });
    else await ctx.db.insert('aggregation_contents', { userId: item.userId, dataHash: item.dataHash, chunkCount: 1, bytes: item.bytes, state: 'complete' });
    const pieces = await contentChunks(ctx, item, 2);
    for (const stale of pieces.slice(1)) await ctx.db.delete(stale._id);
    if (pieces[0] === undefined || pieces[0].seq !== 0) await ctx.db.insert('aggregation_content_chunks', { userId: item.userId, dataHash: item.dataHash, seq: 0, text: item.text });
    else if (pieces[0].text !== item.text) await ctx.db.patch(pieces[0]._id, { text: item.text });
    return { ready: true, chunkCount: 1 };
  }
  if (head?.state === 'writing' && item.written) {
    await ctx.db.patch(head._id, { state: 'complete', chunkCount: item.chunkCount, bytes: item.bytes });
    return { ready: true, chunkCount: item.chunkCount };
  }
  if (head?.state === 'writing') return { ready: false };
  // A new head, or a deleting one replaced by a new head: its _creationTime starts the writer's grace.
  if (head) await ctx.db.delete(head._id);
  await ctx.db.insert('aggregation_contents', { userId: item.userId, dataHash: item.dataHash, chunkCount: item.chunkCount, bytes: item.bytes, state: 'writing' });
  return { ready: false };
}

/** Whether the header holds its data in old-layout chunks of its own (aggregation_chunks). */
export function ownsChunks(doc: { chunkCount: number; shared?: boolean }): boolean {
  return doc.chunkCount > 0 && doc.shared !== true;
}

/** After a header was deleted in this transaction: what it held that nothing references any more. */
export async function releaseDeleted(
  ctx: MutationCtx,
  doc: Doc<'precomputed_aggregations'>,
  stale: { staleChunks: { userId: string; aggregationType: Doc<'precomputed_aggregations'>['aggregationType']; filterHash: string; dataHash: string }[]; staleContents: StaleContent[] },
): Promise<void> {
  if (ownsChunks(doc)) stale.staleChunks.push({ userId: doc.userId, aggregationType: doc.aggregationType, filterHash: doc.filterHash, dataHash: doc.dataHash });
  if (doc.shared === true) {
    const content = await releaseContent(ctx, doc);
    if (content) stale.staleContents.push(content);
  }
}
