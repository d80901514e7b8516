import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS, filterHash } from '../../src/core/filters.js';
import { sha256Hex } from '../../src/core/hash/sha256.js';
import type { Store } from '../../src/store/store.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, seedUsers, withOpen } from '../support/store-fixtures.js';

const T0 = Date.parse('2025-07-01T00:00:00.000Z');

function configDir(config: object): string {
  const cwd = mkdtempSync(join(tmpdir(), 'agg-eligibility-'));
  writeFileSync(join(cwd, 'agg.config.json'), JSON.stringify(config));
  return cwd;
}

const agg = (harness: AdapterHarness, args: string[], options: { cwd?: string; now?: number } = {}) =>
  runAgg(args, { openStore: () => harness.openStore(), now: () => options.now ?? T0, ...(options.cwd ? { cwd: options.cwd } : {}) });

describe.each(ADAPTER_FACTORIES)('rollout eligibility on the %s', (_name, make) => {
  it('serves only users with enough records and a fresh default grid, and says why not', async () => {
    const harness = make();
    const seeded = await withOpen(harness, (store) => seedUsers(store, 4, 60, 'eligibility'));
    const counts = [...seeded].map(([userId, records]) => [userId, records.length] as const).sort((a, b) => a[1] - b[1]);
    const [smallest, smallCount] = counts[0]!;
    const cwd = configDir({ rollout: { eligibility: { minRecords: smallCount + 1, requireFreshGrid: true } } });
    expect((await agg(harness, ['rollout', '--percent', '100', '--actor', 'ops'], { cwd })).code).toBe(0);

    // Nobody has pre-computed results yet: everyone is in, nobody is served.
    let status = JSON.parse((await agg(harness, ['rollout', '--json'], { cwd })).stdout);
    expect(status.users).toMatchObject({ in: 4, served: 0, heldBack: 4 });
    expect(status.eligibility).toEqual({ minRecords: smallCount + 1, requireFreshGrid: true });

    expect((await agg(harness, ['backfill', '--all'], { cwd })).code).toBe(0);
    status = JSON.parse((await agg(harness, ['rollout', '--json'], { cwd })).stdout);
    expect(status.users).toMatchObject({ in: 4, served: 3, heldBack: 1 });
    const check = await agg(harness, ['rollout', '--check', smallest], { cwd });
    expect(check.stdout).toContain(`not served: not eligible: ${smallCount} records < ${smallCount + 1} required`);
    const checkJson = JSON.parse((await agg(harness, ['rollout', '--check', counts[3]![0], '--json'], { cwd })).stdout);
    expect(checkJson).toMatchObject({ included: true, served: true, eligible: true, notEligibleBecause: [] });

    // The shortest TTL is 30 minutes: after that, the grid is no longer fresh.
    const later = await agg(harness, ['rollout', '--json'], { cwd, now: T0 + 31 * 60_000 });
    expect(JSON.parse(later.stdout).users).toMatchObject({ served: 0, heldBack: 4 });
    const stale = await agg(harness, ['rollout', '--check', counts[3]![0]], { cwd, now: T0 + 31 * 60_000 });
    expect(stale.stdout).toMatch(/not served: not eligible: default-grid aggregations expired at 2025-07-01T00:30:00\.000Z \(run agg backfill\)/);
  });
});

describe('the app\'s isRolledOut applies the same eligibility rule', () => {
  it('follows the flag\'s policy and the facts backfill keeps', async () => {
    const harness = ADAPTER_FACTORIES[1]![1]();
    const t = harness.convex!;
    await withOpen(harness, (store) => seedUsers(store, 2, 40, 'app-eligibility'));
    const cwd = configDir({ rollout: { eligibility: { minRecords: 1, requireFreshGrid: true } } });
    await agg(harness, ['rollout', '--percent', '100'], { cwd });
    const isRolledOut = (userId: string) => t.query('serving:isRolledOut', { userId });
    const getAggregation = (userId: string, args: Record<string, unknown>) => t.query('serving:getAggregation', { userId, ...args });
    expect(await isRolledOut('user-001')).toBe(false);
    await agg(harness, ['backfill', '--user', 'user-001'], { cwd, now: Date.now() });
    expect(await isRolledOut('user-001')).toBe(true);
    expect(await isRolledOut('user-002')).toBe(false);
    expect(await isRolledOut('nobody')).toBe(false);
    const served = await getAggregation('user-001', { type: 'kpi', filters: DEFAULT_FILTERS });
    expect(served).toMatchObject({ version: 1, data: expect.objectContaining({ totalVideos: expect.any(Number) }) });
    expect(await getAggregation('user-002', { type: 'kpi', filters: DEFAULT_FILTERS })).toBeNull();
  });
});

