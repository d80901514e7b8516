import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/jobs/events.js';
import { LeaseHolder } from '../../src/jobs/lease.js';
import { type Operation, runOperation } from '../../src/jobs/operation.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function openStore(): Store {
  const store = SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'agg-operation-')), '.agg'));
  stores.push(store);
  return store;
}

/** An operation of `steps` steps that aborts `controller` after `abortAfter` of them. */
function counting(steps: number, options: { abortAfter?: number; controller?: AbortController; fail?: boolean } = {}): Operation<number> {
  return {
    command: 'cleanup',
    leaseName: 'cleanup:test',
    target: 'test',
    spec: { steps },
    label: 'counting',
    run: async (context) => {
      let done = 0;
      while (done < steps && !context.signal.aborted) {
        done += 1;
        context.progress(done, 'steps');
        if (options.fail && done === 2) throw new Error('step 2 broke');
        if (done === options.abortAfter) options.controller?.abort('SIGINT');
      }
      return { value: done, counts: { done }, complete: done === steps };
    },
  };
}

function context(signal?: AbortSignal) {
  const events: JobEvent[] = [];
  return { events, context: { now: () => Date.now(), ...(signal ? { signal } : {}), emit: (event: JobEvent) => events.push(event) } };
}

describe('runOperation', () => {
  it('holds the lease, records the run with its counts, and emits started, progress and finished', async () => {
    const store = openStore();
    const { events, context: job } = context();
    const ran = await runOperation(counting(3), { store, context: job, args: ['cleanup'], dryRun: false });
    expect(ran).toMatchObject({ kind: 'ran', value: 3, status: 'succeeded', stoppedBy: null });
    const [run] = await store.listRuns(5, 'cleanup');
    expect(run).toMatchObject({ runId: ran.kind === 'ran' ? ran.runId : '', status: 'succeeded', target: 'test', counts: { done: 3 } });
    expect(events.map((event) => event.kind)).toEqual(['started', 'progress', 'progress', 'progress', 'finished']);
    expect(events[3]).toEqual({ kind: 'progress', done: 3, total: null, unit: 'steps' });
    // Released: another run takes the lease at once.
    const next = await LeaseHolder.acquire(store, { name: 'cleanup:test', runId: 'cl-next', now: () => Date.now(), force: false });
    expect('lease' in next).toBe(true);
    if ('lease' in next) await next.lease.release();
  });

  it('does nothing while a live run holds the lease', async () => {
    const store = openStore();
    const other = await LeaseHolder.acquire(store, { name: 'cleanup:test', runId: 'cl-other', now: () => Date.now(), force: false });
    expect('lease' in other).toBe(true);
    const ran = await runOperation(counting(3), { store, context: context().context, args: [], dryRun: false });
    expect(ran).toMatchObject({ kind: 'lease-held', leaseName: 'cleanup:test', heldBy: { runId: 'cl-other' } });
    expect(await store.listRuns(5, 'cleanup')).toEqual([]);
    if ('lease' in other) await other.lease.release();
  });

  it('a dry run takes no lease and writes no ledger row', async () => {
    const store = openStore();
    const other = await LeaseHolder.acquire(store, { name: 'cleanup:test', runId: 'cl-other', now: () => Date.now(), force: false });
    const ran = await runOperation(counting(2), { store, context: context().context, args: [], dryRun: true });
    expect(ran).toMatchObject({ kind: 'ran', runId: null, value: 2, status: 'succeeded' });
    expect(await store.listRuns(5, 'cleanup')).toEqual([]);
    if ('lease' in other) await other.lease.release();
  });

  it('stops after the step in progress on the signal and records the run as interrupted', async () => {
    const store = openStore();
    const controller = new AbortController();
    const ran = await runOperation(counting(10, { abortAfter: 4, controller }), { store, context: context(controller.signal).context, args: [], dryRun: false });
    expect(ran).toMatchObject({ kind: 'ran', value: 4, status: 'interrupted', stoppedBy: 'interrupted' });
    expect((await store.listRuns(5, 'cleanup'))[0]).toMatchObject({ status: 'interrupted', counts: { done: 4 } });
  });

  it('records a failure as failed, rethrows it and releases the lease', async () => {
    const store = openStore();
    const { events, context: job } = context();
    await expect(runOperation(counting(5, { fail: true }), { store, context: job, args: [], dryRun: false })).rejects.toThrow('step 2 broke');
    expect((await store.listRuns(5, 'cleanup'))[0]).toMatchObject({ status: 'failed' });
    expect(events.at(-1)).toEqual({ kind: 'finished' });
    const again = await runOperation(counting(1), { store, context: job, args: [], dryRun: false });
    expect(again.kind).toBe('ran');
  });
});
