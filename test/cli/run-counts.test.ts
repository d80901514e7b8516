import { describe, expect, it } from 'vitest';
import { runCounts } from '../../src/cli/json-schemas/runs.js';
import { readableCounts } from '../../src/cli/run-counts.js';

// The run ledger's counts as --json shows them: by name, never by the ledger's internal keys.

const named = (counts: Record<string, number>) => {
  const readable = readableCounts({ counts });
  // Whatever the ledger holds, the result is a document of the documented shape.
  expect(runCounts.safeParse(readable).success, JSON.stringify(readable)).toBe(true);
  return readable;
};

describe('readableCounts', () => {
  it('names a backfill run\'s counts', () => {
    expect(named({ usersTotal: 3, usersDone: 2, usersFailed: 1, records: 90, results: 360, written: 10, storeCalls: 7, renewalDue: 4, renewed: 3, renewalRecomputed: 1, renewalForAge: 1, renewalResultsForAge: 36, renewalStaleGrids: 0 })).toEqual({
      users: { total: 3, done: 2, failed: 1 },
      records: 90,
      results: 360,
      written: 10,
      storeCalls: 7,
      renewalDue: 4,
      renewed: 3,
      renewalRecomputed: 1,
      renewalForAge: 1,
      renewalResultsForAge: 36,
      renewalStaleGrids: 0,
    });
  });

  it('nests a validate run\'s statuses, its types with findings and its guardrail', () => {
    const readable = named({ usersTotal: 1, usersDone: 1, usersFailed: 0, 'status:match': 17, 'status:drift': 1, 'type:kpi:match': 9, 'type:top_channels:match': 8, 'type:top_channels:drift': 1, 'guardrail:served': 1, 'guardrail:drift': 1, repaired: 1 });
    expect(readable.results).toEqual({
      byStatus: { match: 17, drift: 1, stale: 0, missing: 0, orphan: 0, outdated: 0, expired: 0 },
      byType: { top_channels: { match: 8, drift: 1, stale: 0, missing: 0, orphan: 0, outdated: 0, expired: 0 } },
    });
    expect(readable.guardrail).toEqual({ servedUsers: 1, usersWithDrift: 1 });
    expect(readable.repaired).toBe(1);
    expect(readable.other).toBeUndefined();
  });

  it('gives rows deleted per category (cleanup) or table (delete-user) as deletedBy', () => {
    expect(named({ matched: 5, deleted: 4, kept: 1, bytes: 100, 'deleted:expired': 3, 'deleted:runs': 1 })).toEqual({ matched: 5, deleted: 4, kept: 1, bytes: 100, deletedBy: { expired: 3, runs: 1 } });
    expect(named({ deleted: 13, 'deleted:watch_records': 12, 'deleted:user_stats': 1 })).toEqual({ deleted: 13, deletedBy: { user_stats: 1, watch_records: 12 } });
  });

  it('keeps keys this agg does not know under other, as they are', () => {
    expect(named({ users: 3, 'status:weird': 2, 'type:nope:match': 1, 'guardrail:x': 1, 'status:match': 4 })).toEqual({
      results: { byStatus: { match: 4, drift: 0, stale: 0, missing: 0, orphan: 0, outdated: 0, expired: 0 }, byType: {} },
      other: { 'guardrail:x': 1, 'status:weird': 2, 'type:nope:match': 1, users: 3 },
    });
  });
});
