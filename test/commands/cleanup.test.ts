import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_FILTERS, type Filters, canonicalFilters, filterHash } from '../../src/core/filters.js';
import type { InputRecord } from '../../src/core/record.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import type { AggregationWrite, RunRecord } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { type CliHarness, HARNESSES, jsonOf } from '../support/cli-harness.js';
import { runAgg } from '../support/cli.js';
import { assertDocumentLimits, losingCaller, makeConvexTestStore } from '../support/convex-test-store.js';

const AS_OF = '2025-07-01T00:00:00.000Z';
const NOW = Date.parse(AS_OF);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const RECORDS: InputRecord[] = [
  { id: 'a', watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial' },
  { id: 'b', watchedAt: '2025-06-02T10:00:00.000Z', channelTitle: 'Beta', videoTitle: 'Rock song', product: 'YouTube Music' },
];

const grid = (timeframe: Filters['timeframe']) => canonicalFilters({ timeframe });
const MUSIC = canonicalFilters({ topics: ['Music'] });
const CH_X = canonicalFilters({ channels: ['X'] });
const CH_Y = canonicalFilters({ channels: ['Y'] });
const CH_Z = canonicalFilters({ channels: ['Z'] });
const CH_W = canonicalFilters({ channels: ['W'] });

function kpi(userId: string, filters: Filters, computedAtMs: number): AggregationWrite {
  const { results } = computeAggregations({ records: RECORDS, context: { asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC' }, filterSets: [filters], types: ['kpi'] });
  return toAggregationWrite(results[0]!, { userId, asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC', computedAtMs, ttlMs: HOUR, recordCount: RECORDS.length, computeMs: 1 });
}

function run(runId: string, finishedAt: string | null): RunRecord {
  return { runId, command: 'backfill', args: [], target: 'all', startedAt: '2025-01-01T00:00:00.000Z', finishedAt, status: finishedAt === null ? 'running' : 'succeeded', counts: {}, checkpoint: null, heartbeatAt: '2025-01-01T00:00:00.000Z' };
}

const key = (w: { userId: string; aggregationType: string; filterHash: string }) => `${w.userId}/${w.aggregationType}/${w.filterHash.slice(0, 8)}`;

/** Wraps a store (and its maintenance facet) so that `before[method]` runs once, just before that method's first call. */
function interfering(before: Record<string, (store: Store) => Promise<void>>): (store: Store) => Store {
  return (store) => {
    const done = new Set<string>();
    const wrapObject = <T extends object>(target: T, prefix: string): T =>
      new Proxy(target, {
        get(object, property, receiver) {
          const value = Reflect.get(object, property, receiver);
          const name = `${prefix}${String(property)}`;
          if (property === 'maintenance' && prefix === '') return wrapObject(value as object, 'maintenance.');
          if (typeof value !== 'function') return value;
          const action = before[name];
          if (!action) return (value as (...args: unknown[]) => unknown).bind(object);
          return async (...args: unknown[]) => {
            if (!done.has(name)) {
              done.add(name);
              await action(store);
            }
            return (value as (...args: unknown[]) => unknown).apply(object, args);
          };
        },
      });
    return wrapObject(store, '');
  };
}

const rows = {
  fresh: kpi('u1', DEFAULT_FILTERS, NOW - 10 * 60_000),
  expired: kpi('u1', grid('MTD'), NOW - 2 * DAY),
  expiredButRefreshed: kpi('u1', grid('YTD'), NOW - 2 * DAY),
  usedCombination: kpi('u1', MUSIC, NOW - 10 * 60_000),
  staleCombination: kpi('u1', CH_X, NOW - 10 * 60_000),
  noCombination: kpi('u1', CH_Y, NOW - 10 * 60_000),
  combinationArrivesMeanwhile: kpi('u1', CH_Z, NOW - 10 * 60_000),
  ghost: kpi('ghost', DEFAULT_FILTERS, NOW - 10 * 60_000),
  otherUser: kpi('u2', DEFAULT_FILTERS, NOW - 10 * 60_000),
};

/** Expired, fresh and orphaned aggregations, used and unused combinations, old and new change-log entries and runs. */
async function seedCleanup(harness: CliHarness): Promise<void> {
  await harness.seedUsers([
    { userId: 'u1', records: RECORDS },
    { userId: 'u2', records: RECORDS },
  ]);
  const store = harness.open();
  await store.upsertAggregations(Object.values(rows));
  await store.recordFilterUse('u1', MUSIC, iso(NOW - 5 * DAY));
  await store.recordFilterUse('u1', CH_X, iso(NOW - 200 * DAY));
  await store.recordFilterUse('u2', CH_W, iso(NOW - 200 * DAY));
  // Change log: processed long ago, processed long ago but extended meanwhile, processed recently.
  for (const [changeId, userId, day] of [
    ['old', 'u1', 100],
    ['old-extended', 'u2', 100],
    ['recent', 'u1', 3],
  ] as const) {
    await store.putRecords({ userId, records: [{ id: `rec-${changeId}`, watchedAt: null }], change: { changeId, changeType: 'import', at: iso(NOW - day * DAY) } });
    await store.markChangesProcessed(userId, [{ changeId, changedAt: iso(NOW - day * DAY) }], iso(NOW - day * DAY + HOUR));
  }
  for (const r of [run('r-old', iso(NOW - 200 * DAY)), run('r-old-rerun', iso(NOW - 200 * DAY)), run('r-running', null), run('r-recent', iso(NOW - 5 * DAY))]) await store.putRun(r);
  await store.close();
}

async function remainingRows(harness: CliHarness) {
  const store = harness.open();
  try {
    const digests: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await store.pageAllDigests({ cursor });
      digests.push(...page.items.map(key));
      if (page.isDone) break;
      cursor = page.cursor;
    }
    return {
      digests: digests.sort(),
      combinations: [...(await store.listFilterCombinations('u1')), ...(await store.listFilterCombinations('u2'))].map((c) => `${c.userId}/${c.filterHash.slice(0, 8)}`).sort(),
      changes: [...(await store.listChanges('u1')), ...(await store.listChanges('u2'))].map((c) => c.changeId).sort(),
      // Cleanup's own rows in the ledger are its trace, not data it works on (tested on their own).
      runs: (await store.listRuns(100)).filter((r) => r.command !== 'cleanup').map((r) => r.runId).sort(),
    };
  } finally {
    await store.close();
  }
}

interface CleanupJson {
  dryRun: boolean;
  categories: { category: string; matched: number; deleted: number; kept: number; bytes: number; sample: Record<string, unknown>[] }[];
  totals: { matched: number; deleted: number; kept: number; bytes: number };
}

describe.each(HARNESSES)('agg cleanup on the %s', (_name, make) => {
  let harness: CliHarness;
  beforeEach(async () => {
    harness = make();
    await seedCleanup(harness);
  });
  const remaining = () => remainingRows(harness);

  it('deletes exactly the expected rows and nothing refreshed or reused concurrently', async () => {
    const before = await remaining();
    const dry = jsonOf<CleanupJson>(await harness.run(['cleanup', '--dry-run', '--json']));
    expect(dry.dryRun).toBe(true);
    expect(Object.fromEntries(dry.categories.map((c) => [c.category, c.matched]))).toEqual({ expired: 2, 'stale-filters': 2, orphans: 4, 'orphan-chunks': 0, 'change-log': 2, runs: 2 });
    expect(dry.totals.deleted).toBe(0);
    expect(await remaining()).toEqual(before);

    const concurrently = interfering({
      // Each category's first deleting call meets a row changed since it was found.
      deleteAggregations: async (store) => {
        await store.refreshAggregations([{ ...rows.expiredButRefreshed, expiresAt: iso(NOW + HOUR) }]);
      },
      'maintenance.deleteStaleFilterCombinations': async (store) => store.recordFilterUse('u2', CH_W, iso(NOW)),
      'maintenance.deleteOrphanAggregations': async (store) => store.recordFilterUse('u1', CH_Z, iso(NOW)),
      'maintenance.deleteProcessedChanges': async (store) => {
        await store.putRecords({ userId: 'u2', records: [{ id: 'rec-more', watchedAt: null }], change: { changeId: 'old-extended', changeType: 'import', at: iso(NOW) } });
      },
      'maintenance.deleteFinishedRuns': async (store) => store.putRun(run('r-old-rerun', iso(NOW - HOUR))),
    });
    const real = await harness.run(['cleanup', '--json', '--batch-size', '2'], { wrap: concurrently });
    expect(real.code, real.stderr).toBe(0);
    const outcome = jsonOf<CleanupJson>(real);
    expect(Object.fromEntries(outcome.categories.map((c) => [c.category, [c.matched, c.deleted, c.kept]]))).toEqual({
      expired: [2, 1, 1],
      'stale-filters': [2, 1, 1],
      orphans: [4, 3, 1],
      'orphan-chunks': [0, 0, 0],
      'change-log': [2, 1, 1],
      runs: [2, 1, 1],
    });
    expect(outcome.categories.find((c) => c.category === 'expired')!.bytes).toBe(rows.expired.metadata.bytes);
    expect(outcome.categories.find((c) => c.category === 'orphans')!.bytes).toBe(rows.staleCombination.metadata.bytes + rows.noCombination.metadata.bytes + rows.ghost.metadata.bytes);
    const after = await remaining();
    expect(after.digests).toEqual([rows.fresh, rows.expiredButRefreshed, rows.usedCombination, rows.combinationArrivesMeanwhile, rows.otherUser].map(key).sort());
    expect(after.combinations).toEqual([`u1/${filterHash(MUSIC).slice(0, 8)}`, `u1/${filterHash(CH_Z).slice(0, 8)}`, `u2/${filterHash(CH_W).slice(0, 8)}`].sort());
    expect(after.changes).toEqual(['old-extended', 'recent', 'seed:u1', 'seed:u2']);
    expect(after.runs).toEqual(['r-old-rerun', 'r-recent', 'r-running']);
    // A second run finds nothing more to do.
    const again = jsonOf<CleanupJson>(await harness.run(['cleanup', '--json']));
    expect(again.totals.deleted).toBe(0);
    if (harness.t) await assertDocumentLimits(harness.t);
  });

  it('runs only the categories asked for, with ages from the options, and prints counts, bytes and a sample', async () => {
    const dry = await harness.run(['cleanup', '--change-log', '2', '--runs', '4d', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('cleanup as of 2025-07-01T00:00:00.000Z (dry run: nothing was deleted)');
    expect(dry.stdout).toMatch(/^processed change-log entries\s+changedAt < 2025-06-29 00:00Z\s+3\s/m);
    expect(dry.stdout).toMatch(/^finished runs\s+finishedAt < 2025-06-27 00:00Z\s+3\s/m);
    expect(dry.stdout).not.toContain('expired aggregations');
    expect(dry.stdout).toContain('sample:');
    expect(dry.stdout).toMatch(/^  finished runs:\n    r-old \(backfill, succeeded\) finished /m);
    expect(dry.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    // In JSON a sample is fields, not prose.
    const json = jsonOf<CleanupJson>(await harness.run(['cleanup', '--runs', '4d', '--dry-run', '--json']));
    expect(json.categories[0]!.sample[0]).toMatchObject({ runId: expect.any(String), command: expect.any(String), status: expect.any(String) });
    const expired = jsonOf<CleanupJson>(await harness.run(['cleanup', '--expired', '--as-of', '2025-07-02T00:00:00Z', '--json']));
    // A day later every row here has expired.
    expect(expired.categories.map((c) => [c.category, c.deleted])).toEqual([['expired', Object.keys(rows).length]]);
    const table = await harness.run(['cleanup', '--orphans']);
    expect(table.stdout).toMatch(/deleted 0 rows/);
  });

  it('records a real run in the run ledger with what it deleted, and a dry run not at all', async () => {
    expect((await harness.run(['cleanup', '--dry-run'])).code).toBe(0);
    const ledger = async () => {
      const store = harness.open();
      try {
        return await store.listRuns(10, 'cleanup');
      } finally {
        await store.close();
      }
    };
    expect(await ledger()).toEqual([]);
    const real = jsonOf<CleanupJson>(await harness.run(['cleanup', '--change-log', '2', '--json']));
    const [row, ...others] = await ledger();
    expect(others).toEqual([]);
    expect(row).toMatchObject({
      command: 'cleanup',
      status: 'succeeded',
      target: 'change-log',
      args: ['cleanup', '--change-log', '2', '--json'],
      counts: { deleted: real.totals.deleted, 'deleted:change-log': real.categories.find((c) => c.category === 'change-log')!.deleted },
    });
    expect(row!.runId).toMatch(/^cl-\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect(row!.finishedAt).not.toBeNull();
    expect(real.totals.deleted).toBeGreaterThan(0);
    const runs = await harness.run(['runs', '--command', 'cleanup']);
    expect(runs.stdout).toMatch(new RegExp(`^${row!.runId}\\s+\\S+\\s+succeeded\\s+\\S+\\s+-\\s+${real.totals.deleted} deleted$`, 'm'));
    const status = JSON.parse((await harness.run(['status', '--json'])).stdout) as { runs: { last: { command: string; runId: string }[] } };
    expect(status.runs.last.find((r) => r.command === 'cleanup')?.runId).toBe(row!.runId);
  });

  it('refuses bad options with one line and exit 2', async () => {
    for (const [args, message] of [
      [['--stale-filters', 'soon'], '--stale-filters "soon" must be a number of days'],
      [['--change-log', '-1'], '--change-log "-1"'],
      [['--batch-size', '5000'], '--batch-size "5000" must be a whole number from 1 to 1000'],
      [['--as-of', 'yesterday'], '--as-of "yesterday" is not an ISO-8601 instant'],
    ] as const) {
      const result = await harness.run(['cleanup', ...args]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
    }
    // Zero is an age: every processed entry up to now.
    expect((await harness.run(['cleanup', '--change-log', '0', '--dry-run'])).code).toBe(0);
    writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({ cleanup: { batchSize: 0 } }));
    const badConfig = await harness.run(['cleanup', '--dry-run']);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('cleanup.batchSize');
    writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({ cleanup: { changeLog: '1d', staleFilters: '1w' } }));
    const configured = jsonOf<CleanupJson>(await harness.run(['cleanup', '--dry-run', '--json']));
    expect(configured.categories.find((c) => c.category === 'change-log')!.matched).toBe(3);
  });
});

describe('agg cleanup interrupted', () => {
  it('stops at a batch boundary with exit 130 and says how to go on', async () => {
    const harness = HARNESSES[0]![1]();
    await seedCleanup(harness);
    const before = await remainingRows(harness);
    const controller = new AbortController();
    controller.abort();
    const run = await runAgg(['cleanup', '--local', join(harness.cwd, '.agg')], { cwd: harness.cwd, signal: controller.signal });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('agg: interrupted: stopped after a complete batch');
    expect(await remainingRows(harness)).toEqual(before);
    const store = harness.open();
    try {
      expect((await store.listRuns(10, 'cleanup')).map((r) => [r.status, r.counts.deleted])).toEqual([['interrupted', 0]]);
    } finally {
      await store.close();
    }
  });
});

describe('agg cleanup over ConvexStore when every mutation\'s answer is lost once', () => {
  it('ends in exactly the state of a fault-free run', async () => {
    const clean = HARNESSES[1]![1]();
    await seedCleanup(clean);
    const cleanRun = await clean.run(['cleanup', '--json']);
    expect(cleanRun.code).toBe(0);
    const faulty = HARNESSES[1]![1]();
    await seedCleanup(faulty);
    const caller = losingCaller(faulty.t!);
    const run = await runAgg(['cleanup', '--batch-size', '2', '--json'], { cwd: faulty.cwd, openStore: () => makeConvexTestStore(faulty.t!, caller) });
    expect(run.code, run.stderr).toBe(0);
    expect(caller.lost()).toBeGreaterThan(5);
    expect(await remainingRows(faulty)).toEqual(await remainingRows(clean));
    // Rows whose deletion committed before the answer was lost count as deleted, not as kept.
    const counts = (json: CleanupJson) => json.categories.map((c) => [c.category, c.matched, c.deleted, c.kept]);
    expect(counts(jsonOf<CleanupJson>(run))).toEqual(counts(jsonOf<CleanupJson>(cleanRun)));
    const ledger = async (h: CliHarness) => {
      const store = h.open();
      try {
        return (await store.listRuns(10, 'cleanup')).map((r) => [r.status, r.counts.deleted, r.counts.kept]);
      } finally {
        await store.close();
      }
    };
    expect(await ledger(faulty)).toEqual(await ledger(clean));
  });
});

describe('agg cleanup of orphaned chunk documents (Convex)', () => {
  it('deletes chunks no header references once they are older than the grace period', async () => {
    const harness = HARNESSES[1]![1]();
    const t = harness.t!;
    const owner = { userId: 'u1', aggregationType: 'session_analysis' as const, filterHash: filterHash(DEFAULT_FILTERS) };
    await t.run(async (ctx) => {
      for (let seq = 0; seq < 3; seq++) await ctx.db.insert('aggregation_chunks', { ...owner, dataHash: 'd'.repeat(64), seq, text: 'x'.repeat(1000) });
    });
    const young = jsonOf<CleanupJson>(await harness.run(['cleanup', '--orphans', '--json']));
    expect(young.categories.find((c) => c.category === 'orphan-chunks')!.matched).toBe(0);
    writeFileSync(join(harness.cwd, 'agg.config.json'), JSON.stringify({ cleanup: { chunkGrace: '1ms' } }));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const old = jsonOf<CleanupJson>(await harness.run(['cleanup', '--orphans', '--json']));
    expect(old.categories.find((c) => c.category === 'orphan-chunks')).toMatchObject({ matched: 3, deleted: 3, bytes: 3000 });
    expect(await t.run(async (ctx) => (await ctx.db.query('aggregation_chunks').collect()).length)).toBe(0);
  });
});