/** Bumps one stored number so validate finds drift for this user. */
async function injectDrift(store: Store, userId: string): Promise<void> {
  const key = { userId, aggregationType: 'kpi' as const, filterHash: filterHash(DEFAULT_FILTERS) };
  const stored = (await store.readAggregation(key))!;
  const data = { ...(stored.data as Record<string, number>), totalVideos: (stored.data as Record<string, number>).totalVideos! + 1 };
  const json = JSON.stringify(data);
  await store.upsertAggregations([{ ...stored, json, dataHash: sha256Hex(json), longestArray: 0, widestObject: 9, depth: 1 }]);
}

describe.each(ADAPTER_FACTORIES)('agg validate --rollback-on-drift on the %s', (_name, make) => {
  async function rolledOut(users: number): Promise<AdapterHarness> {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, users, 30, 'guardrail'));
    expect((await agg(harness, ['backfill', '--all'])).code).toBe(0);
    expect((await agg(harness, ['rollout', '--percent', '100', '--actor', 'ops'])).code).toBe(0);
    return harness;
  }

  it('rolls the flag back, with an audit event naming the validate run, when drift exceeds the threshold', async () => {
    const harness = await rolledOut(6);
    await withOpen(harness, async (store) => {
      await injectDrift(store, 'user-002');
      await injectDrift(store, 'user-005');
    });
    const run = await agg(harness, ['validate', '--rollback-on-drift', '0.5%', '--actor', 'nightly', '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.guardrail).toMatchObject({ flag: 'precomputed_aggregations', usersServed: 6, usersWithDrift: 2, rolledBack: true });
    expect(run.stderr).toMatch(/guardrail: drift in 2 of 6 served users \(33\.33%\), threshold 0\.50%: rolled precomputed_aggregations back to 0% \(was 100\.00%\)/);
    const [event] = await withOpen(harness, (store) => store.listFlagEvents('precomputed_aggregations', 1));
    expect(event).toMatchObject({ action: 'rollback', actor: 'nightly', fromBasisPoints: 10_000, toBasisPoints: 0 });
    expect(event!.reason).toBe(`validate run ${report.runId}: drift in 2 of 6 served users (33.33%), threshold 0.50%`);
    expect((await withOpen(harness, (store) => store.getFlag('precomputed_aggregations')))!.rolledBack).toBe(true);
  });

  it('changes nothing at or below the threshold', async () => {
    const harness = await rolledOut(5);
    await withOpen(harness, (store) => injectDrift(store, 'user-003'));
    const run = await agg(harness, ['validate', '--rollback-on-drift', '20%', '--json']);
    // Drift was found (--fail-on drift): exit 1, but 1 of 5 users (20%) is not above 20%.
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).guardrail).toMatchObject({ usersServed: 5, usersWithDrift: 1, share: 0.2, rolledBack: false });
    const flag = await withOpen(harness, (store) => store.getFlag('precomputed_aggregations'));
    expect(flag).toMatchObject({ basisPoints: 10_000, rolledBack: false });
    expect(await withOpen(harness, (store) => store.listFlagEvents('precomputed_aggregations', 10))).toHaveLength(1);
  });
});

describe('--rollback-on-drift arguments', () => {
  it.each([
    [['validate', '--rollback-on-drift', '150%'], /--rollback-on-drift "150%" must be a percentage from 0% to 100%/],
    [['validate', '--rollback-on-drift', 'lots'], /--rollback-on-drift "lots" must be a percentage/],
    [['validate', '--flag', 'x'], /--flag and --actor go with --rollback-on-drift/],
    [['validate', '--repair', '--dry-run', '--rollback-on-drift', '1%'], /--rollback-on-drift cannot be combined with --dry-run/],
  ])('%j → exit 2', async (args, message) => {
    const run = await runAgg(args as string[], { cwd: mkdtempSync(join(tmpdir(), 'agg-g-')) });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
