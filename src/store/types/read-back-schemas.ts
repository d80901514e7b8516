import { z } from 'zod';
import { AGGREGATION_TYPES } from '../../core/aggregations/definition.js';

// Validation of what adapters read back (a server answer is input like any other).

const isoInstant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected an ISO instant');

export const aggregationDigestSchema = z.object({
  userId: z.string(),
  aggregationType: z.enum(AGGREGATION_TYPES),
  filterHash: z.string().regex(/^[0-9a-f]{64}$/),
  version: z.number().int().nonnegative(),
  dataHash: z.string().regex(/^[0-9a-f]{64}$/),
  asOf: isoInstant,
  timeZone: z.string(),
  computedAt: isoInstant,
  expiresAt: isoInstant,
  metadata: z.object({ recordCount: z.number().int().nonnegative(), computeMs: z.number().nonnegative(), bytes: z.number().int().nonnegative() }),
  recordsRevision: z.string().min(1).max(100).nullable().default(null),
});

export const userSummarySchema = z.object({
  userId: z.string(),
  recordCount: z.number().int().nonnegative(),
  firstWatchedAt: isoInstant.nullable(),
  lastWatchedAt: isoInstant.nullable(),
  lastChangeAt: isoInstant.nullable(),
  gridFreshUntil: isoInstant.nullable().default(null),
  recordsRevision: z.string().min(1).max(100).nullable().default(null),
});
