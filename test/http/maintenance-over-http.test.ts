// rollout, cleanup and archive (with --list, --verify and --restore) through `agg --url … --admin-key …`
// against the loopback deployment: under 10 % transient faults, and with answers lost after commit,
// they end in exactly the state of a fault-free run, with no duplicate audit events, archives or rows.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_FILTERS, canonicalFilters } from '../../src/core/filters.js';
import type { InputRecord } from '../../src/core/record.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import type { RunRecord } from '../../src/store/types.js';
import { assertDocumentLimits } from '../support/convex-test-store.js';
import { type Fault, type FaultPlan, transientFaults } from '../support/loopback-convex.js';
import { type LoopbackHarness, capturedText, keyLeaks, snapshotDiff, startHarness } from '../support/loopback-harness.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const MINUTE = 60_000;
const USERS = ['u1', 'u2', 'u3', 'u4'];
const AFTER_COMMIT: readonly Fault[] = ['reset-after-commit', 'stall-after-commit', '502-after-commit'];

function recordsOf(userId: string): InputRecord[] {
  const old = Array.from({ length: 3 }, (_, i) => ({ id: `${userId}-old-${i}`, watchedAt: `2023-0${i + 1}-15T12:00:00.000Z`, videoTitle: `Old ${i}`, channelTitle: 'Alpha', topics: ['Music'] }));
  const recent = Array.from({ length: 3 }, (_, i) => ({ id: `${userId}-new-${i}`, watchedAt: `2025-06-0${i + 1}T12:00:00.000Z`, videoTitle: `New ${i}`, channelTitle: 'Beta', product: 'YouTube Music' as const }));
  return [...old, ...recent, { id: `${userId}-undated`, watchedAt: null, videoTitle: 'Undated' }];
}

function ledgerRow(runId: string, finishedAt: string | null): RunRecord {
  return { runId, command: 'backfill', args: ['--all'], target: 'all', startedAt: '2023-12-31T00:00:00.000Z', finishedAt, status: finishedAt ? 'succeeded' : 'running', counts: { users: 3 }, checkpoint: { done: ['u1'] }, heartbeatAt: '2023-12-31T00:00:00.000Z' };
}

