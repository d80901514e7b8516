import { z } from 'zod';
import { CLEANUP_CATEGORIES } from '../../cleanup/cleanup.js';
import { bytes, count, instant, jsonDocument, millis } from './common.js';

const totals = z.strictObject({ matched: count, deleted: count, kept: count, bytes });

export const cleanupDocument = jsonDocument('agg.cleanup/v1', '`agg cleanup --json`: what was deleted (or, with --dry-run, would be), category by category.', {
  asOf: instant,
  dryRun: z.boolean(),
  batchSize: count,
  categories: z.array(
    z.strictObject({
      category: z.enum(CLEANUP_CATEGORIES),
      cutoff: instant.nullable().describe('the instant the rule compares against (null for orphans)'),
      matched: count.describe('candidates found'),
      deleted: count,
      kept: count.describe('found, but changed since (re-checked when deleting)'),
      bytes: bytes.describe('bytes freed (or that a dry run would free)'),
      sample: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))).describe('a few of the rows found: their key fields and why they go'),
    }),
  ),
  totals,
  storeCalls: count,
  ms: millis,
});
