import { z } from 'zod';
import { storedRecordSchema } from '../record-codec.js';
import { StoreError } from '../errors.js';
import { aggregationDigestSchema, userSummarySchema } from '../types.js';
import { filtersSchema } from '../../core/filters.js';
import { CHANGE_TYPES, OVERRIDE_MODES, VALIDATION_STATUSES, runRecordSchema } from '../types.js';
import { AGGREGATION_TYPES } from '../../core/aggregations/definition.js';

// Schemas of what the deployment answers: a server answer is input like any other, checked at the edge.

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ page: z.array(item), isDone: z.boolean(), continueCursor: z.string() });
}

export const storedRecordAnswer = storedRecordSchema;

export const digestAnswer = aggregationDigestSchema.extend({ chunkCount: z.number().int().nonnegative() });

export const readAnswer = digestAnswer.extend({ filters: filtersSchema, data: z.unknown(), shared: z.boolean().optional(), json: z.string().optional() }).nullable();

export const chunkKeyAnswer = z.object({ userId: z.string(), aggregationType: z.string(), filterHash: z.string(), dataHash: z.string() });

/** A user's shared content that no header refers to any more, with what deleting it reads. */
export const contentKeyAnswer = z.object({ userId: z.string(), dataHash: z.string(), bytes: z.number().nonnegative(), chunkCount: z.number().int().nonnegative() });

export const aggregationKeyAnswer = z.object({ userId: z.string(), aggregationType: z.enum(AGGREGATION_TYPES), filterHash: z.string() });

export const upsertAnswer = z.object({
  written: z.number(),
  unchanged: z.number(),
  bytesWritten: z.number(),
  staleChunks: z.array(chunkKeyAnswer),
  staleContents: z.array(contentKeyAnswer),
  needsContent: z.array(aggregationKeyAnswer),
});

export const removeAnswer = z.object({
  deleted: z.number(),
  missing: z.number().default(0),
  bytesFreed: z.number(),
  staleChunks: z.array(chunkKeyAnswer),
  staleContents: z.array(contentKeyAnswer),
});

export const deleteContentsAnswer = z.object({ deleted: z.number(), bytesFreed: z.number(), pending: z.array(contentKeyAnswer) });

export const recordWriteAnswer = z.object({ inserted: z.number(), updated: z.number(), unchanged: z.number() });

export const raiseAnswer = z.object({ raised: z.number(), refused: z.array(z.string()) });

export const changeEntryAnswer = z.object({
  changeId: z.string(),
  userId: z.string(),
  changeType: z.enum(CHANGE_TYPES),
  recordCount: z.number(),
  changedAt: z.string(),
  processed: z.boolean(),
  processedAt: z.string().nullable(),
  revision: z.string().nullable().optional().transform((value) => value ?? null),
});

export const userAnswer = userSummarySchema;

export const filterCombinationAnswer = z.object({
  userId: z.string(),
  filters: filtersSchema,
  filterHash: z.string(),
  lastUsed: z.string(),
  usageCount: z.number(),
});

export const flagAnswer = z.object({
  flag: z.string(),
  basisPoints: z.number().int().min(0).max(10_000),
  salt: z.string(),
  rolledBack: z.boolean(),
  minRecords: z.number().int().nonnegative().optional().default(0),
  requireFreshGrid: z.boolean().optional().default(false),
  updatedAt: z.string(),
  updatedBy: z.string(),
});

export const overrideAnswer = z.object({ flag: z.string(), userId: z.string(), mode: z.enum(OVERRIDE_MODES) });

export const eventAnswer = z.object({
  eventId: z.string(),
  flag: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  fromBasisPoints: z.number().nullable(),
  toBasisPoints: z.number().nullable(),
  reason: z.string().nullable(),
  details: z.unknown(),
});

export const flagChangeAnswer = z.union([
  z.object({ applied: z.literal(true) }),
  z.object({ applied: z.literal(false), reason: z.literal('conflict') }),
]);

export const runAnswer = runRecordSchema;

/** A lease row; rows written before agg recorded the holder's heartbeat, host and pid lack them (null here). */
export const leaseAnswer = z.object({
  name: z.string(),
  holder: z.string(),
  runId: z.string().nullable(),
  acquiredAt: z.string(),
  expiresAt: z.string(),
  renewedAt: z.string().nullable().default(null),
  host: z.string().nullable().default(null),
  pid: z.number().int().nullable().default(null),
});

export const leaseOutcomeAnswer = z.union([
  z.object({ acquired: z.literal(true), lease: leaseAnswer, replaced: leaseAnswer.nullable().default(null) }),
  z.object({ acquired: z.literal(false), heldBy: leaseAnswer }),
]);

/** Parses an answer; a mismatch means the deployment runs other code than this CLI expects. */
export function expectAnswer<T>(schema: z.ZodType<T>, value: unknown, functionName: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new StoreError(
    `unexpected answer from ${functionName} (${issue.path.join('.') || 'value'}: ${issue.message}); the deployment's agg component may be another version than this CLI: install this version in the app (npm install agg) and deploy it`,
    'permanent',
  );
}

export const chunkTextAnswer = z.object({ seq: z.number(), text: z.string() });
export const deleteChunksAnswer = z.object({ deleted: z.number(), done: z.boolean() });
export const countAnswer = z.number().int().nonnegative();
export const nullAnswer = z.null().optional().transform(() => undefined);

export const filterUseAnswer = z.union([z.object({ recorded: z.literal(true), dropped: z.number() }), z.object({ recorded: z.literal(false), reason: z.string() })]);
export const booleanAnswer = z.boolean();

export const refreshAnswer = z.object({
  refreshed: z.number(),
  mismatched: z.array(z.object({ userId: z.string(), aggregationType: z.enum(AGGREGATION_TYPES), filterHash: z.string() })),
});

export const validationAnswer = z.object({
  userId: z.string(),
  runId: z.string(),
  validatedAt: z.string(),
  clean: z.boolean(),
  counts: z.partialRecord(z.enum(VALIDATION_STATUSES), z.number()),
});

export const userDeletionStepAnswer = z.object({ deleted: z.number().int().nonnegative(), done: z.boolean(), table: z.string().nullable() });
