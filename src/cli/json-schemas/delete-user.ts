import { z } from 'zod';
import { count, jsonDocument, millis } from './common.js';

export const deleteUserPlanDocument = jsonDocument('agg.delete-user.plan/v1', '`agg delete-user ID --dry-run --json`: what agg holds for the user.', {
  userId: z.string(),
  dryRun: z.literal(true),
  records: count,
  results: count.describe('stored results'),
  filterSets: count.describe('recorded filter combinations'),
});

export const deleteUserDocument = jsonDocument('agg.delete-user/v1', '`agg delete-user ID --yes --json`: what was deleted.', {
  userId: z.string(),
  runId: z.string(),
  dryRun: z.literal(false),
  deleted: count.describe('rows deleted, all tables'),
  byTable: z.record(z.string(), count).describe('rows deleted per table'),
  finished: z.boolean().describe('false when stopped before everything was deleted (run it again)'),
  ms: millis,
});
