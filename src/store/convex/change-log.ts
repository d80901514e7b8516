import { batchBySize } from '../batching.js';
import type { ChangeEntry, ChangeVersion, Page, PendingUser } from '../types.js';
import { changeEntryAnswer, countAnswer } from './answers.js';
import { ITEMS_BYTES_BUDGET, markProcessedCost } from './call-costs.js';
import { KEYS_PER_CALL } from './call-counts.js';
import type { ConvexCalls } from './convex-calls.js';

// The change log over a Convex deployment (changes:*), as incremental backfill reads and marks it.

export async function* pendingUsers(calls: ConvexCalls): AsyncIterable<PendingUser> {
  let current: { userId: string; changes: ChangeVersion[]; oldestChangedAt: string } | null = null;
  let cursor: string | null = null;
  for (;;) {
    const page: Page<ChangeEntry> = await calls.page('changes:pending', {}, changeEntryAnswer, { cursor, limit: 4000 }, 4000);
    for (const entry of page.items) {
      if (current && current.userId !== entry.userId) {
        yield current;
        current = null;
      }
      current ??= { userId: entry.userId, changes: [], oldestChangedAt: entry.changedAt };
      current.changes.push({ changeId: entry.changeId, changedAt: entry.changedAt, revision: entry.revision });
      if (entry.changedAt < current.oldestChangedAt) current.oldestChangedAt = entry.changedAt;
    }
    if (page.isDone) break;
    cursor = page.cursor;
  }
  if (current) yield current;
}

export function listChanges(calls: ConvexCalls, userId: string): Promise<ChangeEntry[]> {
  return calls.all('changes:forUser', { userId }, changeEntryAnswer, 4000);
}

export async function markChangesProcessed(calls: ConvexCalls, userId: string, changes: readonly ChangeVersion[], at: string): Promise<number> {
  let marked = 0;
  for (const batch of batchBySize(changes, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (change) => markProcessedCost(change.changeId))) {
    const versions = batch.map(({ changeId, changedAt, revision }) => (revision ? { changeId, changedAt, revision } : { changeId, changedAt }));
    marked += await calls.mutation('changes:markProcessed', { userId, changes: versions, at }, countAnswer);
  }
  return marked;
}
