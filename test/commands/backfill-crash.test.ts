import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { builtCli } from '../support/built-cli.js';
import { runAgg } from '../support/cli.js';
import { isFatal } from '../../src/jobs/runner.js';
import { StoreError } from '../../src/store/errors.js';
import { SimulatedCrash, faultyStore } from '../support/faulty-store.js';
import { ADAPTER_FACTORIES, aggregationSnapshot, seedUsers, withOpen } from '../support/store-fixtures.js';

const USERS = 5;
const RECORDS = 120;

async function referenceSnapshot(): Promise<string[]> {
  const harness = ADAPTER_FACTORIES[0]![1]();
  await withOpen(harness, (store) => seedUsers(store, USERS, RECORDS, 'crash'));
  await runAgg(['backfill', '--all'], { openStore: () => harness.openStore() });
  return withOpen(harness, aggregationSnapshot);
}

describe.each(ADAPTER_FACTORIES)('a backfill that crashes at any store call, on the %s', (_name, make) => {
  it('resumes to exactly the state of an uninterrupted run, without duplicates', async () => {
    const reference = await referenceSnapshot();
    // Count the store calls of an uninterrupted run, then crash at points spread over all of them.
    const counting = make();
    await withOpen(counting, (store) => seedUsers(store, USERS, RECORDS, 'crash'));
    let calls = 0;
    await runAgg(['backfill', '--all', '--concurrency', '2'], {
      openStore: () => {
        const store = faultyStore(counting.openStore(), {});
        return new Proxy(store, { get: (t, p, r) => (p === 'close' ? async () => ((calls = store.injected.calls), t.close()) : Reflect.get(t, p, r)) });
      },
    });
    expect(calls).toBeGreaterThan(10);
    const points = [...new Set(Array.from({ length: 12 }, (_, i) => 1 + Math.floor((i * (calls - 1)) / 11)))];
    let stopped = 0;
    for (const crashAfter of points) {
      const harness = make();
      await withOpen(harness, (store) => seedUsers(store, USERS, RECORDS, 'crash'));
      const crashed = await runAgg(['backfill', '--all', '--concurrency', '2'], {
        openStore: () => faultyStore(harness.openStore(), { crashAfter }) as Store,
      });
      // A crash that only hits the final lease release leaves a finished run: exit 0 is right there.
      if (crashed.code !== 0) stopped++;
      const [run] = await withOpen(harness, (store) => store.listRuns(1));
      const next = run
        ? await runAgg(['backfill', '--resume', run.runId, '--force-lease', '--json'], { openStore: () => harness.openStore() })
        : await runAgg(['backfill', '--all', '--force-lease', '--json'], { openStore: () => harness.openStore() });
      expect(next.code, `resume after crash ${crashAfter}: ${next.stderr}`).toBe(0);
      expect(await withOpen(harness, aggregationSnapshot), `crash after ${crashAfter}`).toEqual(reference);
    }
    expect(stopped).toBeGreaterThanOrEqual(points.length - 2);
  }, 120_000);
});

describe('a backfill process killed with SIGKILL at random moments', () => {
  let bin = '';
  beforeAll(() => {
    // The spawned CLI runs from dist/: built from the current sources (once, whichever file asks first).
    bin = builtCli();
  }, 200_000);

  // Kills at seeded points of backfill, import, cleanup and archive: test/commands/kill-9.test.ts.

  it('after kill -9, agg runs shows the run dead and --resume last continues at once (no wait for the lease to expire)', async () => {
    const harness = ADAPTER_FACTORIES[0]![1]();
    const dir = harness.dir!;
    await withOpen(harness, (store) => seedUsers(store, 12, RECORDS, 'kill-resume'));
    const child = spawn(process.execPath, [bin, 'backfill', '--all', '--concurrency', '1', '--quiet', '--local', dir], { stdio: 'ignore' });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    // Kill it once its ledger row shows a user done (and before it finishes).
    let killed = false;
    for (let wait = 0; wait < 600 && !killed; wait++) {
      const [run] = await withOpen(harness, (store) => store.listRuns(1)).catch(() => [] as never[]);
      if (run?.status === 'running' && (run.counts.usersDone ?? 0) >= 1) {
        child.kill('SIGKILL');
        killed = true;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    expect(killed, 'the backfill finished before it could be killed').toBe(true);
    await exited;
    const [run] = await withOpen(harness, (store) => store.listRuns(1));
    expect(run!.status).toBe('running');
    const [lease] = await withOpen(harness, (store) => store.listLeases());
    expect(lease).toMatchObject({ name: 'backfill:all', runId: run!.runId, host: hostname(), pid: child.pid });

    const open = { openStore: () => SqliteStore.open(dir), now: () => Date.now() };
    const runs = await runAgg(['runs'], open);
    expect(runs.stdout).toContain(`running? (dead: process ${child.pid} on ${hostname()} is gone, resumable: agg backfill --resume ${run!.runId})`);
    const resumed = await runAgg(['backfill', '--resume', 'last', '--json'], open);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`agg: took over the lease backfill:all from run ${run!.runId}: process ${child.pid} on ${hostname()} is gone`);
    expect(resumed.stderr).not.toContain('holds the lease');
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: run!.runId, status: 'succeeded', users: { total: 12, done: 12 } });
    expect(await withOpen(harness, (store) => store.listLeases())).toEqual([]);
  }, 120_000);
});

it('a simulated crash is fatal to the run, not a user failure', () => {
  expect(isFatal(new SimulatedCrash(3))).toBe(true);
  expect(isFatal(new StoreError('one row', 'permanent', 'item'))).toBe(false);
  expect(isFatal(Object.assign(new Error('looks fatal'), { fatal: true }))).toBe(false);
});
