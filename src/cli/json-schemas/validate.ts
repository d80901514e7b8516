import { z } from 'zod';
import { RUN_STATUSES } from '../../store/types.js';
import { aggregationType, count, failure, filters, instant, jsonDocument, millis, statusCounts, validationStatus } from './common.js';

// Documented field by field in docs/validate-report.md.

export const validateDocument = jsonDocument('agg.validate/v1', '`agg validate --format json`: what a validate run found (docs/validate-report.md).', {
  runId: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  generatedAt: instant,
  target: z.string(),
  seed: z.string().nullable(),
  options: z.strictObject({ types: z.array(aggregationType), tolerance: z.number(), failOn: z.string(), maxDiffs: count }),
  users: z.strictObject({ total: count, validated: count, failed: count, clean: count }),
  totals: statusCounts,
  byType: z.record(z.string(), statusCounts),
  findings: z.array(
    z.strictObject({
      userId: z.string(),
      type: aggregationType,
      filterHash: z.string(),
      filters: filters.nullable(),
      status: validationStatus,
      diffCount: count,
      diffs: z.array(z.strictObject({ path: z.string(), stored: z.unknown(), fresh: z.unknown() })),
    }),
  ),
  findingsOmitted: count,
  failures: z.array(failure),
  failuresOmitted: count,
  repair: z
    .strictObject({
      applied: z.boolean(),
      usersToRewrite: count,
      rewrite: z.partialRecord(validationStatus, count),
      orphansToDelete: count,
      written: count,
      refreshed: count,
      deleted: count,
      failed: z.array(failure),
    })
    .nullable(),
  guardrail: z
    .strictObject({
      flag: z.string(),
      threshold: z.number(),
      usersServed: count,
      usersWithDrift: count,
      share: z.number(),
      rolledBack: z.boolean(),
      message: z.string(),
    })
    .nullable(),
  ms: millis,
  exitCode: z.number().int(),
});
