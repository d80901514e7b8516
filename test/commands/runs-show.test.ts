import { beforeEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import type { RunRecord } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { type CliHarness, HARNESSES, jsonOf } from '../support/cli-harness.js';

// agg runs show RUN_ID | last: one run of the ledger, in words; agg runs itself is unchanged.

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const records = (userId: string): InputRecord[] => [
  { id: `${userId}-a`, watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial' },
  { id: `${userId}-b`, watchedAt: '2025-06-02T10:00:00.000Z', channelTitle: 'Beta', videoTitle: 'Rock song' },
];
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line !== '' && !line.startsWith('agg: using'));

const BACKFILL_SPEC = { selection: { kind: 'all' }, shard: null, types: ['kpi'], grid: [{ timeframe: 'All', product: 'All', topics: [], channels: [] }], asOf: null, timeZone: 'UTC', force: false };

function ledgerRow(runId: string, fields: Partial<RunRecord>): RunRecord {
  return {
    runId,
    command: 'backfill',
    args: ['backfill', '--all', '--type', 'kpi'],
    target: 'all',
    startedAt: '2025-06-30T23:00:00.000Z',
    finishedAt: '2025-06-30T23:05:00.000Z',
    status: 'interrupted',
    counts: { usersTotal: 3, usersDone: 2, usersFailed: 1, records: 4, results: 2, written: 2, created: 2, changed: 0, unchanged: 0, bytes: 2048, storeCalls: 12 },
    checkpoint: { spec: BACKFILL_SPEC, progress: { version: 2, through: 'bob', pending: [], failedCount: 1, failedSample: ['alice'], redoAfter: null } } as unknown as JsonValue,
    heartbeatAt: '2025-06-30T23:05:00.000Z',
    ...fields,
  };
}

describe.each(HARNESSES)('agg runs show on the %s', (_name, make) => {
  let harness: CliHarness;
  let clock = NOW;
  const agg = (args: string[]) => harness.run(args, { now: () => clock, env: { USER: 'ops' } });
  const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
    const store = harness.open();
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };

  beforeEach(async () => {
    harness = make();
    clock = NOW;
    await harness.seedUsers(['alice', 'bob', 'carol'].map((userId) => ({ userId, records: records(userId) })));
  });

  it('shows the latest run in words: command, status, arguments, times, counts and checkpoint', async () => {
    const empty = await agg(['runs', 'show', 'last']);
    expect(empty.code).toBe(2);
    expect(errorLines(empty.stderr)).toEqual(['agg: no runs recorded yet']);
    expect((await agg(['backfill', '--user', 'alice', 'bob', '--type', 'kpi', '--quiet'])).code).toBe(0);
    const [run] = await withStore((store) => store.listRuns(1));
    const shown = await agg(['runs', 'show', 'last']);
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 8)).toEqual([
      `run ${run!.runId}`,
      'command     backfill',
      'status      succeeded',
      'target      users:alice,bob',
      'arguments   agg backfill --user alice bob --type kpi --quiet',
      `started     ${run!.startedAt}`,
      expect.stringMatching(/^finished    2025-07-01T00:00:00\.000Z \(took \d+ ms\)$/),
      'checkpoint  every user up to bob (in id order) settled',
    ]);
    expect(lines).toContain('counts:');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}users\s+2 of 2 done$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}results written\s+36$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}bytes written\s+[\d.]+ KiB \([\d,]+ bytes\)$/));
    // No internal keys, and nothing to resume.
    expect(shown.stdout).not.toMatch(/usersDone|storeCalls|status:|resume/);
    expect((await agg(['runs', 'show', run!.runId])).stdout).toBe(shown.stdout);
  });

  it('names validate\'s findings by status and type, and takes the newest run of a command', async () => {
    expect((await agg(['backfill', '--user', 'alice', '--type', 'kpi', '--quiet'])).code).toBe(0);
    clock += 1000;
    expect((await agg(['validate', '--user', 'alice', 'bob', '--type', 'kpi', '--quiet'])).code).toBe(0);
    clock += 1000;
    expect((await agg(['backfill', '--user', 'carol', '--type', 'kpi', '--quiet'])).code).toBe(0);
    const shown = await agg(['runs', 'show', 'last', '--command', 'validate']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^command\s+validate$/m);
    expect(shown.stdout).toMatch(/^ {2}results\s+18 match, 18 missing$/m);
    expect(shown.stdout).toMatch(/^ {4}kpi\s+18 match, 18 missing$/m);
    expect(shown.stdout).toMatch(/^ {2}users clean\s+1$/m);
    expect(shown.stdout).not.toMatch(/status:|type:kpi/);
    const json = jsonOf<RunRecord & { dead: string | null; durationMs: number; lease: unknown; resume: string | null }>(await agg(['runs', 'show', 'last', '--command', 'validate', '--json']));
    expect(json).toMatchObject({ command: 'validate', status: 'succeeded', dead: null, lease: null, resume: null, target: 'users:alice,bob' });
    expect(json).toMatchObject({ schema: 'agg.run/v1' });
    expect((json.counts as unknown as { results: { byStatus: Record<string, number> } }).results.byStatus.missing).toBe(18);
    expect(Object.keys(json.counts).filter((key) => key.includes(':'))).toEqual([]);
    expect(json.durationMs).toBeGreaterThanOrEqual(0);
    // --json may come before show too (it is agg runs' own option).
    expect(jsonOf<{ command: string }>(await agg(['runs', '--json', 'show', 'last'])).command).toBe('backfill');
  });

  it('says how to resume an interrupted run, where it stopped, and whether a running one is alive', async () => {
    await withStore(async (store) => {
      await store.putRun(ledgerRow('bf-20250630-230000-aaaaaa', {}));
      await store.putRun(ledgerRow('bf-20250630-230000-bbbbbb', { status: 'running', finishedAt: null, startedAt: '2025-06-30T23:10:00.000Z', heartbeatAt: '2025-06-30T23:20:00.000Z' }));
      await store.putRun(ledgerRow('bf-20250630-230000-cccccc', { status: 'running', finishedAt: null, startedAt: '2025-06-30T23:30:00.000Z', heartbeatAt: '2025-07-01T00:00:00.000Z' }));
      const lease = await store.acquireLease({ name: 'backfill:all', holder: 'bf-20250630-230000-cccccc@1', runId: 'bf-20250630-230000-cccccc', now: '2025-07-01T00:00:00.000Z', ttlMs: 120_000, host: 'ci-7', pid: 4242 });
      expect(lease.acquired).toBe(true);
    });
    const interrupted = await agg(['runs', 'show', 'bf-20250630-230000-aaaaaa']);
    expect(interrupted.code, interrupted.stderr).toBe(0);
    expect(interrupted.stdout).toContain('status      interrupted\n');
    expect(interrupted.stdout).toContain('finished    2025-06-30T23:05:00.000Z (took 5m00s)\n');
    expect(interrupted.stdout).toContain('checkpoint  every user up to bob (in id order) settled; 1 failed (first: alice)\n');
    expect(interrupted.stdout).toContain('resume      agg backfill --resume bf-20250630-230000-aaaaaa\n');
    expect(interrupted.stdout).toMatch(/^ {2}users\s+2 of 3 done, 1 failed$/m);
    expect(interrupted.stdout).toMatch(/^ {2}bytes written\s+2\.0 KiB \(2,048 bytes\)$/m);
    expect(jsonOf<{ resume: string }>(await agg(['runs', 'show', 'bf-20250630-230000-aaaaaa', '--json'])).resume).toBe('agg backfill --resume bf-20250630-230000-aaaaaa');

    const dead = await agg(['runs', 'show', 'bf-20250630-230000-bbbbbb']);
    expect(dead.stdout).toContain('status      running? (dead: no heartbeat for 40m00s)\n');
    expect(dead.stdout).toContain('finished    not yet (running for 50m00s)\n');
    expect(dead.stdout).toContain('resume      agg backfill --resume bf-20250630-230000-bbbbbb\n');

    const alive = await agg(['runs', 'show', 'bf-20250630-230000-cccccc', '--json']);
    expect(jsonOf(alive)).toMatchObject({ status: 'running', dead: null, resume: null, lease: { name: 'backfill:all', host: 'ci-7', pid: 4242 } });
    const aliveText = (await agg(['runs', 'show', 'bf-20250630-230000-cccccc'])).stdout;
    expect(aliveText).toContain('status      running (alive)\n');
    expect(aliveText).toContain('holder      pid 4242 on ci-7, lease backfill:all; last heartbeat 2025-07-01T00:00:00.000Z (0 ms ago), lease expires 2025-07-01T00:02:00.000Z\n');
    expect(aliveText).not.toContain('resume');
  });

  it('shows cleanup and delete-user runs with their rows by category and table', async () => {
    expect((await agg(['cleanup', '--quiet'])).code).toBe(0);
    const cleanup = await agg(['runs', 'show', 'last', '--command', 'cleanup']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(cleanup.stdout).toMatch(/^ {2}rows deleted\s+0\n {4}change-log\s+0\n {4}expired\s+0\n/m);
    expect(cleanup.stdout).toMatch(/^ {2}bytes freed\s+0 B \(0 bytes\)$/m);
    expect(cleanup.stdout).not.toMatch(/checkpoint|deleted:/);
    expect((await agg(['delete-user', 'carol', '--yes', '--quiet'])).code).toBe(0);
    const deleted = await agg(['runs', 'show', 'last']);
    expect(deleted.stdout).toMatch(/^command\s+delete-user$/m);
    expect(deleted.stdout).toMatch(/^ {4}watch_records\s+2$/m);
    // The list names what it did, as it does for cleanup.
    const listed = (await agg(['runs', '--command', 'delete-user'])).stdout;
    expect(listed).toMatch(/^du-\S+\s+carol\s+succeeded.* 4 deleted$/m);
  });

  it('refuses an unknown run, command or option in one line (exit 2), suggesting close run ids', async () => {
    expect((await agg(['backfill', '--user', 'alice', '--type', 'kpi', '--quiet'])).code).toBe(0);
    const [run] = await withStore((store) => store.listRuns(1));
    const typo = `${run!.runId.slice(0, -1)}${run!.runId.endsWith('0') ? '1' : '0'}`;
    for (const [args, message] of [
      [['runs', 'show', typo], `agg: no run ${typo} in the ledger; did you mean ${run!.runId}? (agg runs lists the recent runs)`],
      [['runs', 'show', 'nope'], 'agg: no run nope in the ledger (agg runs lists the recent runs)'],
      [['runs', 'show', 'last', '--command', 'bakfill'], 'agg: --command "bakfill" is not a command the ledger records; did you mean backfill? (backfill, validate, cleanup, delete-user, import, archive)'],
      [['runs', 'show', 'last', '--command', 'validate'], 'agg: no validate run in the ledger yet (agg runs lists the recent runs)'],
      [['runs', 'show', run!.runId, '--command', 'backfill'], 'agg: --command goes with agg runs show last (a run id names one run)'],
      [['runs', '--limit', '5', 'show', 'last'], 'agg: agg runs show takes no --limit'],
      [['runs', 'show'], "agg: missing required argument 'run-id' (see agg --help)"],
    ] as const) {
      const refused = await agg([...args]);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stdout).toBe('');
      expect(errorLines(refused.stderr), args.join(' ')).toEqual([message]);
    }
  });

  it('lists runs in 80 columns beside show, and documents show in --help', async () => {
    expect((await agg(['backfill', '--user', 'alice', '--type', 'kpi', '--quiet'])).code).toBe(0);
    const list = await agg(['runs']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^run\s+target\s+status\s+age\s+users\s+outcome$/m);
    expect(list.stdout).toMatch(/^bf-\S+\s+users:alice\s+succeeded\s+\S+\s+1\/1\s+18 written$/m);
    expect(list.stdout.split('\n').every((line) => line.length <= 80)).toBe(true);
    expect(jsonOf<{ runs: unknown[] }>(await agg(['runs', '--json'])).runs).toHaveLength(1);
    // A command the ledger never records is a typo, not an empty ledger.
    const typo = await agg(['runs', '--command', 'backfil']);
    expect(typo.code).toBe(2);
    expect(errorLines(typo.stderr)).toEqual(['agg: --command "backfil" is not a command the ledger records; did you mean backfill? (backfill, validate, cleanup, delete-user, import, archive)']);
    const extra = await agg(['runs', 'bogus']);
    expect(extra.code).toBe(2);
    expect(errorLines(extra.stderr)).toEqual(["agg: too many arguments for 'runs'. Expected 0 arguments but got 1. (see agg --help)"]);
    const help = await agg(['runs', 'show', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: agg runs show [options] <run-id>');
    expect(help.stdout).toContain('agg runs show last --command validate --json');
  });
});
