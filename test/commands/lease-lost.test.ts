// A run whose lease another run takes over mid-way (`--force-lease`, or a holder judged dead) stops at
// its next safe point and exits 75, as when the lease is held at the start: never 1, which means
// findings, and never 3, which means the store failed. One case per leased command.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LEASE_TTL_MS, RENEW_EVERY_MS } from '../../src/jobs/lease.js';
import type { Store } from '../../src/store/store.js';
import { type CliHarness, HARNESSES } from '../support/cli-harness.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');

function records(userId: string) {
  return Array.from({ length: 6 }, (_, i) => ({ id: `${userId}-${i}`, watchedAt: `2025-06-0${i + 1}T12:00:00.000Z`, videoTitle: `Video ${i}`, channelTitle: i % 2 ? 'Alpha' : 'Beta' }));
}

/**
 * The store as the command sees it, where another run takes every lease over by force just before the
 * `nth` call of `method` (on the store or its maintenance part), and the holder's renewal timer then
 * fires: the renewal finds the thief holding the lease (taken at `at`, the command's clock).
 */
function stealing(method: string, nth: number, at = NOW) {
  let calls = 0;
  const stolen: string[] = [];
  const hook = async (target: Store): Promise<void> => {
    if (++calls !== nth) return;
    for (const lease of await target.listLeases()) {
      await target.acquireLease({ name: lease.name, holder: 'thief@0badf00d', runId: 'thief', now: new Date(at).toISOString(), ttlMs: LEASE_TTL_MS, force: true, host: 'ci-elsewhere', pid: 4242 });
      stolen.push(lease.name);
    }
    vi.advanceTimersByTime(RENEW_EVERY_MS);
    // Let the renewal's store call answer before the command goes on.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const around = <T extends object>(object: T, store: Store): T =>
    new Proxy(object, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property === 'maintenance' && object === (store as object)) return around(value as object, store);
        if (property !== method || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await hook(store);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { wrap: (store: Store) => around(store, store), stolen };
}

const lines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('agg: ') && !line.startsWith('agg: using'));

describe.each(HARNESSES)('a lease lost mid-run on the %s', (_name, make) => {
  let harness: CliHarness;
  beforeEach(async () => {
    // Only the renewal timer is faked; the clock is the command's own (NOW).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    harness = make();
    await harness.seedUsers(['u1', 'u2', 'u3', 'u4'].map((userId) => ({ userId, records: records(userId) })));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['backfill', ['backfill', '--all', '--concurrency', '1']],
    ['validate', ['validate', '--all', '--concurrency', '1']],
  ])('%s: stops partial, resumable, and exits 75', async (command, args) => {
    if (command === 'validate') expect((await harness.run(['backfill', '--all'])).code).toBe(0);
    // The ledger row is written at the start and after each user: the second write is after the first user.
    const thief = stealing('putRun', 2);
    const result = await harness.run(args, { wrap: thief.wrap });
    expect(thief.stolen).toEqual([`${command}:all`]);
    expect(result.code, result.stderr).toBe(75);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(new RegExp(`^agg: another run took over the lease; stopped\\. Partial, resumable: agg ${command} --resume \\S+ \\(exit 75\\)$`))]);
    const store = harness.open();
    try {
      expect((await store.listRuns(1, command))[0]).toMatchObject({ status: 'partial' });
    } finally {
      await store.close();
    }
  });

  it('cleanup: stops after a complete batch and exits 75', async () => {
    expect((await harness.run(['backfill', '--all'])).code).toBe(0);
    const thief = stealing('deleteAggregations', 2);
    const result = await harness.run(['cleanup', '--expired', '--as-of', '2099-01-01T00:00:00Z', '--batch-size', '1'], { wrap: thief.wrap });
    expect(thief.stolen).toEqual(['cleanup:expired']);
    expect(result.code, result.stderr).toBe(75);
    expect(lines(result.stderr)).toEqual(['agg: another cleanup took over the lease; stopped after a complete batch; run the same command again to go on (exit 75)']);
  });

  it('delete-user: stops after a complete step and exits 75', async () => {
    expect((await harness.run(['backfill', '--all'])).code).toBe(0);
    const thief = stealing('deleteUserStep', 2);
    const result = await harness.run(['delete-user', 'u1', '--yes'], { wrap: thief.wrap });
    expect(thief.stolen).toEqual(['delete-user:u1']);
    expect(result.code, result.stderr).toBe(75);
    expect(lines(result.stderr)).toEqual(['agg: another delete-user of u1 took over the lease; stopped after a complete step; run the same command again to finish (exit 75)']);
  });

  it('import: stops between batches and exits 75, its ledger row partial', async () => {
    // Two batches: the lease is taken over while the first is written.
    const file = join(harness.cwd, 'big.jsonl');
    writeFileSync(file, Array.from({ length: 2001 }, (_, i) => JSON.stringify({ id: `r${i}`, watchedAt: '2025-06-01T00:00:00.000Z' })).join('\n'));
    const thief = stealing('putRecords', 1);
    const result = await harness.run(['import', file, '--user', 'u9'], { wrap: thief.wrap });
    expect(thief.stolen).toEqual(['import:u9']);
    expect(result.code, result.stderr).toBe(75);
    expect(lines(result.stderr)).toEqual(['agg: another import for u9 took over the lease import:u9; stopped after 2,000 records; run the same import again to finish (exit 75)']);
    const store = harness.open();
    try {
      expect((await store.listRuns(1, 'import'))[0]).toMatchObject({ status: 'partial', target: 'u9', counts: { records: 2001, inserted: 2000 } });
      expect((await store.getUser('u9'))!.recordCount).toBe(2000);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('archive: stops at a chunk boundary and exits 75', async () => {
    for (let i = 0; i < 3; i++) expect((await harness.run(['backfill', '--all'])).code).toBe(0);
    writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({ archive: { rowsPerChunk: 1 } }));
    const thief = stealing('putArchiveManifest', 1, NOW + 86_400_000);
    // A day later: the three runs finished before the cutoff, one chunk each.
    const result = await harness.run(['archive', '--table', 'runs', '--older-than', '0d', '--json'], { wrap: thief.wrap, now: () => NOW + 86_400_000 });
    expect(thief.stolen).toEqual(['archive']);
    expect(result.code, result.stderr).toBe(75);
    expect(lines(result.stderr)).toEqual(['agg: run thief (pid 4242 on ci-elsewhere) took over the lease archive; stopped (run the same command again to finish)']);
    const store = harness.open();
    try {
      // Its ledger row says it stopped part way, as cleanup's and delete-user's do.
      expect((await store.listRuns(1, 'archive'))[0]).toMatchObject({ status: 'partial', target: 'agg_runs' });
    } finally {
      await store.close();
    }
  });
});
