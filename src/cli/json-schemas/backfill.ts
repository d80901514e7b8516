import { z } from 'zod';
import { RUN_STATUSES } from '../../store/types.js';
import { bytes, count, failure, jsonDocument, millis } from './common.js';

export const backfillDocument = jsonDocument('agg.backfill/v1', '`agg backfill --json`: the run\'s summary.', {
  runId: z.string().nullable().describe('the run in the ledger; null for a dry run'),
  status: z.enum(RUN_STATUSES),
  target: z.string(),
  dryRun: z.boolean(),
  resumable: z.boolean(),
  users: z.strictObject({ total: count, done: count, failed: count }),
  records: count,
  results: count.describe('results computed'),
  written: count,
  created: count,
  changed: count,
  rewritten: count.describe('rewritten with the same data (--force)'),
  unchanged: count,
  refreshed: count.describe('of the unchanged: expiresAt moved'),
  bytes: bytes.describe('bytes written'),
  renewal: z
    .strictObject({
      due: count.describe('results due to expire before the next tick'),
      renewed: count.describe('of them, renewed without recomputation (expiresAt moved)'),
      recomputed: count.describe('users recomputed for the renewal, beyond those with unprocessed changes'),
      forAge: count.describe('of them, users recomputed only for their results due past maxAge, outdated or without a revision'),
      resultsForAge: count.describe('those results, each recomputed alone'),
      staleGrids: count.describe('of them, users recomputed in full because their default grid was incomplete or would go stale before the next tick'),
    })
    .nullable()
    .describe('the tick\'s renewals (--changed, --expiring), else null'),
  storeCalls: count,
  ms: millis,
  failures: z.array(failure).describe('the first failed users in run order (at most 100)'),
  failuresOmitted: count,
});

/** `--resume` of a run that already succeeded, for backfill and validate alike. */
export const nothingToResumeDocument = jsonDocument('agg.nothing-to-resume/v1', '`agg backfill|validate --resume RUN --json` when that run already succeeded: nothing is done.', {
  command: z.enum(['backfill', 'validate']),
  runId: z.string(),
  status: z.literal('succeeded'),
  resumed: z.literal(false),
});
