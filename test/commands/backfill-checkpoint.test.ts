import { describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { DEFAULT_GRID } from '../../src/core/filters.js';
import type { JsonValue } from '../../src/core/json.js';
import { type Checkpoint, FAILED_SAMPLE_SIZE, parseCheckpoint } from '../../src/jobs/checkpoint.js';
import type { RunRecord } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { runAgg } from '../support/cli.js';
import { faultyStore } from '../support/faulty-store.js';
import { ADAPTER_FACTORIES, type AdapterHarness, aggregationSnapshot, seedUsers, withOpen } from '../support/store-fixtures.js';

// The run checkpoint is bounded: failed users are a count and the first 100 ids, settled users a mark
// in run order and the few running there; a resumed run redoes nothing the ledger recorded as done.

const embedded = () => ADAPTER_FACTORIES[0]![1]();

/** A store that records which users a backfill processes (it reads each one's digests first) and fails some of them. */
function instrumented(harness: AdapterHarness, processed: string[], failing: ReadonlySet<string> = new Set()): () => Store {
  return () => {
    const store = harness.openStore();
    const listDigests = store.listDigests.bind(store);
    store.listDigests = async (userId) => {
      processed.push(userId);
      if (failing.has(userId)) throw new Error(`no digests for ${userId} today`);
      return listDigests(userId);
    };
    return store;
  };
}

async function lastRun(harness: AdapterHarness): Promise<RunRecord> {
  const [run] = await withOpen(harness, (store) => store.listRuns(1, 'backfill'));
  return run!;
}

/** Users with one record each: backfill and validate refuse users the store does not know. */
async function seedIds(harness: AdapterHarness, userIds: readonly string[]): Promise<void> {
  await withOpen(harness, async (store) => {
    for (const userId of userIds) {
      await store.putRecords({ userId, records: [{ id: `${userId}-1`, watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'C' }], change: { changeId: `seed:${userId}`, changeType: 'import', at: '2025-06-01T00:00:00.000Z' } });
    }
  });
}

function progressOf(run: RunRecord): Checkpoint {
  const progress = parseCheckpoint((run.checkpoint as { progress?: unknown }).progress);
  if (!('version' in progress)) throw new Error('expected a checkpoint in the bounded format');
  return progress;
}

describe('the run checkpoint', () => {
  it('keeps 150 failed users as a count and the first 100 ids, says so, and a resume retries them all', async () => {
    const harness = embedded();
    const users = Array.from({ length: 160 }, (_, i) => `u-${String(i).padStart(3, '0')}`);
    await seedIds(harness, users);
    const failing = new Set(users.slice(5, 155));
    const processed: string[] = [];
    const args = ['backfill', ...users.flatMap((userId) => ['--user', userId]), '--concurrency', '8', '--type', 'kpi'];
    const first = await runAgg(args, { openStore: instrumented(harness, processed, failing) });
    expect(first.code, first.stderr).toBe(1);
    const named = users.slice(5, 5 + FAILED_SAMPLE_SIZE);
    expect(first.stdout).toContain(`150 failed (first: ${named.join(', ')}) … and 50 more`);
    expect(first.stdout).toContain('  u-005: no digests for u-005 today');
    expect(first.stdout).toContain('  … errors of 80 more in --json');

    const run = await lastRun(harness);
    const progress = progressOf(run);
    expect(progress.failedCount).toBe(150);
    expect(progress.failedSample).toEqual(named);
    expect(progress.redoAfter).toBe(named.at(-1));
    expect(progress).toMatchObject({ through: 'u-159', pending: [] });
    expect(JSON.stringify(run.checkpoint).length).toBeLessThan(16 * 1024);
    expect(run.counts).toMatchObject({ usersDone: 160, usersTotal: 160, usersFailed: 150 });

    const table = await runAgg(['runs'], { openStore: () => harness.openStore() });
    expect(table.stdout).toContain(`${run.runId}: 150 failed (first: ${named.join(', ')}) … and 50 more`);

    // The named ones are retried, and every user after the last one named: the other 50 are there.
    processed.length = 0;
    const resumed = await runAgg(['backfill', '--resume', run.runId, '--json'], { openStore: instrumented(harness, processed) });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'succeeded', users: { total: 160, done: 160, failed: 0 }, failures: [], failuresOmitted: 0 });
    expect([...new Set(processed)].sort()).toEqual([...named, ...users.slice(105)]);
    expect(progressOf(await lastRun(harness))).toMatchObject({ failedCount: 0, failedSample: [], redoAfter: null });
  }, 60_000);

  it('lists the first 100 failures in --json and counts the rest', async () => {
    const harness = embedded();
    const users = Array.from({ length: 120 }, (_, i) => `f-${String(i).padStart(3, '0')}`);
    await seedIds(harness, users);
    const outcome = await runAgg(['backfill', ...users.flatMap((userId) => ['--user', userId]), '--json'], { openStore: instrumented(harness, [], new Set(users)) });
    expect(outcome.code).toBe(1);
    const summary = JSON.parse(outcome.stdout);
    expect(summary.users).toEqual({ total: 120, done: 120, failed: 120 });
    expect(summary.failures.map((f: { userId: string }) => f.userId)).toEqual(users.slice(0, 100));
    expect(summary.failuresOmitted).toBe(20);
  });

  it('validate lists the first 100 users it could not validate and counts the rest, in JSON, table and Markdown', async () => {
    const harness = embedded();
    const users = Array.from({ length: 120 }, (_, i) => `v-${String(i).padStart(3, '0')}`);
    await seedIds(harness, users);
    const failing = () => {
      const store = harness.openStore();
      store.pageUserAggregations = async (userId) => {
        throw new Error(`cannot read ${userId}`);
      };
      return store;
    };
    const args = ['validate', ...users.flatMap((userId) => ['--user', userId])];
    const json = await runAgg([...args, '--json'], { openStore: failing });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.users).toMatchObject({ total: 120, validated: 0, failed: 120 });
    expect(report.failures.map((f: { userId: string }) => f.userId)).toEqual(users.slice(0, 100));
    expect(report.failuresOmitted).toBe(20);
    const line = `120 failed (first: ${users.slice(0, 100).join(', ')}) … and 20 more`;
    expect((await runAgg(args, { openStore: failing })).stdout).toContain(`could not validate: ${line}`);
    expect((await runAgg([...args, '--format', 'markdown'], { openStore: failing })).stdout).toContain(`### Users that could not be validated\n\n${line}\n\n- v-000: cannot read v-000`);
  }, 60_000);

  it.each(ADAPTER_FACTORIES)('after a crash, a resume on the %s skips every user the ledger recorded as done', async (_name, make) => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 8, 40, 'checkpoint-crash'));
    const reference = make();
    await withOpen(reference, (store) => seedUsers(store, 8, 40, 'checkpoint-crash'));
    // Count the store calls of an uninterrupted run; crash a little past the middle of them.
    let calls = 0;
    await runAgg(['backfill', '--all', '--concurrency', '2'], {
      openStore: () => {
        const store = faultyStore(reference.openStore(), {});
        return new Proxy(store, { get: (t, p, r) => (p === 'close' ? async () => ((calls = store.injected.calls), t.close()) : Reflect.get(t, p, r)) });
      },
    });
    const crashed = await runAgg(['backfill', '--all', '--concurrency', '2'], { openStore: () => faultyStore(harness.openStore(), { crashAfter: Math.floor(calls * 0.6) }) as Store });
    expect(crashed.code).toBe(3);
    const run = await lastRun(harness);
    const progress = progressOf(run);
    const all = Array.from({ length: 8 }, (_, i) => `user-00${i + 1}`);
    const done = all.filter((userId) => progress.through !== null && userId <= progress.through && !progress.pending.includes(userId) && !progress.failedSample.includes(userId));
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(8);

    const processed: string[] = [];
    const resumed = await runAgg(['backfill', '--resume', run.runId, '--force-lease', '--json'], { openStore: instrumented(harness, processed) });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect([...processed].sort()).toEqual(all.filter((userId) => !done.includes(userId)));
    expect(JSON.parse(resumed.stdout).users).toEqual({ total: 8, done: 8, failed: 0 });
    expect(await withOpen(harness, aggregationSnapshot)).toEqual(await withOpen(reference, aggregationSnapshot));
  }, 120_000);

  it('resumes a run whose checkpoint is in the format from before the bound', async () => {
    const harness = embedded();
    await withOpen(harness, (store) => seedUsers(store, 5, 30, 'legacy'));
    const spec = { selection: { kind: 'all' }, shard: null, types: [...AGGREGATION_TYPES], grid: DEFAULT_GRID.map((f) => ({ ...f, topics: [], channels: [] })), asOf: null, timeZone: 'UTC', force: false };
    const legacy: RunRecord = {
      runId: 'bf-20250630-000000-abcdef',
      command: 'backfill',
      args: ['backfill', '--all'],
      target: 'all',
      startedAt: '2025-06-30T00:00:00.000Z',
      finishedAt: '2025-06-30T00:10:00.000Z',
      status: 'interrupted',
      counts: { usersDone: 3, usersTotal: 5, usersFailed: 1 },
      // user-001 failed, user-002 and user-004 finished: user-001, -003 and -005 are left.
      checkpoint: { spec, progress: { cursor: 'user-002', ahead: ['user-004'], failed: ['user-001'] } } as unknown as JsonValue,
      heartbeatAt: '2025-06-30T00:10:00.000Z',
    };
    await withOpen(harness, (store) => store.putRun(legacy));
    const table = await runAgg(['runs'], { openStore: () => harness.openStore() });
    expect(table.stdout).toContain(`${legacy.runId}: 1 failed (first: user-001)`);

    const processed: string[] = [];
    const resumed = await runAgg(['backfill', '--resume', 'last', '--json'], { openStore: instrumented(harness, processed) });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect([...processed].sort()).toEqual(['user-001', 'user-003', 'user-005']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: legacy.runId, status: 'succeeded', users: { total: 5, done: 5, failed: 0 } });
    expect(progressOf(await lastRun(harness))).toEqual({ version: 2, through: 'user-005', pending: [], failedCount: 0, failedSample: [], redoAfter: null });
  }, 60_000);

  it('refuses, in one line, to resume a run whose checkpoint it cannot read', async () => {
    const harness = embedded();
    await withOpen(harness, (store) => seedUsers(store, 1, 10, 'bad'));
    await runAgg(['backfill', '--all', '--type', 'kpi'], { openStore: () => harness.openStore() });
    const run = await lastRun(harness);
    await withOpen(harness, (store) => store.putRun({ ...run, status: 'interrupted', checkpoint: { ...(run.checkpoint as Record<string, JsonValue>), progress: { cursor: 7 } } }));
    const refused = await runAgg(['backfill', '--resume', run.runId], { openStore: () => harness.openStore() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`run ${run.runId} cannot be resumed: its checkpoint is not one this version of agg can read`));
    expect(refused.stderr.split('\n').filter((line) => line && !line.startsWith('agg: using'))).toHaveLength(1);
  });
});

describe('--resume of a run that already succeeded', () => {
  it.each(['backfill', 'validate'] as const)('%s says so, in JSON with --json, and does nothing', async (command) => {
    const harness = embedded();
    await seedIds(harness, ['u1']);
    const agg = (args: string[]) => runAgg(args, { openStore: () => harness.openStore() });
    expect((await agg(['backfill', '--user', 'u1', '--type', 'kpi'])).code).toBe(0);
    if (command === 'validate') expect((await agg(['validate', '--user', 'u1', '--type', 'kpi'])).code).toBe(0);
    const [run] = await withOpen(harness, (store) => store.listRuns(1, command));
    expect(run!.status).toBe('succeeded');
    const text = await agg([command, '--resume', 'last']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`run ${run!.runId} already succeeded; nothing to resume\n`);
    const json = await agg([command, '--resume', run!.runId, ...(command === 'validate' ? ['--format', 'json'] : ['--json'])]);
    expect(JSON.parse(json.stdout)).toEqual({ schema: 'agg.nothing-to-resume/v1', command, runId: run!.runId, status: 'succeeded', resumed: false });
  });
});
