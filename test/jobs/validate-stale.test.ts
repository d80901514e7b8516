// A change that a backfill has processed no longer makes the user's rows stale: the backfill rewrote
// them, or recomputed them and found them equal (then it keeps them as they are, computedAt included).
import { describe, expect, it } from 'vitest';
import type { InputRecord } from '../../src/core/record.js';
import { HARNESSES, jsonOf } from '../support/cli-harness.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const records: InputRecord[] = [
  { id: 'a', watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial' },
  { id: 'b', watchedAt: '2025-06-02T10:00:00.000Z', channelTitle: 'Beta', videoTitle: 'Rock song', videoUrl: 'https://www.youtube.com/watch?v=old' },
];

describe.each(HARNESSES)('validate after a change that alters no result, on the %s', (_name, make) => {
  it('is stale until backfill --changed has processed the change, then clean', async () => {
    const harness = make();
    await harness.seedUsers([{ userId: 'u1', records }]);
    const at = (minutes: number) => ({ now: () => NOW + minutes * 60_000 });
    expect((await harness.run(['backfill', '--changed', '--type', 'kpi'], at(0))).code).toBe(0);
    // A later import changes a field no aggregation reads: a real change, with identical results.
    const store = harness.open();
    await store.putRecords({ userId: 'u1', records: [{ ...records[1]!, videoUrl: 'https://www.youtube.com/watch?v=new' }], change: { changeId: 'c2', changeType: 'update', at: '2025-07-01T00:10:00.000Z' } });
    await store.close();

    const before = jsonOf<{ totals: Record<string, number> }>(await harness.run(['validate', '--type', 'kpi', '--json'], at(20)));
    expect(before.totals).toMatchObject({ stale: 18, match: 0 });
    const backfill = jsonOf<{ written: number; unchanged: number }>(await harness.run(['backfill', '--changed', '--type', 'kpi', '--json'], at(30)));
    expect(backfill).toMatchObject({ written: 0, unchanged: 18 });
    const after = await harness.run(['validate', '--type', 'kpi', '--json'], at(40));
    expect(after.code).toBe(0);
    expect(jsonOf<{ totals: Record<string, number> }>(after).totals).toMatchObject({ stale: 0, match: 18 });
  });
});
