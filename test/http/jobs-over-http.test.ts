// import, backfill and validate through `agg --url http://127.0.0.1:PORT --admin-key …`: the real
// ConvexHttpClient against the loopback deployment, under injected network faults, compared with the
// same commands on a fault-free deployment.
import { afterEach, describe, expect, it } from 'vitest';
import { generateUsers } from '../../fixtures/generator.js';
import { type Fault, type FaultPlan, transientFaults } from '../support/loopback-convex.js';
import { type LoopbackHarness, capturedText, keyLeaks, snapshotDiff, startHarness, writeUserFiles } from '../support/loopback-harness.js';

const USERS = [...generateUsers({ users: 5, records: 24, seed: 'http-jobs' })];
// A few types keep the deployment small: convex-test scans every document for each indexed read.
const TYPES = ['--type', 'kpi', '--type', 'top_channels', '--type', 'session_analysis'];
const RESULTS_PER_USER = 18 * 3;
const AFTER_COMMIT: readonly Fault[] = ['reset-after-commit', 'stall-after-commit', '502-after-commit'];

const harnesses: LoopbackHarness[] = [];
async function harness(faults?: FaultPlan): Promise<LoopbackHarness> {
  const h = await startHarness(faults ? { faults } : {});
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  // Whatever a test did, the key never showed up in any output or stored row.
  for (const h of harnesses) expect(keyLeaks(h.server.adminKey, await capturedText(h))).toEqual([]);
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

/** The daily routine: import every user's file, backfill all, validate all, then --changed backfills. */
async function routine(h: LoopbackHarness): Promise<void> {
  for (const [userId, path] of writeUserFiles(h, USERS)) {
    const imported = await h.agg(['import', path, '--user', userId, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
  }
  const backfill = await h.agg(['backfill', '--all', ...TYPES, '--concurrency', '3', '--json']);
  expect(backfill.code, backfill.stderr).toBe(0);
  expect(JSON.parse(backfill.stdout)).toMatchObject({ status: 'succeeded', users: { total: USERS.length, done: USERS.length, failed: 0 }, written: USERS.length * RESULTS_PER_USER });
  const validate = await h.agg(['validate', '--all', ...TYPES, '--json']);
  expect(validate.code, validate.stderr).toBe(0);
  expect(JSON.parse(validate.stdout)).toMatchObject({ status: 'succeeded' });
  // A run limited by --type recomputes only some types, so it marks no change processed: --changed
  // takes every imported user again, writes nothing new, and so does the next one.
  const changed = await h.agg(['backfill', '--changed', ...TYPES, '--json']);
  expect(changed.code, changed.stderr).toBe(0);
  expect(JSON.parse(changed.stdout)).toMatchObject({ users: { total: USERS.length }, written: 0 });
  const again = await h.agg(['backfill', '--changed', ...TYPES, '--json']);
  expect(JSON.parse(again.stdout)).toMatchObject({ users: { total: USERS.length }, written: 0 });
}

/**
 * The snapshot with each import's ledger counts masked: a batch whose answer was lost after it committed
 * is sent again and then finds its records stored, so the run counts them as unchanged instead of
 * inserted. What is stored is the same; only that run's account of who stored it differs.
 */
function importCountsMasked(snapshot: Record<string, string[]>): Record<string, string[]> {
  const runs = (snapshot.agg_runs ?? []).map((row) => {
    const parsed = JSON.parse(row) as { command?: string; counts?: Record<string, number> };
    if (parsed.command !== 'import' || parsed.counts === undefined) return row;
    const { records, deleted, storedNotInFile } = parsed.counts;
    return JSON.stringify({ ...parsed, counts: { records, deleted, storedNotInFile, stored: '<masked>' } });
  });
  return { ...snapshot, agg_runs: runs.sort() };
}

describe('import, backfill and validate over HTTP', () => {
  it('end in exactly the state of a fault-free run under 10 % injected transient faults', async () => {
    const clean = await harness();
    const faulty = await harness({ ...transientFaults(0.1, 'jobs-10%'), latencyMs: [0, 3] });
    await Promise.all([routine(clean), routine(faulty)]);
    expect(snapshotDiff(importCountsMasked(await faulty.snapshot()), importCountsMasked(await clean.snapshot()))).toEqual([]);
    const injected = [...faulty.server.stats.faults.values()].reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThanOrEqual(5);
    expect(clean.server.stats.faults.size).toBe(0);
  });

  it('leave no duplicates when answers are lost after the mutation committed', async () => {
    const clean = await harness();
    const losing = await harness({ seed: 'lost', rules: [{ endpoint: 'mutation', rate: 0.3, fault: AFTER_COMMIT }], maxFaultsPerRequest: 3 });
    await Promise.all([routine(clean), routine(losing)]);
    expect(losing.server.stats.lostAfterCommit).toBeGreaterThanOrEqual(5);
    const snapshot = await losing.snapshot();
    expect(snapshotDiff(importCountsMasked(snapshot), importCountsMasked(await clean.snapshot()))).toEqual([]);
    // One row per key, one change-log entry per import, one ledger row per run (an import is one too).
    const keys = snapshot.precomputed_aggregations!.map((row) => {
      const { userId, aggregationType, filterHash } = JSON.parse(row) as Record<string, string>;
      return `${userId}|${aggregationType}|${filterHash}`;
    });
    expect(new Set(keys).size).toBe(USERS.length * RESULTS_PER_USER);
    expect(snapshot.data_change_log).toHaveLength(USERS.length);
    expect(snapshot.agg_runs).toHaveLength(4 + USERS.length);
  });

  it('detects a stalled deployment by the per-call timeout and retries until it answers', async () => {
    const clean = await harness();
    const stalling = await harness({ rules: [{ path: /^(aggregations|records):/, after: 4, times: 4, fault: ['stall', 'stall-body', 'stall-after-commit'] }] });
    await clean.seedUsers(USERS.slice(0, 3));
    await stalling.seedUsers(USERS.slice(0, 3));
    for (const h of [clean, stalling]) {
      const run = await h.agg(['backfill', '--all', ...TYPES, '--json'], { timeout: '250ms' });
      expect(run.code, run.stderr).toBe(0);
    }
    expect([...stalling.server.stats.faults.values()].reduce((a, b) => a + b, 0)).toBe(4);
    expect(snapshotDiff(await stalling.snapshot(), await clean.snapshot())).toEqual([]);
  });

  it('validate --repair fixes drift under faults, and a later validate is clean', async () => {
    const faulty = await harness({ ...transientFaults(0.15, 'repair') });
    await faulty.seedUsers(USERS.slice(0, 3));
    faulty.server.setFaults(null);
    expect((await faulty.agg(['backfill', '--all', ...TYPES])).code).toBe(0);
    // Damage one stored result.
    await faulty.server.t.run(async (ctx) => {
      const row = await ctx.db.query('precomputed_aggregations').first();
      await ctx.db.patch(row!._id, { data: { damaged: true } });
    });
    faulty.server.setFaults(transientFaults(0.15, 'repair'));
    const repair = await faulty.agg(['validate', '--repair', ...TYPES, '--json']);
    expect(repair.code, repair.stderr).toBe(1);
    expect(JSON.parse(repair.stdout).totals).toMatchObject({ drift: 1 });
    const after = await faulty.agg(['validate', ...TYPES, '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).totals).toMatchObject({ drift: 0 });
  });

  it('--max-runtime stops a backfill as partial, and --resume finishes it under faults as a clean run would', async () => {
    const clean = await harness();
    const faulty = await harness(transientFaults(0.1, 'resume'));
    for (const h of [clean, faulty]) await h.seedUsers(USERS);
    expect((await clean.agg(['backfill', '--all', ...TYPES])).code).toBe(0);
    let clock = Date.parse('2025-07-01T00:00:00.000Z');
    const now = () => (clock += 1000);
    const partial = await faulty.agg(['backfill', '--all', ...TYPES, '--concurrency', '1', '--max-runtime', '6s', '--json'], { now });
    expect(partial.code, partial.stderr).toBe(0);
    const first = JSON.parse(partial.stdout);
    expect(first.status).toBe('partial');
    expect(first.users.done).toBeGreaterThan(0);
    expect(first.users.done).toBeLessThan(USERS.length);
    const resumed = await faulty.agg(['backfill', '--resume', 'last', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: first.runId, status: 'succeeded', users: { total: USERS.length, done: USERS.length } });
    // The two runs read different clocks: compare the data, not when it was computed.
    const data = { skip: ['agg_runs', 'agg_leases'], omit: ['computedAt', 'expiresAt', 'processedAt'] };
    expect(snapshotDiff(await faulty.snapshot(data), await clean.snapshot(data))).toEqual([]);
    const runs = await faulty.agg(['runs', '--json']);
    expect(JSON.parse(runs.stdout).runs).toHaveLength(1);
  });
});
