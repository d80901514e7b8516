import { describe, expect, it } from 'vitest';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, seedUsers, withOpen } from '../support/store-fixtures.js';

// One notion of "processed": a full backfill (--all) and a repair mark the change-log entries their
// records include, so status stops counting them and the next tick does not take their users; and
// status reports the consistency of the latest validate run, a repair's once it ran.

const T0 = Date.parse('2025-07-01T00:00:00.000Z');

// Each command a minute after the one before, so the latest run is the one started last.
let minute = 0;
const agg = (harness: AdapterHarness, args: string[]) => {
  const at = T0 + ++minute * 60_000;
  return runAgg(args, { openStore: () => harness.openStore(), now: () => at });
};

async function json(harness: AdapterHarness, args: string[], code = 0) {
  const run = await agg(harness, [...args, '--json']);
  expect(run.code, run.stderr).toBe(code);
  return JSON.parse(run.stdout);
}

const pendingOf = (harness: AdapterHarness, userId: string) => withOpen(harness, async (store) => (await store.listChanges(userId)).filter((change) => !change.processed).map((change) => change.changeId));

describe.each(ADAPTER_FACTORIES)('processed changes on the %s', (_name, make) => {
  it('backfill --all clears the change log: status shows no pending changes, and --changed takes nobody', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 3, 40, 'processed'));
    expect((await json(harness, ['status'])).users).toMatchObject({ withPendingChanges: 3 });
    await json(harness, ['backfill', '--all']);
    const status = await json(harness, ['status']);
    expect(status.users).toMatchObject({ total: 3, withPendingChanges: 0, oldestPendingChangeAt: null });
    for (const userId of ['user-001', 'user-002', 'user-003']) expect(await pendingOf(harness, userId)).toEqual([]);
    expect((await json(harness, ['backfill', '--changed', '--no-renew'])).users.total).toBe(0);
    expect((await json(harness, ['users'])).users.map((user: { pendingChanges: number }) => user.pendingChanges)).toEqual([0, 0, 0]);
  });

  it('a repair marks the entries its records include processed, and its figures replace the earlier run\'s in status', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 40, 'processed'));
    await json(harness, ['backfill', '--all']);
    await withOpen(harness, (store) =>
      store.putRecords({ userId: 'user-002', records: [{ id: 'later-1', watchedAt: '2025-06-20T12:00:00.000Z', videoTitle: 'Later' }], change: { changeId: 'c-later', changeType: 'import', at: '2025-06-20T12:00:00.000Z' } }),
    );
    expect(await pendingOf(harness, 'user-002')).toEqual(['c-later']);

    const found = await json(harness, ['validate', '--all']);
    expect(found.totals).toMatchObject({ match: 180, stale: 180 });
    const before = (await json(harness, ['status'])).consistency;
    expect(before).toMatchObject({ runId: found.runId, matchShare: 0.5, checked: 360, repaired: 0, usersValidated: 2, usersKnown: 2 });
    expect(before.scope).toBe('all');

    const repaired = await json(harness, ['validate', '--all', '--repair']);
    expect(repaired.repair).toMatchObject({ applied: true, usersToRewrite: 1 });
    expect(await pendingOf(harness, 'user-002')).toEqual([]);
    const status = await json(harness, ['status']);
    expect(status.users.withPendingChanges).toBe(0);
    // The repair run is the latest: its figures (all matching once repaired) replace the earlier ones.
    expect(status.consistency).toMatchObject({ runId: repaired.runId, matchShare: 1, checked: 360, repaired: 180 });
    expect((await json(harness, ['backfill', '--changed', '--no-renew'])).users.total).toBe(0);
    expect((await json(harness, ['validate', '--all'])).totals).toMatchObject({ match: 360, stale: 0 });
  });
});
