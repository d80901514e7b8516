// A heavy user's backfill stops partway when asked (Ctrl-C) or when a write fails: it lets the write in
// flight finish, starts no other, and says so (StoppedMidUser, or the write's own error), instead of
// computing to the end while a rejected write goes unnoticed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { DEFAULT_GRID } from '../../src/core/filters.js';
import { DEFAULT_TTL_MS } from '../../src/config/config.js';
import { backfillUser } from '../../src/jobs/backfill-user.js';
import { StoppedMidUser, runJob } from '../../src/jobs/runner.js';
import { StoreError } from '../../src/store/errors.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { generateUser } from '../../fixtures/generator.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const SPEC = { types: AGGREGATION_TYPES, grid: DEFAULT_GRID, asOf: null, timeZone: 'UTC', force: false };
const GRID_RESULTS = AGGREGATION_TYPES.length * DEFAULT_GRID.length;

/** The store, calling `onUpsert` (with the call's number) as each write of results is made. */
function watchingUpserts(store: Store, onUpsert: (call: number, write: () => Promise<unknown>) => Promise<unknown>): Store {
  let calls = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property !== 'upsertAggregations') return Reflect.get(target, property, receiver) as unknown;
      return (...args: Parameters<Store['upsertAggregations']>) => onUpsert(++calls, () => target.upsertAggregations(...args));
    },
  });
}

describe('a heavy user stopping partway', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agg-stop-'));
    const store = SqliteStore.open(dir);
    // Enough records that the user's results take several write batches (of ~4 MiB each).
    await store.putRecords({ userId: 'heavy', records: generateUser({ userId: 'heavy', records: 50_000, seed: 'stop', years: 3 }), change: { changeId: 'seed', changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    await store.close();
  }, 120_000);

  it('on Ctrl-C (past the grace), finishes the write in flight, starts no other, and throws StoppedMidUser', async () => {
    const store = SqliteStore.open(dir);
    try {
      const interrupt = new AbortController();
      let writes = 0;
      const watched = watchingUpserts(store, async (_call, write) => {
        interrupt.abort('SIGINT');
        const outcome = await write();
        writes++;
        return outcome;
      });
      await expect(backfillUser('heavy', SPEC, { store: watched, ttlMs: DEFAULT_TTL_MS, now: () => NOW, dryRun: false, writeConcurrency: 2, signal: interrupt.signal, stopGraceMs: 0 })).rejects.toBeInstanceOf(StoppedMidUser);
      expect(writes).toBe(1);
      const stored = (await store.listDigests('heavy')).length;
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(GRID_RESULTS);
      // What was written is whole; a later run (the --resume) writes the rest.
      const redone = await backfillUser('heavy', SPEC, { store, ttlMs: DEFAULT_TTL_MS, now: () => NOW, dryRun: false, writeConcurrency: 2 });
      expect(redone.created).toBe(redone.results - stored);
      expect((await store.listDigests('heavy')).length).toBe(redone.results);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('on Ctrl-C while its records are read, stops before writing anything', async () => {
    const store = SqliteStore.open(dir);
    try {
      const interrupt = new AbortController();
      interrupt.abort('SIGINT');
      const before = (await store.listDigests('heavy')).length;
      let writes = 0;
      const watched = watchingUpserts(store, async (_call, write) => (writes++, write()));
      await expect(backfillUser('heavy', { ...SPEC, force: true }, { store: watched, ttlMs: DEFAULT_TTL_MS, now: () => NOW, dryRun: false, writeConcurrency: 2, signal: interrupt.signal, stopGraceMs: 0 })).rejects.toBeInstanceOf(StoppedMidUser);
      expect(writes).toBe(0);
      expect((await store.listDigests('heavy')).length).toBe(before);
    } finally {
      await store.close();
    }
  });

  it('within the grace after Ctrl-C, a user goes on to the end', async () => {
    const store = SqliteStore.open(join(dir, 'grace'));
    try {
      await store.putRecords({ userId: 'small', records: generateUser({ userId: 'small', records: 200, seed: 'grace', years: 1 }), change: { changeId: 'seed', changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
      const interrupt = new AbortController();
      interrupt.abort('SIGINT');
      const outcome = await backfillUser('small', SPEC, { store, ttlMs: DEFAULT_TTL_MS, now: () => NOW, dryRun: false, writeConcurrency: 2, signal: interrupt.signal, stopGraceMs: 60_000 });
      expect(outcome.created).toBe(GRID_RESULTS);
    } finally {
      await store.close();
    }
  });

  it('a user stopped partway is left unsettled, so the checkpoint keeps it pending', async () => {
    const interrupt = new AbortController();
    const settled: string[] = [];
    const outcome = await runJob({
      users: ['a', 'heavy', 'z'],
      concurrency: 1,
      signal: interrupt.signal,
      deadline: null,
      now: () => NOW,
      process: async (userId) => {
        if (userId === 'heavy') {
          interrupt.abort('SIGINT');
          throw new StoppedMidUser(userId);
        }
        return userId;
      },
      settled: async (userId) => void settled.push(userId),
    });
    expect(outcome.stoppedBy).toBe('interrupted');
    expect(settled).toEqual(['a']);
  });

  it('stops at the first failed write and throws its error, never leaving it unhandled', async () => {
    const store = SqliteStore.open(dir);
    try {
      const failure = new StoreError('the disk went away', 'permanent', 'store');
      let calls = 0;
      const watched = watchingUpserts(store, async (call) => {
        calls = call;
        // Fails a moment later, while the user's computation goes on.
        await new Promise((resolve) => setImmediate(resolve));
        throw failure;
      });
      await expect(backfillUser('heavy', { ...SPEC, force: true }, { store: watched, ttlMs: DEFAULT_TTL_MS, now: () => NOW, dryRun: false, writeConcurrency: 1 })).rejects.toBe(failure);
      expect(calls).toBe(1);
    } finally {
      await store.close();
    }
  }, 120_000);
});