/** The same starting state in every deployment: records, expired and fresh results, orphans, old filters, change log, ledger, a flag. */
async function seed(h: LoopbackHarness): Promise<void> {
  await h.seedUsers(USERS.map((userId) => ({ userId, records: recordsOf(userId) })));
  const store = h.store();
  const types = ['kpi', 'top_channels', 'monthly_trend'] as const;
  const owners = [...USERS, 'gone'];
  for (const userId of owners) {
    const { results } = computeAggregations({ records: recordsOf('x'), context: { asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC' }, filterSets: [DEFAULT_FILTERS, canonicalFilters({ channels: ['Zed'] })], types: [...types] });
    // u3, u4 and the user without records are fresh (the last two: orphans for cleanup); u1 and u2 expired in January (for archive).
    const computedAtMs = userId === 'u1' || userId === 'u2' ? Date.parse('2025-01-01T00:00:00.000Z') : NOW - MINUTE;
    await store.upsertAggregations(results.map((r) => toAggregationWrite(r, { userId, asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC', computedAtMs, ttlMs: 3_600_000, recordCount: 7, computeMs: 2 })));
  }
  await store.recordFilterUse('u1', canonicalFilters({ channels: ['Zed'] }), '2024-01-01T00:00:00.000Z');
  await store.recordFilterUse('u2', canonicalFilters({ topics: ['Music'] }), '2025-06-30T00:00:00.000Z');
  await store.markChangesProcessed('u1', [{ changeId: 'seed:u1', changedAt: '2023-01-01T00:00:00.000Z' }], '2023-01-02T00:00:00.000Z');
  await store.markChangesProcessed('u2', [{ changeId: 'seed:u2', changedAt: '2023-01-01T00:00:00.000Z' }], '2023-01-02T00:00:00.000Z');
  for (const row of [ledgerRow('r1', '2024-01-01T00:00:00.000Z'), ledgerRow('r2', '2024-02-01T00:00:00.000Z'), ledgerRow('r3', null), ledgerRow('r4', '2025-06-01T00:00:00.000Z')]) await store.putRun(row);
  // The flag exists with a known salt, so every deployment buckets users alike.
  await h.server.t.run((ctx) => ctx.db.insert('rollout_flags', { flag: 'precomputed_aggregations', basisPoints: 0, salt: 'c0ffee', rolledBack: false, updatedAt: '2025-06-01T00:00:00.000Z', updatedBy: 'seed' }));
  writeFileSync(join(h.cwd, 'agg.config.json'), JSON.stringify({ archive: { rowsPerChunk: 4, retention: { data_change_log: '90d', agg_runs: '180d' } } }));
}

/** The maintenance routine, each command a minute after the last. */
async function routine(h: LoopbackHarness): Promise<void> {
  let step = 0;
  const at = () => {
    const now = NOW + ++step * MINUTE;
    return () => now;
  };
  const ok = async (args: string[], code = 0) => {
    const run = await h.agg(args, { now: at(), env: { USER: 'ci' } });
    expect(run.code, `agg ${args.join(' ')}: ${run.stderr}`).toBe(code);
    return run;
  };
  await ok(['rollout', '--percent', '25', '--reason', 'canary']);
  await ok(['rollout', '--enable-user', 'u2', '--disable-user', 'u4', '--reason', 'support']);
  await ok(['rollout', '--percent', '50']);
  await ok(['rollout', '--rollback', '--reason', 'drift']);
  await ok(['rollout', '--percent', '50', '--reason', 'fixed']);
  await ok(['archive', '--table', 'records', '--older-than', '365d', '--yes', '--json']);
  await ok(['archive', '--json']);
  await ok(['cleanup', '--json']);
  const listed = JSON.parse((await ok(['archive', '--list', '--json'])).stdout) as { archives: Array<{ manifestId: string; createdAt: string }> };
  expect(listed.archives).toHaveLength(2);
  for (const archive of listed.archives) expect(JSON.parse((await ok(['archive', '--verify', archive.manifestId, '--json'])).stdout)).toMatchObject({ ok: true });
  // Put the archived watch records back.
  const records = [...listed.archives].sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]!;
  const restored = JSON.parse((await ok(['archive', '--restore', records.manifestId, '--json'])).stdout);
  // A batch whose answer was lost is retried and finds its rows there: counted as already there.
  expect(restored.totals.inserted + restored.totals.identical).toBe(USERS.length * 3);
  expect(restored.totals.conflicting).toBe(0);
  await ok(['archive', '--restore', records.manifestId, '--json']);
}

const harnesses: LoopbackHarness[] = [];
async function harness(faults?: FaultPlan): Promise<LoopbackHarness> {
  const h = await startHarness(faults ? { faults } : {});
  harnesses.push(h);
  await seed(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses) expect(keyLeaks(h.server.adminKey, await capturedText(h))).toEqual([]);
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

describe('rollout, cleanup and archive over HTTP', () => {
  it('end in exactly the state of a fault-free run, under 10 % transient faults and with answers lost after commit', async () => {
    const clean = await harness();
    const faulty = await harness({ ...transientFaults(0.1, 'maintenance-10%'), latencyMs: [0, 3] });
    const losing = await harness({ seed: 'maintenance-lost', rules: [{ endpoint: 'mutation', rate: 0.3, fault: AFTER_COMMIT }], maxFaultsPerRequest: 3 });
    await Promise.all([routine(clean), routine(faulty), routine(losing)]);

    // The data is exact. What an archive row says about its own deletion and restores is not, after a
    // lost answer: the retried batch finds the rows it deleted (or put back) already gone (or there).
    // Those counts are compared as sums below.
    // Likewise the bytes a cleanup freed: a retried batch cannot tell the size of rows already gone.
    const counts = { omit: ['deletion', 'restores'] };
    const snapshot = async (h: LoopbackHarness): Promise<Record<string, string[]>> => {
      const tables = await h.snapshot(counts);
      const runs = (tables.agg_runs ?? []).map((row) => {
        const run = JSON.parse(row) as { command: string; counts: Record<string, number> };
        if (run.command === 'cleanup') delete run.counts.bytes;
        else if (run.command === 'archive' && run.counts.inserted !== undefined) {
          // A restore's ledger row, likewise: rows put back by a batch whose answer was lost count as identical.
          const { inserted, identical = 0, ...rest } = run.counts;
          run.counts = { ...rest, restored: inserted + identical };
        } else return row;
        return JSON.stringify(run);
      });
      return { ...tables, agg_runs: runs };
    };
    const expected = await snapshot(clean);
    expect(snapshotDiff(await snapshot(faulty), expected)).toEqual([]);
    expect(snapshotDiff(await snapshot(losing), expected)).toEqual([]);
    const deletions = async (h: LoopbackHarness) =>
      (await h.store().maintenance.listArchiveManifests())
        .map((row) => (row.manifest as { deletion: { deleted: number; alreadyGone: number; retained: number } }).deletion)
        .map((d) => d.deleted + d.alreadyGone + d.retained)
        .sort();
    expect(await deletions(faulty)).toEqual(await deletions(clean));
    expect(await deletions(losing)).toEqual(await deletions(clean));
    expect([...faulty.server.stats.faults.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5);
    expect(losing.server.stats.lostAfterCommit).toBeGreaterThanOrEqual(5);

    // What the routine must have done, once each: five audited flag changes, two archives (both
    // restorable), the old data gone, the records back.
    const events = expected.rollout_events!.map((row) => JSON.parse(row) as { action: string });
    expect(events).toHaveLength(5);
    expect(expected.archive_manifests!.map((row) => (JSON.parse(row) as { status: string }).status).sort()).toEqual(['deleted', 'restored']);
    expect(expected.watch_records).toHaveLength(USERS.length * 7);
    expect(expected.agg_runs!.some((row) => row.includes('"runId":"r1"'))).toBe(false);
    // cleanup removed the orphans (a user without records, filter sets nobody uses) and the stale filter combination.
    expect(expected.precomputed_aggregations!.some((row) => row.includes('"userId":"gone"'))).toBe(false);
    expect(expected.precomputed_aggregations!.some((row) => row.includes('"Zed"'))).toBe(false);
    expect(expected.precomputed_aggregations!.filter((row) => row.includes('"userId":"u3"'))).toHaveLength(3);
    expect(expected.filter_combinations!.map((row) => (JSON.parse(row) as { userId: string }).userId)).toEqual(['u2']);
    for (const h of [clean, faulty, losing]) await assertDocumentLimits(h.server.t);
  });
});
