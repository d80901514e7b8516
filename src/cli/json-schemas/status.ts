import { z } from 'zod';
import { AGGREGATION_TYPES } from '../../core/aggregations/definition.js';
import { RUN_STATUSES } from '../../store/types.js';
import { bytes, count, instant, jsonDocument, millis } from './common.js';
import { runCounts } from './runs.js';

const freshness = {
  total: count,
  fresh: count,
  expiring: count.describe('unexpired, but expiring within the refresh threshold'),
  expired: count,
  bytes,
  olderVersion: count.describe('at an older algorithm version'),
};

export const statusDocument = jsonDocument('agg.status/v1', '`agg status --json`: the health of the store.', {
  generatedAt: instant,
  store: z.string(),
  refreshThresholdMs: millis,
  aggregations: z.strictObject({
    ...freshness,
    oldestComputedAt: instant.nullable(),
    byType: z.strictObject(Object.fromEntries(AGGREGATION_TYPES.map((type) => [type, z.strictObject(freshness)])) as Record<(typeof AGGREGATION_TYPES)[number], z.ZodObject<typeof freshness>>),
  }),
  users: z.strictObject({
    total: count,
    withRecords: count,
    withPendingChanges: count,
    oldestPendingChangeAt: instant.nullable(),
    oldestPendingAgeMs: z.number().nullable(),
  }),
  rollout: z.array(
    z.strictObject({
      flag: z.string(),
      percent: z.number().min(0).max(100),
      rolledBack: z.boolean(),
      usersIn: count,
      usersServed: count,
      heldBack: count,
      allowOverrides: count,
      denyOverrides: count,
      lastChangeAt: instant,
      lastChangeBy: z.string(),
    }),
  ),
  runs: z.strictObject({
    last: z
      .array(
        z.strictObject({
          command: z.string(),
          runId: z.string(),
          status: z.enum(RUN_STATUSES),
          target: z.string(),
          startedAt: instant,
          finishedAt: instant.nullable(),
          durationMs: millis.nullable(),
          counts: runCounts,
        }),
      )
      .describe('the newest backfill, validate, cleanup and archive runs'),
    leases: z.array(
      z.strictObject({
        name: z.string(),
        runId: z.string().nullable(),
        acquiredAt: instant,
        expiresAt: instant,
        ageMs: z.number(),
        maxRuntimeMs: millis.nullable().describe("the holding run's --max-runtime"),
      }),
    ),
  }),
  consistency: z
    .strictObject({
      runId: z.string(),
      at: instant,
      ageMs: z.number(),
      matchShare: z.number().min(0).max(1).nullable().describe('after the run\'s own repairs'),
      checked: count,
      repaired: count,
      usersValidated: count,
      usersKnown: count,
      scope: z.string(),
    })
    .nullable()
    .describe('the latest finished validate run; null when there is none'),
  served: z.strictObject({ users: count, results: count, expired: count, usersWithExpired: count }),
  archives: z.strictObject({ count, rows: count, bytes, lastVerifiedAt: instant.nullable() }),
  alerts: z.array(
    z.strictObject({
      name: z.enum(['backlog-age', 'expired-share', 'served-expired', 'consistency', 'validate-age', 'stuck-lease']),
      message: z.string(),
    }),
  ),
  ok: z.boolean().describe('no alert: exit code 0'),
});
