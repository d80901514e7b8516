// `agg import` runs as an operation: it holds the lease import:<user> (two imports of one user never
// interleave, another user's import is not held up), and leaves a ledger row that `agg runs` lists.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_TTL_MS } from '../../src/jobs/lease.js';
import type { Store } from '../../src/store/store.js';
import { type CliHarness, HARNESSES } from '../support/cli-harness.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const HOST = hostname();
const iso = (ms: number) => new Date(ms).toISOString();

/** agg's own lines on stderr, without the one saying where it works. */
const messages = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('agg: ') && !line.startsWith('agg: using'));

/** A process that stays alive until the tests end: the holder of a planted lease. */
let live: ChildProcess;
beforeAll(() => {
  live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
});
afterAll(() => {
  live.kill('SIGKILL');
});

function plantLease(store: Store, name: string, runId: string) {
  return store.acquireLease({ name, holder: `${runId}@0badf00d`, runId, now: iso(NOW), ttlMs: LEASE_TTL_MS, force: true, host: HOST, pid: live.pid! });
}

async function withStore<T>(harness: CliHarness, use: (store: Store) => Promise<T>): Promise<T> {
  const store = harness.open();
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function recordsFile(harness: CliHarness): string {
  const file = join(harness.cwd, 'records.jsonl');
  writeFileSync(file, '{"id":"a","watchedAt":"2024-01-01T00:00:00Z","videoTitle":"One"}\n{"id":"b","watchedAt":"2024-01-02T00:00:00Z","videoTitle":"Two"}\n');
  return file;
}

describe.each(HARNESSES)('agg import as an operation on the %s', (_name, make) => {
  it('writes a ledger row with its counts, which agg runs lists, and holds no lease afterwards', async () => {
    const harness = make();
    const file = recordsFile(harness);
    const run = await harness.run(['import', file, '--user', 'alice', '--json'], { now: () => NOW });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ userId: 'alice', inserted: 2, dryRun: false, runId: expect.stringMatching(/^im-\d{8}-\d{6}-[0-9a-f]{6}$/) });
    await withStore(harness, async (store) => {
      expect(await store.getRun(summary.runId)).toMatchObject({ command: 'import', target: 'alice', status: 'succeeded', counts: { records: 2, inserted: 2, updated: 0, unchanged: 0, deleted: 0 } });
      expect(await store.listLeases()).toEqual([]);
    });
    const runs = await harness.run(['runs', '--command', 'import', '--json'], { now: () => NOW });
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout).runs).toEqual([expect.objectContaining({ runId: summary.runId, command: 'import', target: 'alice', status: 'succeeded', counts: expect.objectContaining({ records: 2, inserted: 2 }) })]);
    const table = await harness.run(['runs'], { now: () => NOW });
    expect(table.stdout).toMatch(new RegExp(`^${summary.runId}\\s.*2 inserted, 0 updated`, 'm'));
    // A dry run takes no lease and leaves no row.
    const dry = await harness.run(['import', file, '--user', 'alice', '--dry-run', '--json'], { now: () => NOW });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, runId: null });
    await withStore(harness, async (store) => expect((await store.listRuns(10, 'import')).map((r) => r.runId)).toEqual([summary.runId]));
  });

  it('a live import of the same user holds the lease: exit 75 (0 with --skip-if-running), nothing written; another user is not held up', async () => {
    const harness = make();
    const file = recordsFile(harness);
    await withStore(harness, (store) => plantLease(store, 'import:alice', 'im-live'));
    const held = await harness.run(['import', file, '--user', 'alice'], { now: () => NOW });
    expect(held.code).toBe(75);
    expect(held.stdout).toBe('');
    expect(messages(held.stderr)).toEqual([
      expect.stringMatching(/^agg: another import is running: run im-live \(pid \d+ on .*\) holds the lease import:alice, last heartbeat .*; nothing done \(exit 75: try again later; --skip-if-running exits 0\)$/),
    ]);
    const skipped = await harness.run(['import', file, '--user', 'alice', '--skip-if-running'], { now: () => NOW });
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(messages(skipped.stderr)).toEqual([expect.stringMatching(/holds the lease import:alice, .*; nothing done \(--skip-if-running\)$/)]);
    await withStore(harness, async (store) => {
      expect(await store.getUser('alice')).toBeNull();
      expect(await store.listRuns(10, 'import')).toEqual([]);
    });
    const other = await harness.run(['import', file, '--user', 'bob', '--json'], { now: () => NOW });
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout)).toMatchObject({ userId: 'bob', inserted: 2 });
    await withStore(harness, async (store) => {
      expect((await store.getUser('bob'))!.recordCount).toBe(2);
      expect((await store.listLeases()).map((lease) => lease.name)).toEqual(['import:alice']);
    });
  });
});
