import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_TTL_MS, LeaseHolder, type LivenessProbe, RENEW_EVERY_MS, holderState, processExists } from '../../src/jobs/lease.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Lease, RunRecord } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const HOST = hostname();

/** The pid of a process that has certainly exited: a node that does nothing, waited for. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

function lease(fields: Partial<Lease> = {}): Lease {
  return { name: 'backfill:all', holder: 'bf-1@abcd', runId: 'bf-1', acquiredAt: '2025-07-01T00:00:00.000Z', expiresAt: '2025-07-01T00:02:00.000Z', renewedAt: '2025-07-01T00:00:00.000Z', host: HOST, pid: process.pid, ...fields };
}

let gone = 0;
beforeAll(async () => {
  gone = await deadPid();
});

describe('processExists', () => {
  it('is true for this process and for one it may not signal (EPERM), false once a process has exited (ESRCH)', () => {
    expect(processExists(process.pid)).toBe(true);
    // pid 1 always exists; a process of another user answers EPERM, which means alive.
    expect(processExists(1)).toBe(true);
    expect(processExists(gone)).toBe(false);
  });

  it('never calls a pid it cannot check dead', () => {
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(processExists(pid)).toBe(true);
  });
});

describe('holderState', () => {
  it('a holder on this host whose process is gone is dead at once, long before its lease expires', () => {
    expect(holderState(lease({ pid: gone }), NOW + 1000)).toEqual({ dead: true, reason: `process ${gone} on ${HOST} is gone` });
  });

  it('a live process on this host is alive', () => {
    expect(holderState(lease({ pid: 1 }), NOW)).toEqual({ dead: false });
    expect(holderState(lease({ pid: process.ppid }), NOW)).toEqual({ dead: false });
  });

  it('a row with this process\'s pid is alive only if this process holds it: otherwise a dead predecessor had the pid', () => {
    const probe: LivenessProbe = { self: { host: 'ci-7', pid: 7 }, exists: () => true, holdsHere: (holder) => holder === 'mine@1' };
    expect(holderState(lease({ host: 'ci-7', pid: 7, holder: 'mine@1' }), NOW, probe)).toEqual({ dead: false });
    expect(holderState(lease({ host: 'ci-7', pid: 7, holder: 'before@1' }), NOW, probe)).toEqual({ dead: true, reason: "process 7 on ci-7 is gone (its pid is this process's now)" });
  });

  it('a holder on another host, on a host name many machines share, or without host and pid lives until its lease expires', () => {
    for (const fields of [{ host: 'another-machine', pid: gone }, { host: 'localhost', pid: gone }, { host: null, pid: null }]) {
      expect(holderState(lease(fields), NOW + LEASE_TTL_MS - 1), JSON.stringify(fields)).toEqual({ dead: false });
      expect(holderState(lease(fields), NOW + LEASE_TTL_MS), JSON.stringify(fields)).toEqual({ dead: true, reason: 'its lease expired at 2025-07-01T00:02:00.000Z' });
    }
  });

  it('asks the probe given, not the machine', () => {
    const probe: LivenessProbe = { self: { host: 'ci-7', pid: 10 }, exists: (pid) => pid !== 42, holdsHere: () => false };
    expect(holderState(lease({ host: 'ci-7', pid: 42 }), NOW, probe)).toEqual({ dead: true, reason: 'process 42 on ci-7 is gone' });
    expect(holderState(lease({ host: 'ci-7', pid: 43 }), NOW, probe)).toEqual({ dead: false });
    expect(holderState(lease({ host: 'ci-8', pid: 42 }), NOW, probe)).toEqual({ dead: false });
  });
});

describe('LeaseHolder', () => {
  let store: Store;
  let held: LeaseHolder[] = [];
  afterEach(async () => {
    for (const lease of held) await lease.release();
    held = [];
    await store.close();
  });

  const running = (runId: string): RunRecord => ({ runId, command: 'backfill', args: [], target: 'all', startedAt: '2025-06-30T23:00:00.000Z', finishedAt: null, status: 'running', counts: {}, checkpoint: null, heartbeatAt: '2025-06-30T23:59:00.000Z' });
  const take = async (runId: string | null, options: { now?: () => number; force?: boolean; onLost?: (by: Lease) => void } = {}) => {
    const outcome = await LeaseHolder.acquire(store, { name: 'backfill:all', runId, now: options.now ?? (() => NOW), force: options.force ?? false, ...(options.onLost ? { onLost: options.onLost } : {}) });
    if ('lease' in outcome) held.push(outcome.lease);
    return outcome;
  };
  const plant = (holder: string, runId: string, pid: number, host = HOST) => store.acquireLease({ name: 'backfill:all', holder, runId, now: '2025-06-30T23:59:30.000Z', ttlMs: LEASE_TTL_MS, host, pid });

  it('records this process as the holder; another holder in this process (two commands in one process) finds it alive', async () => {
    store = SqliteStore.open(':memory:');
    const outcome = await take('bf-1');
    expect(outcome).toMatchObject({ tookOver: null });
    const [row] = await store.listLeases();
    expect(row).toMatchObject({ runId: 'bf-1', host: HOST, pid: process.pid, renewedAt: '2025-07-01T00:00:00.000Z' });
    expect(holderState(row!, NOW)).toEqual({ dead: false });
    expect(await take('bf-2')).toEqual({ heldBy: expect.objectContaining({ runId: 'bf-1' }) });
    // Released (or crashed without a store to release it in): a row with this pid that this process no longer holds is dead.
    if ('lease' in outcome) await outcome.lease.release();
    expect(holderState(row!, NOW)).toEqual({ dead: true, reason: `process ${process.pid} on ${HOST} is gone (its pid is this process's now)` });
  });

  it('takes a dead holder\'s lease at once and marks that holder\'s run interrupted (still resumable)', async () => {
    store = SqliteStore.open(':memory:');
    await store.putRun(running('bf-dead'));
    await plant('bf-dead@1', 'bf-dead', gone);
    const outcome = await take('bf-new');
    expect(outcome).toMatchObject({ tookOver: { from: { holder: 'bf-dead@1' }, reason: `process ${gone} on ${HOST} is gone` } });
    expect(await store.getRun('bf-dead')).toMatchObject({ status: 'interrupted', finishedAt: '2025-06-30T23:59:00.000Z' });
    expect((await store.listLeases()).map((l) => l.runId)).toEqual(['bf-new']);
  });

  it('resuming the dead holder\'s own run takes its lease and leaves its ledger row to the resume', async () => {
    store = SqliteStore.open(':memory:');
    await store.putRun(running('bf-dead'));
    await plant('bf-dead@1', 'bf-dead', gone);
    expect(await take('bf-dead')).toMatchObject({ tookOver: { from: { runId: 'bf-dead' } } });
    expect((await store.getRun('bf-dead'))!.status).toBe('running');
  });

  it('leaves a live holder (another process on this host, or one elsewhere) alone; --force-lease takes it without calling it dead', async () => {
    store = SqliteStore.open(':memory:');
    await store.putRun(running('bf-live'));
    await plant('bf-live@1', 'bf-live', 1);
    expect(await take('bf-new')).toEqual({ heldBy: expect.objectContaining({ holder: 'bf-live@1', pid: 1 }) });
    await plant('bf-live@1', 'bf-live', gone, 'another-machine');
    expect(await take('bf-new')).toEqual({ heldBy: expect.objectContaining({ host: 'another-machine' }) });
    expect(await take('bf-new', { force: true })).toMatchObject({ tookOver: null });
    expect((await store.getRun('bf-live'))!.status).toBe('running');
  });

  it('renews when due, and stops for good once another holder has the lease', async () => {
    store = SqliteStore.open(':memory:');
    let clock = NOW;
    const lost: Lease[] = [];
    const outcome = await take(null, { now: () => clock, onLost: (by) => lost.push(by) });
    if (!('lease' in outcome)) throw new Error('expected the lease');
    clock += RENEW_EVERY_MS - 1;
    await outcome.lease.renewIfDue();
    expect((await store.listLeases())[0]!.renewedAt).toBe('2025-07-01T00:00:00.000Z');
    clock += 1;
    await outcome.lease.renewIfDue();
    expect((await store.listLeases())[0]).toMatchObject({ renewedAt: '2025-07-01T00:00:30.000Z', expiresAt: '2025-07-01T00:02:30.000Z' });
    await store.acquireLease({ name: 'backfill:all', holder: 'thief', runId: 'bf-thief', now: '2025-07-01T00:00:31.000Z', ttlMs: LEASE_TTL_MS, force: true, host: 'ci-7', pid: 9 });
    clock += RENEW_EVERY_MS;
    await expect(outcome.lease.renewIfDue()).rejects.toThrow('run bf-thief (pid 9 on ci-7) took over the lease backfill:all; stopped');
    expect(lost).toEqual([expect.objectContaining({ holder: 'thief' })]);
    // It never takes the lease back, and its release leaves the new holder's row alone.
    clock += RENEW_EVERY_MS;
    await expect(outcome.lease.renewIfDue()).rejects.toThrow('took over');
    await outcome.lease.release();
    expect((await store.listLeases()).map((l) => l.holder)).toEqual(['thief']);
  });
});
