import { z } from 'zod';
import { AGGREGATION_TYPES } from '../../core/aggregations/definition.js';
import { MANIFEST_STATUSES } from '../maintenance.js';

// Schemas of what the deployment's maintenance and archive functions answer (see answers.ts).

export const chunkKey = z.object({ userId: z.string(), aggregationType: z.enum(AGGREGATION_TYPES), filterHash: z.string(), dataHash: z.string() });
// `missing` defaults to 0 for deployments from before it was reported.
export const deleteAnswer = z.object({ deleted: z.number().int().nonnegative(), missing: z.number().int().nonnegative().default(0), bytesFreed: z.number().nonnegative() });
export const contentKey = z.object({ userId: z.string(), dataHash: z.string(), bytes: z.number().nonnegative(), chunkCount: z.number().int().nonnegative() });
export const deleteWithChunksAnswer = deleteAnswer.extend({ staleChunks: z.array(chunkKey), staleContents: z.array(contentKey) });
export const conditionalAnswer = z.object({
  deleted: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  changedRows: z.array(z.number().int().nonnegative()),
  missing: z.number().int().nonnegative(),
  bytesFreed: z.number().nonnegative(),
});
export const conditionalWithChunksAnswer = conditionalAnswer.extend({ staleChunks: z.array(chunkKey), staleContents: z.array(contentKey) });
export const restoreAnswer = z.object({ inserted: z.number().int().nonnegative(), identical: z.number().int().nonnegative(), conflicting: z.number().int().nonnegative() });
export const restoreWithChunksAnswer = restoreAnswer.extend({
  unusedChunks: z.array(chunkKey),
  needsContent: z.array(z.object({ userId: z.string(), aggregationType: z.enum(AGGREGATION_TYPES), filterHash: z.string() })),
});
export const orphanContentAnswer = contentKey;
export const orphanChunkAnswer = chunkKey.extend({ seq: z.number(), bytes: z.number().nonnegative() });
export const orphanChunksDeleteAnswer = deleteAnswer.extend({ done: z.boolean() });
export const manifestAnswer = z.object({
  manifestId: z.string(),
  createdAt: z.string(),
  destination: z.string(),
  tables: z.array(z.string()),
  rowCount: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  status: z.enum(MANIFEST_STATUSES),
  verifiedAt: z.string().nullable(),
  manifest: z.unknown(),
});
export const manifestWriteAnswer = z.union([z.object({ applied: z.literal(true) }), z.object({ applied: z.literal(false), current: z.enum(MANIFEST_STATUSES).nullable() })]);
