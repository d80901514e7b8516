// The upsert function takes inline data as its JSON text and stores the parsed value; it refuses an
// item whose data is not JSON or comes twice, and writes nothing of such a batch.
import { makeFunctionReference } from 'convex/server';
import { describe, expect, it } from 'vitest';
import { makeTestConvex } from '../support/convex-test-store.js';

const upsert = makeFunctionReference<'mutation'>('aggregations:upsert');

function header(filterHash: string) {
  return {
    userId: 'u1',
    aggregationType: 'kpi',
    filterHash,
    version: 1,
    filters: { timeframe: 'All', product: 'All', topics: [], channels: [] },
    dataHash: `hash-${filterHash}`,
    asOf: '2025-06-01T00:00:00.000Z',
    timeZone: 'UTC',
    computedAt: '2025-06-01T00:00:00.000Z',
    expiresAt: '2025-06-01T01:00:00.000Z',
    metadata: { recordCount: 3, computeMs: 1, bytes: 20 },
    chunkCount: 0,
  };
}

async function stored(t: ReturnType<typeof makeTestConvex>) {
  return t.run(async (ctx) => (await ctx.db.query('precomputed_aggregations').collect()).map((doc) => [doc.filterHash, doc.data]));
}

describe('aggregations:upsert', () => {
  it('stores dataJson as the parsed value, the same as inline data', async () => {
    const t = makeTestConvex();
    const value = { b: [1, 2.5, null], a: { nested: 'ü' } };
    const outcome = await t.mutation(upsert, { items: [{ ...header('f1'), dataJson: JSON.stringify(value) }, { ...header('f2'), data: value }], force: false } as never);
    expect(outcome).toMatchObject({ written: 2, unchanged: 0 });
    expect(await stored(t)).toEqual([
      ['f1', value],
      ['f2', value],
    ]);
  });

  it('refuses text that is not JSON, or data given twice, and leaves the batch unwritten', async () => {
    const t = makeTestConvex();
    await expect(t.mutation(upsert, { items: [{ ...header('f1'), dataJson: '{"a":1}' }, { ...header('f2'), dataJson: '{"a":' }], force: false } as never)).rejects.toThrow(
      /kpi for user u1: dataJson is not JSON/,
    );
    await expect(t.mutation(upsert, { items: [{ ...header('f3'), dataJson: '{}', data: {} }], force: false } as never)).rejects.toThrow(/carries its data once/);
    expect(await stored(t)).toEqual([]);
  });
});
