// A lease knows when its holder is dead: a killed run's lease is taken over at once on the same host,
// a live holder makes the command exit 75 (0 with --skip-if-running), and `agg runs` tells dead runs
// from live ones (`--clear` marks a dead one interrupted).
import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.js';
import { EMPTY_CHECKPOINT } from '../../src/jobs/checkpoint.js';
import { LEASE_TTL_MS } from '../../src/jobs/lease.js';
import type { RunRecord } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { HARNESSES } from '../support/cli-harness.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, aggregationSnapshot, seedUsers, withOpen } from '../support/store-fixtures.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const HOST = hostname();
const iso = (ms: number) => new Date(ms).toISOString();

const agg = (harness: AdapterHarness, args: string[], now?: () => number) => runAgg(args, { openStore: () => harness.openStore(), ...(now ? { now } : {}) });

/** agg's own lines on stderr, without the one saying where it works. */
const messages = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('agg: ') && !line.startsWith('agg: using'));

/** A process that has exited (its pid is certainly dead), and one that stays alive until the tests end. */
let gone = 0;
let live: ChildProcess;
beforeAll(async () => {
  gone = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
  live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
});
afterAll(() => {
  live.kill('SIGKILL');
});

/** A lease row as another agg process writes it. */
function plantLease(store: Store, fields: { name: string; runId: string | null; pid: number; host?: string; at?: number }) {
  return store.acquireLease({ name: fields.name, holder: `${fields.runId ?? fields.name}@0badf00d`, runId: fields.runId, now: iso(fields.at ?? NOW), ttlMs: LEASE_TTL_MS, force: true, host: fields.host ?? HOST, pid: fields.pid });
}

function runningRow(runId: string, command: string, target: string): RunRecord {
  return { runId, command, args: [command], target, startedAt: iso(NOW - 60_000), finishedAt: null, status: 'running', counts: {}, checkpoint: null, heartbeatAt: iso(NOW - 30_000) };
}

