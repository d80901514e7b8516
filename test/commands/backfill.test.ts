import { describe, expect, it } from 'vitest';
import { DEFAULT_GRID, canonicalFilters } from '../../src/core/filters.js';
import type { Store } from '../../src/store/store.js';
import { runAgg } from '../support/cli.js';
import { faultyStore } from '../support/faulty-store.js';
import { ADAPTER_FACTORIES, type AdapterHarness, aggregationSnapshot, seedUsers, withOpen } from '../support/store-fixtures.js';

const agg = (harness: AdapterHarness, args: string[], extra: { openStore?: () => Store; signal?: AbortSignal; now?: () => number } = {}) =>
  runAgg(args, { openStore: extra.openStore ?? (() => harness.openStore()), ...(extra.signal ? { signal: extra.signal } : {}), ...(extra.now ? { now: extra.now } : {}) });

describe.each(ADAPTER_FACTORIES)('agg backfill on the %s', (_name, make) => {
  it('computes the grid plus filter combinations for every user; a second run writes nothing', async () => {
    const harness = make();
    const seeded = await withOpen(harness, (store) => seedUsers(store, 3, 150));
    await withOpen(harness, (store) => store.recordFilterUse('user-001', canonicalFilters({ timeframe: 'YTD', topics: ['Music'] }), '2025-06-01T00:00:00.000Z'));
    const first = await agg(harness, ['backfill', '--all', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout);
    const results = seeded.size * DEFAULT_GRID.length * 10 + 10;
    expect(summary).toMatchObject({ status: 'succeeded', users: { total: 3, done: 3, failed: 0 }, results, written: results, created: results, unchanged: 0 });
    expect(summary.records).toBe([...seeded.values()].reduce((n, r) => n + r.length, 0));
    expect(await withOpen(harness, aggregationSnapshot)).toHaveLength(results);

    const second = JSON.parse((await agg(harness, ['backfill', '--all', '--json'])).stdout);
    expect(second).toMatchObject({ written: 0, unchanged: results, bytes: 0 });
    const forced = JSON.parse((await agg(harness, ['backfill', '--user', 'user-002', '--force', '--json'])).stdout);
    // Forced over equal data: every row rewritten, none of them a change.
    expect(forced).toMatchObject({ users: { total: 1 }, written: 180, created: 0, changed: 0, rewritten: 180, unchanged: 0 });
    expect((await agg(harness, ['backfill', '--user', 'user-002', '--force'])).stdout).toMatch(/written\s+│\s+180 \(0 new, 0 changed, 180 rewritten unchanged\)/);
  });

  it('--changed takes exactly the users with unprocessed entries and marks exactly those entries', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 3, 80));
    const firstChanged = await agg(harness, ['backfill', '--changed', '--json']);
    expect(firstChanged.code, firstChanged.stderr).toBe(0);
    expect(JSON.parse(firstChanged.stdout).users.total).toBe(3);
    expect(JSON.parse((await agg(harness, ['backfill', '--changed', '--json'])).stdout).users.total).toBe(0);
    await withOpen(harness, (store) =>
      store.putRecords({ userId: 'user-002', records: [{ id: 'new-1', watchedAt: '2025-06-02T00:00:00.000Z', videoTitle: 'New' }], change: { changeId: 'c-late', changeType: 'import', at: '2025-06-02T00:00:00.000Z' } }),
    );
    // An import that lands while the run works on the user stays unprocessed for the next run.
    const racing = (): Store => {
      const store = harness.openStore();
      const original = store.listDigests.bind(store);
      let raced = false;
      store.listDigests = async (userId) => {
        if (!raced) {
          raced = true;
          await store.putRecords({ userId, records: [{ id: 'new-2', watchedAt: '2025-06-03T00:00:00.000Z' }], change: { changeId: 'c-during', changeType: 'import', at: '2025-06-03T00:00:00.000Z' } });
        }
        return original(userId);
      };
      return store;
    };
    const racedRun = await agg(harness, ['backfill', '--changed', '--json'], { openStore: racing });
    expect(racedRun.code, racedRun.stderr).toBe(0);
    const run = JSON.parse(racedRun.stdout);
    expect(run.users.total).toBe(1);
    const changes = await withOpen(harness, (store) => store.listChanges('user-002'));
    expect(changes.find((c) => c.changeId === 'c-late')).toMatchObject({ processed: true });
    expect(changes.find((c) => c.changeId === 'c-during')).toMatchObject({ processed: false });
    const next = JSON.parse((await agg(harness, ['backfill', '--changed', '--json'])).stdout);
    expect(next.users.total).toBe(1);
  });

  it('--dry-run reports what would be written and writes nothing, not even a run', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 60));
    const dry = JSON.parse((await agg(harness, ['backfill', '--all', '--dry-run', '--json'])).stdout);
    expect(dry).toMatchObject({ dryRun: true, runId: null, written: 360, created: 360 });
    expect(dry.bytes).toBeGreaterThan(0);
    await withOpen(harness, async (store) => {
      expect(await aggregationSnapshot(store)).toEqual([]);
      expect(await store.listRuns(10)).toEqual([]);
    });
  });

  it('splits users across shards: disjoint, complete, same result as one run', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 6, 40));
    const seen: number[] = [];
    for (const shard of ['1/3', '2/3', '3/3']) seen.push(JSON.parse((await agg(harness, ['backfill', '--all', '--shard', shard, '--json'])).stdout).users.total);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(6);
    const afterShards = await withOpen(harness, aggregationSnapshot);
    expect(JSON.parse((await agg(harness, ['backfill', '--all', '--json'])).stdout).written).toBe(0);
    expect(await withOpen(harness, aggregationSnapshot)).toEqual(afterShards);
  });

  it('ends in the state of a fault-free run under injected transient failures, lost answers included', async () => {
    const clean = make();
    const faulty = make();
    for (const harness of [clean, faulty]) await withOpen(harness, (store) => seedUsers(store, 4, 60, 'faults'));
    await agg(clean, ['backfill', '--all', '--json']);
    let seed = 0;
    const run = await agg(faulty, ['backfill', '--all', '--json', '--concurrency', '3'], {
      openStore: () => faultyStore(faulty.openStore(), { transientRate: 0.1, afterCommitShare: 0.4, seed: `s${seed++}` }),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await withOpen(faulty, aggregationSnapshot)).toEqual(await withOpen(clean, aggregationSnapshot));
  });

  it('refuses to overlap another run of the same target (exit 75, or 0 with --skip-if-running), unless --force-lease', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 1, 30));
    // A lease row of an older agg (no host, pid or heartbeat): its holder counts as alive until it expires.
    await withOpen(harness, (store) => store.acquireLease({ name: 'backfill:all', holder: 'other-run@1', runId: 'other-run', now: '2025-07-01T00:00:00.000Z', ttlMs: 120_000 }));
    const blocked = await agg(harness, ['backfill', '--all']);
    expect(blocked.code).toBe(75);
    expect(blocked.stderr).toMatch(
      /^agg: another backfill is running: run other-run \(holder other-run@1, host and pid unknown\) holds the lease backfill:all, last heartbeat 2025-07-01T00:00:00\.000Z \(0 ms ago\), lease expires 2025-07-01T00:02:00\.000Z; nothing done \(exit 75: try again later; --skip-if-running exits 0, --force-lease takes the lease over\)$/m,
    );
    const skipped = await agg(harness, ['backfill', '--all', '--skip-if-running']);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/another backfill is running: run other-run .*; nothing done \(--skip-if-running\)$/m);
    expect(await withOpen(harness, aggregationSnapshot)).toEqual([]);
    const forced = await agg(harness, ['backfill', '--all', '--force-lease', '--json']);
    expect(JSON.parse(forced.stdout).written).toBe(180);
    // Its lease is released at the end: the next run goes ahead.
    expect(JSON.parse((await agg(harness, ['backfill', '--all', '--json'])).stdout).status).toBe('succeeded');
  });

  it('stops at --max-runtime as partial, and --resume finishes without redoing users', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 5, 40));
    let clock = Date.parse('2025-07-01T00:00:00.000Z');
    // Every clock read advances 1 s, so a 5 s budget runs out part-way through.
    const now = () => (clock += 1000);
    const partial = await agg(harness, ['backfill', '--all', '--max-runtime', '5s', '--concurrency', '1', '--json'], { now });
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/--max-runtime reached: partial, resumable: agg backfill --resume bf-/);
    const first = JSON.parse(partial.stdout);
    expect(first.status).toBe('partial');
    expect(first.users.done).toBeGreaterThan(0);
    expect(first.users.done).toBeLessThan(5);
    const resumed = JSON.parse((await agg(harness, ['backfill', '--resume', 'last', '--json'])).stdout);
    expect(resumed).toMatchObject({ runId: first.runId, status: 'succeeded', users: { total: 5, done: 5 } });
    expect(resumed.created).toBe(900 - first.created + first.created);
    expect(await withOpen(harness, aggregationSnapshot)).toHaveLength(900);
    const runs = await withOpen(harness, (store) => store.listRuns(10, 'backfill'));
    expect(runs).toHaveLength(1);
  });

  it('stops cleanly on Ctrl-C with exit 130, and resumes to the same state as an uninterrupted run', async () => {
    const harness = make();
    const reference = make();
    for (const h of [harness, reference]) await withOpen(h, (store) => seedUsers(store, 5, 40, 'interrupt'));
    await agg(reference, ['backfill', '--all']);
    const controller = new AbortController();
    let calls = 0;
    const interruptingStore = (): Store => {
      const store = harness.openStore();
      const original = store.listDigests.bind(store);
      store.listDigests = async (userId) => {
        if (++calls === 2) controller.abort();
        return original(userId);
      };
      return store;
    };
    const stopped = await agg(harness, ['backfill', '--all', '--concurrency', '1'], { openStore: interruptingStore, signal: controller.signal });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/interrupted; progress saved: agg backfill --resume bf-/);
    const [run] = await withOpen(harness, (store) => store.listRuns(1));
    expect(run!.status).toBe('interrupted');
    expect(run!.counts.usersDone).toBe(2);
    const resumed = JSON.parse((await agg(harness, ['backfill', '--resume', run!.runId, '--json'])).stdout);
    expect(resumed.users).toEqual({ total: 5, done: 5, failed: 0 });
    expect(await withOpen(harness, aggregationSnapshot)).toEqual(await withOpen(reference, aggregationSnapshot));
  });
});

