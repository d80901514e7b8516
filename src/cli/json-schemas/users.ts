import { z } from 'zod';
import { count, instant, jsonDocument } from './common.js';

export const usersDocument = jsonDocument('agg.users/v1', '`agg users --json`: every user with records, in id order.', {
  users: z.array(
    z.strictObject({
      userId: z.string(),
      recordCount: count,
      firstWatchedAt: instant.nullable().describe('the oldest watchedAt, null when no record is dated'),
      lastWatchedAt: instant.nullable(),
      lastChangeAt: instant.nullable().describe('when a record of the user last changed'),
      gridFreshUntil: instant.nullable().describe('the earliest expiresAt of the default-grid results; null when incomplete'),
      recordsRevision: z.string().nullable().describe('names the current state of the records'),
      pendingChanges: count.describe('change-log entries no backfill has processed yet'),
    }),
  ),
});
