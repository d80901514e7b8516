import { getFunctionAddress } from 'convex/server';
import { describe, expect, it } from 'vitest';
import { Agg, dataOf, INGEST_LIMITS, type ServedAggregation } from '../../src/client/index.js';
import { components } from '../../examples/convex-app/convex/_generated/api.js';

// The client as the app's functions use it: what it sends to the component, and what it refuses
// before sending anything.

function recordingCtx() {
  const calls: Array<{ kind: 'query' | 'mutation'; name: string; args: unknown }> = [];
  const answer = async (kind: 'query' | 'mutation', reference: unknown, args: unknown) => {
    // `_reference/childComponent/agg/serving/getAggregation` → `serving:getAggregation`
    const path = String(getFunctionAddress(reference as never).reference).split('/').slice(3);
    calls.push({ kind, name: `${path.slice(0, -1).join('/')}:${path.at(-1)}`, args });
    return null;
  };
  const ctx = { runQuery: (ref: unknown, args: unknown) => answer('query', ref, args), runMutation: (ref: unknown, args: unknown) => answer('mutation', ref, args) };
  return { ctx: ctx as never, calls };
}

describe('the Agg client', () => {
  it('calls the component\'s functions with the user id the app resolved, filling omitted filters', async () => {
    const { ctx, calls } = recordingCtx();
    const agg = new Agg(components.agg, { flag: 'beta', maxFilterCombinations: 20 });
    await agg.getAggregation(ctx, 'u1', 'kpi', { timeframe: 'YTD' });
    await agg.isRolledOut(ctx, 'u1');
    await agg.recordFilterUse(ctx, 'u1', { channels: ['c'] });
    await agg.recordWatches(ctx, 'u1', [{ id: 'r1', watchedAt: '2026-01-01T00:00:00Z' }]);
    await agg.deleteWatches(ctx, 'u1', ['r1']);
    await agg.deleteUser(ctx, 'u1');
    expect(calls).toEqual([
      { kind: 'query', name: 'serving:getAggregation', args: { userId: 'u1', type: 'kpi', filters: { timeframe: 'YTD', product: 'All', topics: [], channels: [] }, flag: 'beta' } },
      { kind: 'query', name: 'serving:isRolledOut', args: { userId: 'u1', flag: 'beta' } },
      { kind: 'mutation', name: 'serving:recordFilterUse', args: { userId: 'u1', filters: { timeframe: 'All', product: 'All', topics: [], channels: ['c'] }, maxCombinations: 20 } },
      { kind: 'mutation', name: 'ingest:recordWatches', args: { userId: 'u1', records: [{ id: 'r1', watchedAt: '2026-01-01T00:00:00Z' }] } },
      { kind: 'mutation', name: 'ingest:deleteWatches', args: { userId: 'u1', ids: ['r1'] } },
      { kind: 'mutation', name: 'ingest:deleteUser', args: { userId: 'u1' } },
    ]);
  });

  it('refuses an oversize batch before it calls, naming the limit', async () => {
    const { ctx, calls } = recordingCtx();
    const agg = new Agg(components.agg);
    const many = Array.from({ length: INGEST_LIMITS.itemsPerCall + 1 }, (_, i) => ({ id: `r${i}`, watchedAt: null }));
    await expect(agg.recordWatches(ctx, 'u1', many)).rejects.toThrow('agg: 1001 records in one call; at most 1000 per call (split the batch)');
    await expect(agg.deleteWatches(ctx, 'u1', many.map((r) => r.id))).rejects.toThrow('agg: 1001 record ids in one call; at most 1000 per call');
    const heavy = Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, watchedAt: null, videoTitle: 'x'.repeat(500_000) }));
    await expect(agg.recordWatches(ctx, 'u1', heavy)).rejects.toThrow(/agg: records of \d+ bytes in one call; at most 4194304 bytes per call/);
    expect(calls).toEqual([]);
  });

  it('reads a served result\'s data whichever form it came in', () => {
    const meta = { type: 'monthly_trend' as const, version: 1, asOf: 'a', timeZone: 'UTC', computedAt: 'c', expiresAt: 'e' };
    const data = [{ month: '2026-01', count: 3 }] as unknown as ServedAggregation<'monthly_trend'>['data'];
    expect(dataOf({ ...meta, data } as ServedAggregation<'monthly_trend'>)).toEqual(data);
    expect(dataOf({ ...meta, json: JSON.stringify(data) } as ServedAggregation<'monthly_trend'>)).toEqual(data);
  });
});