describe('agg backfill arguments', () => {
  const harness = ADAPTER_FACTORIES[0]![1]();
  it.each([
    [['backfill'], /exactly one of --user ID\.\.\., --all, --changed or --expiring/],
    [['backfill', '--all', '--no-renew'], /--no-renew only goes with --changed/],
    [['backfill', '--changed', '--expiring'], /exactly one of/],
    [['backfill', '--all', '--changed'], /exactly one of/],
    [['backfill', '--all', '--shard', '3/2'], /--shard "3\/2" must be I\/N/],
    [['backfill', '--all', '--concurrency', '0'], /--concurrency "0" must be a whole number from 1 to 64/],
    [['backfill', '--all', '--max-runtime', 'soon'], /--max-runtime "soon" is not a duration/],
    [['backfill', '--all', '--type', 'nope'], /--type "nope" is not an aggregation type/],
    [['backfill', '--all', '--grid', '/nonexistent/grid.json'], /--grid \/nonexistent\/grid.json: no such file/],
    [['backfill', '--resume', 'last', '--all'], /--resume continues a run as it was started; drop --all/],
    [['backfill', '--resume', 'nope'], /no backfill run nope in the ledger/],
    [['backfill', '--user', ' x'], /is not a valid user id/],
  ])('%j → one line, exit 2', async (args, message) => {
    const run = await agg(harness, args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.split('\n').filter((line) => line && !line.startsWith('agg: using'))).toHaveLength(1);
  });
});

