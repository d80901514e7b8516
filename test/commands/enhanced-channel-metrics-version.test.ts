import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS, filterHash } from '../../src/core/filters.js';
import { measureJson } from '../../src/core/json.js';
import { REGISTRY } from '../../src/core/registry.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, seedUsers, withOpen } from '../support/store-fixtures.js';

// enhanced_channel_metrics is at algorithm version 2 (newest-first channelUrl and topicsSpread, date-fns
// 4.1 fullMonths). A row stored by version 1 must be `outdated` to validate, never served, and rewritten
// by backfill, even when its data happens to equal what version 2 computes.

// The real clock: the serving query reads it to decide what has expired.
const agg = (harness: AdapterHarness, args: string[]) => runAgg(args, { openStore: () => harness.openStore(), now: () => Date.now() });

const key = (userId: string) => ({ userId, aggregationType: 'enhanced_channel_metrics' as const, filterHash: filterHash(DEFAULT_FILTERS) });

const FLAG = { flag: 'precomputed_aggregations', basisPoints: 10_000, salt: 's', rolledBack: false, updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'test' };

describe.each(ADAPTER_FACTORIES)('a version-1 enhanced_channel_metrics row on the %s', (_name, make) => {
  it('is outdated to validate, not served, and rewritten at version 2 by backfill', async () => {
    expect(REGISTRY.enhanced_channel_metrics.version).toBe(2);
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 100, 'ecm-version'));
    expect((await agg(harness, ['backfill', '--all'])).code).toBe(0);
    const current = await withOpen(harness, async (store) => {
      const stored = (await store.readAggregation(key('user-001')))!;
      expect(stored.version).toBe(2);
      const json = JSON.stringify(stored.data);
      await store.upsertAggregations([{ ...stored, version: 1, json, ...measureJson(stored.data, json) }]);
      expect((await store.readAggregation(key('user-001')))!.version).toBe(1);
      return stored;
    });

    const run = await agg(harness, ['validate', '--json']);
    const report = JSON.parse(run.stdout) as {
      totals: Record<string, number>;
      byType: Record<string, Record<string, number>>;
      findings: { userId: string; type: string; status: string }[];
    };
    expect(report.totals).toMatchObject({ outdated: 1, match: 359, drift: 0, stale: 0, missing: 0 });
    expect(report.byType.enhanced_channel_metrics).toMatchObject({ outdated: 1 });
    expect(report.findings.map((f) => [f.userId, f.type, f.status])).toEqual([['user-001', 'enhanced_channel_metrics', 'outdated']]);

    if (harness.convex) {
      const t = harness.convex;
      await t.run((ctx) => ctx.db.insert('rollout_flags', FLAG));
      const served = (userId: string) => t.query('serving:getAggregation', { userId, type: 'enhanced_channel_metrics', filters: DEFAULT_FILTERS });
      expect(await served('user-001')).toBeNull();
      expect(await served('user-002')).toMatchObject({ type: 'enhanced_channel_metrics', version: 2 });
    }

    const backfill = await agg(harness, ['backfill', '--user', 'user-001']);
    expect(backfill.code, backfill.stderr).toBe(0);
    const rewritten = await withOpen(harness, (store) => store.readAggregation(key('user-001')));
    expect(rewritten).toMatchObject({ version: 2, dataHash: current.dataHash });
    const after = JSON.parse((await agg(harness, ['validate', '--json'])).stdout) as { totals: Record<string, number> };
    expect(after.totals).toMatchObject({ outdated: 0, match: 360 });
    if (harness.convex) {
      expect(await harness.convex.query('serving:getAggregation', { userId: 'user-001', type: 'enhanced_channel_metrics', filters: DEFAULT_FILTERS })).toMatchObject({ version: 2 });
    }
  });
});
