// Torn reads: an import that writes a user's records while a backfill reads them. The backfill reads
// again when the revision moved under it; when the records keep changing, what it stores is labelled
// with the older revision, so validate calls it stale (the records changed since), never drift.
import { describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { DEFAULT_GRID } from '../../src/core/filters.js';
import type { InputRecord } from '../../src/core/record.js';
import { backfillUser } from '../../src/jobs/backfill-user.js';
import { validateUser } from '../../src/jobs/validate-user.js';
import { DEFAULT_TTL_MS } from '../../src/config/config.js';
import type { Store } from '../../src/store/store.js';
import { generateUser } from '../../fixtures/generator.js';
import { ADAPTER_FACTORIES, withOpen } from '../support/store-fixtures.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const SPEC = { types: AGGREGATION_TYPES, grid: DEFAULT_GRID, asOf: null, timeZone: 'UTC', force: false };

/** The store, with an import of `userId` landing right after each of the first `times` record pages is read. */
function importingDuringReads(store: Store, userId: string, times: number): { store: Store; landed: () => number } {
  let landed = 0;
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'pageRecords') return Reflect.get(target, property, receiver) as unknown;
      return async (...args: Parameters<Store['pageRecords']>) => {
        const page = await target.pageRecords(...args);
        if (args[0] === userId && landed < times) {
          landed++;
          const record: InputRecord = { id: `late-${landed}`, watchedAt: '2025-06-30T12:00:00.000Z', channelTitle: `Late ${landed}`, videoTitle: 'Arrived mid-read' };
          await target.putRecords({ userId, records: [record], change: { changeId: `late:${landed}`, changeType: 'import', at: new Date(NOW + landed).toISOString() } });
        }
        return page;
      };
    },
  });
  return { store: wrapped, landed: () => landed };
}

describe.each(ADAPTER_FACTORIES)('reading a user\'s records at one state, on the %s', (_name, make) => {
  const seed = async (store: Store) => {
    await store.putRecords({ userId: 'u1', records: generateUser({ userId: 'u1', records: 120, seed: 'torn', years: 1 }), change: { changeId: 'seed', changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
  };

  it('reads again when an import wrote during the read, and stores results of one real state (validate: match)', async () => {
    const harness = make();
    await withOpen(harness, seed);
    await withOpen(harness, async (store) => {
      const torn = importingDuringReads(store, 'u1', 1);
      await backfillUser('u1', SPEC, { store: torn.store, ttlMs: DEFAULT_TTL_MS, now: () => NOW, dryRun: false, writeConcurrency: 2 });
      expect(torn.landed()).toBe(1);
      const result = await validateUser(store, 'u1', { types: AGGREGATION_TYPES, grid: DEFAULT_GRID, tolerance: 1e-9, maxDiffs: 5, now: new Date(NOW).toISOString() });
      expect(result.counts).toMatchObject({ match: 180, drift: 0, stale: 0 });
      // The import's entry was read before the records it is in: processed. The late one came after: pending.
      const pending = (await store.listChanges('u1')).filter((entry) => !entry.processed).map((entry) => entry.changeId);
      expect(pending).toEqual(['late:1']);
    });
  }, 60_000);

  it('labels what it stores with the older revision when the records keep changing: validate says stale, never drift', async () => {
    const harness = make();
    await withOpen(harness, seed);
    await withOpen(harness, async (store) => {
      const torn = importingDuringReads(store, 'u1', 10);
      await backfillUser('u1', SPEC, { store: torn.store, ttlMs: DEFAULT_TTL_MS, now: () => NOW, dryRun: false, writeConcurrency: 2 });
      expect(torn.landed()).toBe(3); // every attempt saw a write land
      const digests = await store.listDigests('u1');
      const current = (await store.getUser('u1'))!.recordsRevision;
      expect(digests.every((digest) => digest.recordsRevision !== current)).toBe(true);
      const result = await validateUser(store, 'u1', { types: AGGREGATION_TYPES, grid: DEFAULT_GRID, tolerance: 1e-9, maxDiffs: 5, now: new Date(NOW).toISOString() });
      expect(result.counts.drift).toBe(0);
      expect(result.counts.stale).toBe(180);
      // Validate's own read is checked the same way: during a write it calls everything stale.
      const busy = importingDuringReads(store, 'u1', 10);
      const during = await validateUser(busy.store, 'u1', { types: AGGREGATION_TYPES, grid: DEFAULT_GRID, tolerance: 1e-9, maxDiffs: 5, now: new Date(NOW).toISOString() });
      expect(during.counts).toMatchObject({ drift: 0, stale: 180 });
    });
  }, 60_000);
});