describe('two backfills at once', () => {
  it.each(ADAPTER_FACTORIES)('leave no duplicates on the %s, even when both force the lease', async (_name, make) => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 4, 50, 'concurrent'));
    const [a, b] = await Promise.all([
      agg(harness, ['backfill', '--all', '--force-lease', '--concurrency', '2', '--json']),
      agg(harness, ['backfill', '--all', '--force-lease', '--concurrency', '3', '--json']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const rows = await withOpen(harness, aggregationSnapshot);
    expect(rows).toHaveLength(4 * 180);
    expect(new Set(rows.map((row) => row.split('|').slice(0, 3).join('|'))).size).toBe(4 * 180);
  });
});

describe('agg runs', () => {
  it('lists runs newest first, as a table or JSON, and marks a silent running run as resumable', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    await withOpen(harness, (store) => seedUsers(store, 1, 30, 'runs'));
    await agg(harness, ['backfill', '--all']);
    await agg(harness, ['validate']);
    await withOpen(harness, (store) =>
      store.putRun({ runId: 'bf-dead', command: 'backfill', args: [], target: 'all', startedAt: '2025-06-30T00:00:00.000Z', finishedAt: null, status: 'running', counts: {}, checkpoint: null, heartbeatAt: '2025-06-30T00:00:00.000Z' }),
    );
    const json = JSON.parse((await agg(harness, ['runs', '--json'])).stdout);
    expect(json.runs.map((r: { command: string }) => r.command)).toEqual(['validate', 'backfill', 'backfill']);
    const table = await agg(harness, ['runs', '--command', 'backfill']);
    expect(table.stdout).toMatch(/^bf-dead\s+all\s+dead\s/m);
    expect(table.stdout).toMatch(/^bf-dead: running\? \(dead: no heartbeat for 24h00m, resumable: agg backfill --resume bf-dead\)$/m);
    expect(json.runs.find((r: { runId: string }) => r.runId === 'bf-dead').dead).toBe('no heartbeat for 24h00m');
    expect(table.stdout).not.toMatch(/validate/);
    expect((await agg(harness, ['runs', '--limit', '0'])).code).toBe(2);
  });
});
