import type { Doc } from '../_generated/dataModel.js';
import type { QueryCtx } from '../_generated/server.js';

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

