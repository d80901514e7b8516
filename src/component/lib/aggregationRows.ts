import { type Infer, v } from 'convex/values';
import type { Doc } from '../_generated/dataModel.js';
import type { MutationCtx, QueryCtx } from '../_generated/server.js';
import { aggregationHeaderFields } from '../validators.js';
import { type StaleContent, releaseContent } from './contentRows.js';

export type AggregationDoc = Doc<'precomputed_aggregations'>;

export function digestOf(doc: AggregationDoc) {
  return {
    userId: doc.userId,
    aggregationType: doc.aggregationType,
    filterHash: doc.filterHash,
    version: doc.version,
    dataHash: doc.dataHash,
    asOf: doc.asOf,
    timeZone: doc.timeZone,
    computedAt: doc.computedAt,
    expiresAt: doc.expiresAt,
    metadata: doc.metadata,
    chunkCount: doc.chunkCount,
    recordsRevision: doc.recordsRevision ?? null,
  };
}

export function findAggregation(ctx: QueryCtx, key: { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string }) {
  return ctx.db
    .query('precomputed_aggregations')
    .withIndex('by_key', (q) => q.eq('userId', key.userId).eq('aggregationType', key.aggregationType).eq('filterHash', key.filterHash))
    .unique();
}

// Inline data comes as its canonical JSON text (`dataJson`): a string crosses the wire for a fraction
// of what encoding the value costs the client, and the text is the one the dataHash was taken of.
// Inline data is at most 768 KiB (value-limits.ts), so the string stays under Convex's 1 MiB per value.
// Shared data (`shared`) goes as pieces of the user's content for its dataHash: an item whose content is
// not there yet is reported in `needsContent`; the caller puts its pieces and sends the item again with
// `contentWritten`.
// Data of one piece may come along as `contentText`: then the header needs no second call.
export const upsertItem = v.object({
  ...aggregationHeaderFields,
  data: v.optional(v.any()),
  dataJson: v.optional(v.string()),
  contentWritten: v.optional(v.boolean()),
  contentText: v.optional(v.string()),
});

/** The document an upsert item stores: `dataJson` parsed into `data`. */
export function aggregationDocOf(item: Infer<typeof upsertItem>): Omit<AggregationDoc, '_id' | '_creationTime'> {
  const { dataJson, contentWritten: _written, contentText: _text, ...doc } = item;
  if (doc.shared === true && (dataJson !== undefined || doc.data !== undefined)) {
    throw new Error(`${item.aggregationType} for user ${item.userId}: an item carries its data once, as data, dataJson, chunks or shared content`);
  }
  if (dataJson === undefined) return doc;
  if (doc.data !== undefined || doc.chunkCount > 0) {
    throw new Error(`${item.aggregationType} for user ${item.userId}: an item carries its data once, as data, dataJson or chunks`);
  }
  try {
    return { ...doc, data: JSON.parse(dataJson) as unknown };
  } catch {
    throw new Error(`${item.aggregationType} for user ${item.userId}: dataJson is not JSON`);
  }
}

/** The shared content a replaced header referred to, when the new one does not and nobody else does. */
export async function releaseReplaced(ctx: MutationCtx, existing: AggregationDoc, doc: { shared?: boolean; dataHash: string }): Promise<StaleContent[]> {
  if (existing.shared !== true || (doc.shared === true && doc.dataHash === existing.dataHash)) return [];
  const stale = await releaseContent(ctx, existing);
  return stale ? [stale] : [];
}
