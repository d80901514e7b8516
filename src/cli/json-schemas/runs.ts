import { z } from 'zod';
import { RUN_STATUSES } from '../../store/types.js';
import { PLAIN_COUNT_KEYS } from '../run-counts.js';
import { anyJson, count, instant, jsonDocument, millis, statusCounts } from './common.js';

/** A run's counts, named (src/cli/run-counts.ts): which appear depends on the command. */
export const runCounts = z
  .strictObject({
    ...(Object.fromEntries(PLAIN_COUNT_KEYS.map((key) => [key, z.number().optional()])) as Record<(typeof PLAIN_COUNT_KEYS)[number], z.ZodOptional<z.ZodNumber>>),
    users: z.strictObject({ total: count, done: count, failed: count }).optional(),
    results: z
      .union([count.describe('backfill: results computed'), z.strictObject({ byStatus: statusCounts, byType: z.record(z.string(), statusCounts).describe('types where something did not match') }).describe('validate')])
      .optional(),
    deletedBy: z.record(z.string(), count).optional().describe('cleanup: rows deleted per category; delete-user: per table'),
    guardrail: z.strictObject({ servedUsers: count, usersWithDrift: count }).optional().describe('validate --rollback-on-drift'),
    other: z.record(z.string(), z.number()).optional().describe('keys this agg does not know (a row written by another version), as they are'),
  })
  .describe('the run\'s counts, by name');

const run = {
  runId: z.string(),
  command: z.string(),
  args: z.array(z.string()).describe('the command line (keys redacted)'),
  target: z.string(),
  startedAt: instant,
  finishedAt: instant.nullable(),
  status: z.enum(RUN_STATUSES),
  counts: runCounts,
  checkpoint: anyJson.describe('where the run stands, to resume it'),
  heartbeatAt: instant,
  dead: z.string().nullable().describe('why a run still marked running is dead; null for a live or finished run'),
};

export const runsDocument = jsonDocument('agg.runs/v1', '`agg runs --json`: the run ledger, newest first.', {
  runs: z.array(z.strictObject(run)),
});

export const runDocument = jsonDocument('agg.run/v1', '`agg runs show RUN --json`: one run, with its lease and what continues it.', {
  ...run,
  durationMs: millis.nullable(),
  lease: z
    .strictObject({
      name: z.string(),
      holder: z.string(),
      runId: z.string().nullable(),
      acquiredAt: instant,
      expiresAt: instant,
      renewedAt: instant.nullable(),
      host: z.string().nullable(),
      pid: z.number().int().nullable(),
    })
    .nullable()
    .describe('while the run holds one'),
  resume: z.string().nullable().describe('the command that continues the run, or null'),
});

export const runsClearDocument = jsonDocument('agg.runs.clear/v1', '`agg runs --clear RUN --json`: a dead run marked interrupted.', {
  runId: z.string(),
  cleared: z.literal(true),
  status: z.literal('interrupted'),
  dead: z.string().describe('why it was dead'),
});
