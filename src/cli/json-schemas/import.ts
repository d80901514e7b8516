import { z } from 'zod';
import { count, jsonDocument, millis } from './common.js';

const fields = {
  file: z.string(),
  format: z.enum(['records', 'takeout-json', 'takeout-html']),
  userId: z.string(),
  dryRun: z.boolean(),
  runId: z.string().nullable().describe('the run in the ledger (agg runs show RUN_ID); null in a dry run'),
  records: count.describe('records in the file'),
  inserted: count,
  updated: count,
  unchanged: count,
  deleted: count.describe('with --replace: stored records the file no longer has, deleted (or to delete)'),
  storedNotInFile: count.describe('without --replace: stored records of the user the file does not have, kept (--replace would delete them)'),
  changeId: z.string().nullable().describe('the change-log entry written, null when nothing changed or in a dry run'),
  storeCalls: count,
  ms: millis,
};

export const importDocument = jsonDocument('agg.import/v1', '`agg import FILE --user ID --json`: what the import did (or, with --dry-run, would do).', {
  ...fields,
  interrupted: z.literal(true).optional().describe('present when Ctrl-C stopped the import between batches'),
  recordsWritten: count.optional().describe('with interrupted: records written before the stop'),
});
