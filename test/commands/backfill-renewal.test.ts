import { describe, expect, it } from 'vitest';
import type { AggregationDigest } from '../../src/store/types.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, seedUsers, withOpen } from '../support/store-fixtures.js';

// What the tick's two halves do, apart: --expiring renews (or recomputes for age) what is due and
// nothing else; --changed --no-renew recomputes the changed users and renews nothing. The default TTLs:
// top_channels and topics_leaderboard 30m (maxAge 1h), kpi and three more 1h (maxAge 2h), four 2h.

const T0 = Date.parse('2025-07-01T00:00:00.000Z');
const MIN = 60_000;
const GRID = 18;
const THIRTY_MINUTE_TYPES = new Set(['top_channels', 'topics_leaderboard']);
const ONE_HOUR_TYPES = new Set(['kpi', 'day_time_heatmap', 'viewing_patterns', 'enhanced_channel_metrics']);

const agg = (harness: AdapterHarness, args: string[], at: number) => runAgg(args, { openStore: () => harness.openStore(), now: () => at });

async function json(harness: AdapterHarness, args: string[], at: number) {
  const run = await agg(harness, [...args, '--json'], at);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

const digestsOf = (harness: AdapterHarness, userId: string): Promise<AggregationDigest[]> => withOpen(harness, (store) => store.listDigests(userId));
const expiries = (digests: readonly AggregationDigest[], types: ReadonlySet<string>) => digests.filter((d) => types.has(d.aggregationType)).map((d) => d.expiresAt);

describe.each(ADAPTER_FACTORIES)('the tick, part by part, on the %s', (_name, make) => {
  it('--expiring renews the results due and recomputes for age only those past maxAge, touching no change', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 3, 60));
    await json(harness, ['backfill', '--all'], T0);
    const before = await digestsOf(harness, 'user-002');

    // At +20m only the 30-minute types are due (30m < 20m + 5m threshold + 15m to the next tick): renewed.
    const early = await json(harness, ['backfill', '--expiring'], T0 + 20 * MIN);
    expect(early).toMatchObject({ users: { total: 0 }, results: 0, written: 0, renewal: { due: 3 * 2 * GRID, renewed: 3 * 2 * GRID, recomputed: 0, forAge: 0, staleGrids: 0 } });
    const renewed = await digestsOf(harness, 'user-002');
    expect(new Set(expiries(renewed, THIRTY_MINUTE_TYPES))).toEqual(new Set([new Date(T0 + 50 * MIN).toISOString()]));
    expect(expiries(renewed, ONE_HOUR_TYPES)).toEqual(expiries(before, ONE_HOUR_TYPES));

    // At +50m the 30-minute types cannot be renewed past their 1h maxAge: those results alone are
    // recomputed (found equal), while the 1-hour types are renewed.
    const late = await json(harness, ['backfill', '--expiring'], T0 + 50 * MIN);
    expect(late.renewal).toEqual({ due: 3 * 6 * GRID, renewed: 3 * 4 * GRID, recomputed: 3, forAge: 3, resultsForAge: 3 * 2 * GRID, staleGrids: 0 });
    expect(late).toMatchObject({ users: { total: 3 }, results: 3 * 2 * GRID, written: 0, refreshed: 3 * 2 * GRID });
    const after = await digestsOf(harness, 'user-002');
    const recomputedAt = new Date(T0 + 50 * MIN).toISOString();
    expect(after.filter((d) => d.computedAt === recomputedAt).map((d) => d.aggregationType).sort()).toEqual([...Array(GRID).fill('top_channels'), ...Array(GRID).fill('topics_leaderboard')].sort());
    const readable = await agg(harness, ['backfill', '--expiring'], T0 + 50 * MIN);
    expect(readable.stdout).toMatch(/recomputed for age\s+│\s+0 users \(0 results due\)/);
  });

  it('--expiring leaves a change to the next --changed; --changed --no-renew recomputes it and renews nothing', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 3, 60));
    await json(harness, ['backfill', '--all'], T0);
    // A change whose user has nothing due: --expiring does not take it.
    await withOpen(harness, (store) =>
      store.putRecords({ userId: 'user-001', records: [{ id: 'late-1', watchedAt: '2025-06-30T23:00:00.000Z', videoTitle: 'Late' }], change: { changeId: 'c-late', changeType: 'import', at: '2025-06-30T23:30:00.000Z' } }),
    );
    const expiring = await json(harness, ['backfill', '--expiring'], T0 + 5 * MIN);
    expect(expiring).toMatchObject({ users: { total: 0 }, written: 0, renewal: { due: 0, renewed: 0 } });
    expect((await withOpen(harness, (store) => store.listChanges('user-001'))).find((c) => c.changeId === 'c-late')?.processed).toBe(false);

    // At +20m the 30-minute types are due: --no-renew leaves them as they are and recomputes user-001 alone.
    const before = await digestsOf(harness, 'user-002');
    const noRenew = await json(harness, ['backfill', '--changed', '--no-renew'], T0 + 20 * MIN);
    expect(noRenew).toMatchObject({ users: { total: 1, done: 1 }, renewal: null });
    expect(noRenew.written).toBeGreaterThan(0);
    expect(expiries(await digestsOf(harness, 'user-002'), THIRTY_MINUTE_TYPES)).toEqual(expiries(before, THIRTY_MINUTE_TYPES));
    expect((await withOpen(harness, (store) => store.listChanges('user-001'))).every((c) => c.processed)).toBe(true);
    // The whole tick then renews what --no-renew left.
    expect((await json(harness, ['backfill', '--changed'], T0 + 20 * MIN)).renewal).toMatchObject({ renewed: 2 * 2 * GRID });
  });

  it('reports a stale grid apart from age, and a dry run plans it without writing', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 60));
    await json(harness, ['backfill', '--all'], T0);
    await withOpen(harness, async (store) => expect((await store.deleteAggregations(await store.listDigests('user-002'))).deleted).toBe(180));
    // At +15m its grid (fresh until +30m, as far as the user row says) goes stale before the next tick.

    const dry = await json(harness, ['backfill', '--expiring', '--dry-run'], T0 + 15 * MIN);
    expect(dry).toMatchObject({ dryRun: true, users: { total: 1 }, written: 180, renewal: { recomputed: 1, forAge: 0, staleGrids: 1 } });
    expect(await digestsOf(harness, 'user-002')).toEqual([]);
    const dryText = await agg(harness, ['backfill', '--expiring', '--dry-run'], T0 + 15 * MIN);
    expect(dryText.stdout).toMatch(/stale grids to recompute\s+│\s+1 user\b/);
    expect(dryText.stdout).toMatch(/to recompute for age\s+│\s+0 users/);

    const run = await agg(harness, ['backfill', '--expiring'], T0 + 15 * MIN);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/stale grids recomputed\s+│\s+1 user\b/);
    expect(run.stdout).toMatch(/recomputed for age\s+│\s+0 users \(0 results due\)/);
    expect(await digestsOf(harness, 'user-002')).toHaveLength(180);
  });
});