describe.each(ADAPTER_FACTORIES)('leases on the %s', (_name, make) => {
  it('a killed backfill (ledger row running, lease held by a process that is gone) is resumed at once by --resume last', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 5, 40, 'killed'));
    let clock = NOW;
    const first = JSON.parse((await agg(harness, ['backfill', '--all', '--max-runtime', '5s', '--concurrency', '1', '--json'], () => (clock += 1000))).stdout);
    expect(first.users.done).toBeGreaterThan(0);
    expect(first.users.done).toBeLessThan(5);
    // What kill -9 leaves: the row still says running, the lease names the dead process.
    await withOpen(harness, async (store) => {
      const run = (await store.getRun(first.runId))!;
      await store.putRun({ ...run, status: 'running', finishedAt: null });
      await plantLease(store, { name: 'backfill:all', runId: first.runId, pid: gone });
    });

    const runs = await agg(harness, ['runs']);
    expect(runs.stdout).toContain(`running? (dead: process ${gone} on ${HOST} is gone, resumable: agg backfill --resume ${first.runId})`);
    const listed = JSON.parse((await agg(harness, ['runs', '--json'])).stdout);
    expect(listed.runs[0]).toMatchObject({ runId: first.runId, status: 'running', dead: `process ${gone} on ${HOST} is gone` });

    const resumed = await agg(harness, ['backfill', '--resume', 'last', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(messages(resumed.stderr)).toEqual([`agg: took over the lease backfill:all from run ${first.runId}: process ${gone} on ${HOST} is gone`]);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: first.runId, status: 'succeeded', users: { total: 5, done: 5 } });
    expect(await withOpen(harness, aggregationSnapshot)).toHaveLength(5 * 180);
    expect(await withOpen(harness, (store) => store.listLeases())).toEqual([]);
    expect((await agg(harness, ['runs'])).stdout).toMatch(new RegExp(`${first.runId} .* succeeded `));
  });

  it('a live holder: exit 75 and one line naming it, its heartbeat and expiry; --skip-if-running exits 0; resuming its own run is refused', async () => {
    const harness = make();
    await withOpen(harness, async (store) => {
      await seedUsers(store, 1, 20, 'live');
      const spec = { selection: { kind: 'all' }, shard: null, types: ['kpi'], grid: [], asOf: null, timeZone: 'UTC', force: false };
      await store.putRun({ ...runningRow('bf-live', 'backfill', 'all'), checkpoint: { spec, progress: EMPTY_CHECKPOINT } as unknown as JsonValue });
      await plantLease(store, { name: 'backfill:all', runId: 'bf-live', pid: live.pid!, at: NOW - 10_000 });
      await plantLease(store, { name: 'validate:all', runId: 'va-live', pid: live.pid!, at: NOW - 10_000 });
    });
    const times = `last heartbeat 2025-06-30T23:59:50.000Z (10.0 s ago), lease expires 2025-07-01T00:01:50.000Z`;
    const blocked = await agg(harness, ['backfill', '--all']);
    expect(blocked.code).toBe(75);
    expect(messages(blocked.stderr)).toEqual([
      `agg: another backfill is running: run bf-live (pid ${live.pid} on ${HOST}) holds the lease backfill:all, ${times}; nothing done (exit 75: try again later; --skip-if-running exits 0, --force-lease takes the lease over)`,
    ]);
    const skipped = await agg(harness, ['backfill', '--all', '--skip-if-running', '--json']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toBe('');
    expect(messages(skipped.stderr)).toEqual([`agg: another backfill is running: run bf-live (pid ${live.pid} on ${HOST}) holds the lease backfill:all, ${times}; nothing done (--skip-if-running)`]);
    const resume = await agg(harness, ['backfill', '--resume', 'bf-live']);
    expect(resume.code).toBe(75);
    expect(messages(resume.stderr)).toEqual([`agg: run bf-live is still running (pid ${live.pid} on ${HOST}) and holds the lease backfill:all, ${times}; nothing done (exit 75: try again later; --skip-if-running exits 0, --force-lease takes the lease over)`]);
    const validate = await agg(harness, ['validate']);
    expect(validate.code).toBe(75);
    expect(messages(validate.stderr)).toEqual([expect.stringMatching(/^agg: another validate is running: run va-live \(pid \d+ on .*\) holds the lease validate:all, /)]);
    expect((await agg(harness, ['validate', '--skip-if-running'])).code).toBe(0);
    // Nothing was done: no aggregation written, no run recorded, the holder's lease and row untouched.
    expect(await withOpen(harness, aggregationSnapshot)).toEqual([]);
    expect((await withOpen(harness, (store) => store.listRuns(10))).map((r) => `${r.runId}:${r.status}`)).toEqual(['bf-live:running']);
    expect((await withOpen(harness, (store) => store.listLeases())).map((l) => l.runId)).toEqual(['bf-live', 'va-live']);
  });

  it('agg runs --clear marks a dead run interrupted and gives its lease back, and refuses a live one', async () => {
    const harness = make();
    await withOpen(harness, async (store) => {
      await store.putRun(runningRow('bf-alive', 'backfill', 'all'));
      await plantLease(store, { name: 'backfill:all', runId: 'bf-alive', pid: live.pid! });
      await store.putRun(runningRow('bf-gone', 'backfill', 'changed'));
      await plantLease(store, { name: 'backfill:changed', runId: 'bf-gone', pid: gone });
      // Running, with no lease and a heartbeat older than a lease: dead too (its lease expired and was taken).
      await store.putRun({ ...runningRow('cl-silent', 'cleanup', 'expired'), heartbeatAt: iso(NOW - 10 * 60_000) });
      // Running, no lease, a fresh heartbeat: maybe between its last write and its lease's release.
      await store.putRun(runningRow('va-quiet', 'validate', 'all'));
    });
    const table = (await agg(harness, ['runs'])).stdout;
    expect(table).toMatch(/bf-alive .* running /);
    expect(table).toContain(`running? (dead: process ${gone} on ${HOST} is gone, resumable: agg backfill --resume bf-gone)`);
    expect(table).toContain('running? (dead: no heartbeat for 10m00s, clear it: agg runs --clear cl-silent)');
    expect(table).toMatch(/va-quiet .* running /);

    const refused = await agg(harness, ['runs', '--clear', 'bf-alive']);
    expect(refused.code).toBe(75);
    expect(messages(refused.stderr)).toEqual([expect.stringMatching(new RegExp(`^agg: run bf-alive is alive \\(pid ${live.pid} on .*\\), holding the lease backfill:all, last heartbeat .*; not cleared \\(exit 75: try again later\\)$`))]);
    expect((await agg(harness, ['runs', '--clear', 'va-quiet'])).code).toBe(75);

    const cleared = await agg(harness, ['runs', '--clear', 'bf-gone']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toBe(`cleared run bf-gone (dead: process ${gone} on ${HOST} is gone): marked interrupted; resume it with agg backfill --resume bf-gone\n`);
    const silent = await agg(harness, ['runs', '--clear', 'cl-silent', '--json']);
    expect(JSON.parse(silent.stdout)).toEqual({ schema: 'agg.runs.clear/v1', runId: 'cl-silent', cleared: true, status: 'interrupted', dead: 'no heartbeat for 10m00s' });

    await withOpen(harness, async (store) => {
      expect(await store.getRun('bf-gone')).toMatchObject({ status: 'interrupted', finishedAt: iso(NOW - 30_000) });
      expect((await store.getRun('bf-alive'))!.status).toBe('running');
      expect((await store.listLeases()).map((l) => l.name)).toEqual(['backfill:all']);
    });
    expect((await agg(harness, ['runs'])).stdout).toMatch(/bf-gone .* interrupted /);
    const again = await agg(harness, ['runs', '--clear', 'bf-gone']);
    expect(again.code).toBe(2);
    expect(messages(again.stderr)).toEqual(['agg: run bf-gone is not running (it is interrupted); nothing to clear']);
    expect((await agg(harness, ['runs', '--clear', 'nope'])).code).toBe(2);
  });

  it('agg runs --clear last clears the newest run (of --command), as agg runs show last shows it', async () => {
    const harness = make();
    await withOpen(harness, async (store) => {
      await store.putRun({ ...runningRow('cl-older', 'cleanup', 'expired'), startedAt: iso(NOW - 20 * 60_000), heartbeatAt: iso(NOW - 15 * 60_000) });
      await store.putRun({ ...runningRow('bf-newest', 'backfill', 'changed'), startedAt: iso(NOW - 10 * 60_000) });
      await plantLease(store, { name: 'backfill:changed', runId: 'bf-newest', pid: gone });
    });
    expect(JSON.parse((await agg(harness, ['runs', 'show', 'last', '--json'])).stdout).runId).toBe('bf-newest');
    const cleared = await agg(harness, ['runs', '--clear', 'last']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toBe(`cleared run bf-newest (dead: process ${gone} on ${HOST} is gone): marked interrupted; resume it with agg backfill --resume bf-newest\n`);
    const cleanup = await agg(harness, ['runs', '--clear', 'last', '--command', 'cleanup', '--json']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(JSON.parse(cleanup.stdout)).toMatchObject({ runId: 'cl-older', cleared: true });
    const none = await agg(harness, ['runs', '--clear', 'last', '--command', 'validate']);
    expect(none.code).toBe(2);
    expect(messages(none.stderr)).toEqual(['agg: no validate run in the ledger yet (agg runs lists the recent runs)']);
    await withOpen(harness, async (store) => {
      expect((await store.getRun('bf-newest'))!.status).toBe('interrupted');
      expect((await store.getRun('cl-older'))!.status).toBe('interrupted');
    });
  });
});

describe.each(HARNESSES)('cleanup and archive leases on the %s', (_name, make) => {
  it('cleanup holds cleanup:<categories> while it works; a live holder means exit 75 (0 with --skip-if-running)', async () => {
    const harness = make();
    let during: string[] = [];
    const watching = (store: Store): Store =>
      new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'pageExpired') return async (...args: Parameters<Store['pageExpired']>) => ((during = (await target.listLeases()).map((l) => `${l.name}:${l.runId}`)), target.pageExpired(...args));
          return Reflect.get(target, property, receiver);
        },
      });
    const done = await harness.run(['cleanup', '--expired', '--json'], { wrap: watching });
    expect(done.code, done.stderr).toBe(0);
    expect(during).toEqual([expect.stringMatching(/^cleanup:expired:cl-\d{8}-\d{6}-[0-9a-f]{6}$/)]);
    const store = harness.open();
    try {
      expect(await store.listLeases()).toEqual([]);
      await plantLease(store, { name: 'cleanup:expired', runId: 'cl-live', pid: live.pid! });
    } finally {
      await store.close();
    }
    const held = await harness.run(['cleanup', '--expired']);
    expect(held.code).toBe(75);
    expect(messages(held.stderr)).toEqual([expect.stringMatching(/^agg: another cleanup is running: run cl-live \(pid \d+ on .*\) holds the lease cleanup:expired, last heartbeat .*; nothing done \(exit 75: try again later; --skip-if-running exits 0\)$/)]);
    expect(held.stdout).toBe('');
    expect((await harness.run(['cleanup', '--expired', '--skip-if-running'])).code).toBe(0);
    // A dry run deletes nothing and needs no lease; other categories have their own lease.
    expect((await harness.run(['cleanup', '--expired', '--dry-run'])).code).toBe(0);
    expect((await harness.run(['cleanup', '--runs', '30'])).code).toBe(0);
  });

  it('a killed cleanup: the next one takes its lease over at once and marks its ledger row interrupted', async () => {
    const harness = make();
    const store = harness.open();
    try {
      await store.putRun(runningRow('cl-killed', 'cleanup', 'expired'));
      await plantLease(store, { name: 'cleanup:expired', runId: 'cl-killed', pid: gone });
    } finally {
      await store.close();
    }
    const next = await harness.run(['cleanup', '--expired', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(messages(next.stderr)).toEqual([`agg: took over the lease cleanup:expired from run cl-killed: process ${gone} on ${HOST} is gone`]);
    const after = harness.open();
    try {
      expect(await after.getRun('cl-killed')).toMatchObject({ status: 'interrupted', finishedAt: iso(NOW - 30_000) });
      expect((await after.listRuns(5, 'cleanup')).map((r) => r.status)).toEqual(['succeeded', 'interrupted']);
      expect(await after.listLeases()).toEqual([]);
    } finally {
      await after.close();
    }
  });

  it('archive: a killed run\'s lease is taken over at once; a live one means exit 75 (0 with --skip-if-running)', async () => {
    const harness = make();
    const store = harness.open();
    try {
      await plantLease(store, { name: 'archive', runId: null, pid: gone });
    } finally {
      await store.close();
    }
    const next = await harness.run(['archive', '--table', 'runs', '--older-than', '30d']);
    expect(next.code, next.stderr).toBe(0);
    expect(messages(next.stderr)).toEqual([`agg: took over the lease archive: process ${gone} on ${HOST} is gone`]);
    const reopened = harness.open();
    try {
      expect(await reopened.listLeases()).toEqual([]);
      await plantLease(reopened, { name: 'archive', runId: null, pid: live.pid! });
    } finally {
      await reopened.close();
    }
    const held = await harness.run(['archive', '--table', 'runs', '--older-than', '30d']);
    expect(held.code).toBe(75);
    expect(messages(held.stderr)).toEqual([`agg: another archive is running: pid ${live.pid} on ${HOST} holds the lease archive, last heartbeat 2025-07-01T00:00:00.000Z (0 ms ago), lease expires 2025-07-01T00:02:00.000Z; nothing done (exit 75: try again later; --skip-if-running exits 0)`]);
    expect((await harness.run(['archive', '--table', 'runs', '--older-than', '30d', '--skip-if-running'])).code).toBe(0);
  });
});
