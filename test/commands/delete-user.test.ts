// Deletion at the source: `agg import --replace` makes a user's records equal to a file, and
// `agg delete-user` removes everything agg holds for a user, on both stores.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, type AdapterHarness, seedUsers, withOpen } from '../support/store-fixtures.js';

const NOW = () => Date.parse('2025-07-01T00:00:00.000Z');

function agg(harness: AdapterHarness, args: string[], options: { cwd?: string; signal?: AbortSignal } = {}) {
  return runAgg(args, { openStore: () => harness.openStore(), now: NOW, ...options });
}

async function everythingOf(store: Store, userId: string) {
  const [user, digests, combinations, records, changes, overrides, validations] = await Promise.all([
    store.getUser(userId),
    store.listDigests(userId),
    store.listFilterCombinations(userId),
    store.pageRecords(userId, { cursor: null }),
    store.listChanges(userId),
    store.listOverrides('precomputed_aggregations'),
    store.getValidations([userId]),
  ]);
  return {
    user,
    results: digests.length,
    filterSets: combinations.length,
    records: records.items.length,
    changes: changes.length,
    overrides: overrides.filter((override) => override.userId === userId).length,
    validations: validations.length,
  };
}

describe.each(ADAPTER_FACTORIES)('agg delete-user on the %s', (_name, make) => {
  it('removes everything agg holds for the user, and nothing of anyone else, in the run ledger', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 60, 'delete-user'));
    await withOpen(harness, (store) => store.recordFilterUse('user-001', { timeframe: 'All', product: 'All', topics: ['Music'], channels: [] }, '2025-06-01T00:00:00.000Z'));
    expect((await agg(harness, ['backfill', '--all'])).code).toBe(0);
    expect((await agg(harness, ['validate', '--all'])).code).toBe(0);
    expect((await agg(harness, ['rollout', '--percent', '10'])).code).toBe(0);
    expect((await agg(harness, ['rollout', '--enable-user', 'user-001'])).code).toBe(0);
    const before = await withOpen(harness, (store) => everythingOf(store, 'user-001'));
    expect(before).toMatchObject({ results: 190, filterSets: 1, validations: 1, overrides: 1 });
    expect(before.records).toBeGreaterThan(10);
    const other = await withOpen(harness, (store) => everythingOf(store, 'user-002'));

    const dry = await agg(harness, ['delete-user', 'user-001', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({ schema: 'agg.delete-user.plan/v1', userId: 'user-001', dryRun: true, records: before.records, results: 190, filterSets: 1 });
    expect(await withOpen(harness, (store) => everythingOf(store, 'user-001'))).toEqual(before);

    const unconfirmed = await agg(harness, ['delete-user', 'user-001']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/^agg: delete-user removes everything agg holds for user-001 .*; pass --yes, or --dry-run/m);

    const run = await agg(harness, ['delete-user', 'user-001', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ userId: 'user-001', finished: true });
    expect(summary.byTable).toMatchObject({ watch_records: before.records, precomputed_aggregations: 190, filter_combinations: 1, rollout_overrides: 1, user_validations: 1, user_stats: 1 });
    expect(await withOpen(harness, (store) => everythingOf(store, 'user-001'))).toEqual({ user: null, results: 0, filterSets: 0, records: 0, changes: 0, overrides: 0, validations: 0 });
    expect(await withOpen(harness, (store) => everythingOf(store, 'user-002'))).toEqual(other);
    const [ledger] = await withOpen(harness, (store) => store.listRuns(1, 'delete-user'));
    expect(ledger).toMatchObject({ runId: summary.runId, status: 'succeeded', target: 'user-001' });
    expect(ledger!.counts.deleted).toBe(summary.deleted);
    expect(await withOpen(harness, (store) => store.listLeases())).toEqual([]);

    // Again: nothing left, and that is no error.
    const again = await agg(harness, ['delete-user', 'user-001', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('agg held nothing for user-001: nothing to delete');
  });

  it('refuses a user agg never held anything for, with the closest known ids, unless --allow-unknown', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 2, 20, 'delete-user'));
    const typo = await agg(harness, ['delete-user', 'user-01', '--yes']);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim().split('\n').filter((line) => !line.startsWith('agg: using'))).toHaveLength(1);
    expect(typo.stderr).toMatch(/^agg: delete-user user-01 is not a known user: no records or stored results \(did you mean user-001 or user-002\?\); .*--allow-unknown.*; nothing was deleted$/m);
    expect(await withOpen(harness, (store) => store.listRuns(10, 'delete-user'))).toEqual([]);
    const allowed = await agg(harness, ['delete-user', 'user-01', '--yes', '--allow-unknown']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('agg held nothing for user-01: nothing to delete');
    // A user known only by an override (enabled before its data came) is deleted without --allow-unknown.
    expect((await agg(harness, ['rollout', '--enable-user', 'user-late', '--allow-unknown'])).code).toBe(0);
    const late = await agg(harness, ['delete-user', 'user-late', '--yes', '--json']);
    expect(late.code, late.stderr).toBe(0);
    expect(JSON.parse(late.stdout).byTable).toMatchObject({ rollout_overrides: 1 });
  });

  it('stops between steps on a signal (130, the run interrupted), and the same command finishes', async () => {
    const harness = make();
    await withOpen(harness, (store) => seedUsers(store, 1, 50, 'delete-user-stop'));
    const interrupt = new AbortController();
    interrupt.abort('SIGINT');
    const stopped = await agg(harness, ['delete-user', 'user-001', '--yes'], { signal: interrupt.signal });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('run the same command again to finish deleting user-001');
    expect((await withOpen(harness, (store) => store.listRuns(1, 'delete-user')))[0]).toMatchObject({ status: 'interrupted' });
    expect((await agg(harness, ['delete-user', 'user-001', '--yes'])).code).toBe(0);
    expect(await withOpen(harness, (store) => everythingOf(store, 'user-001'))).toMatchObject({ user: null, records: 0, changes: 0 });
  });
});

describe.each(ADAPTER_FACTORIES)('agg import --replace on the %s', (_name, make) => {
  it('makes the user\'s records equal to the file, deleting the ones it no longer has, under one change-log entry', async () => {
    const harness = make();
    const cwd = mkdtempSync(join(tmpdir(), 'agg-replace-'));
    const record = (id: number, title = `Video ${id}`) => JSON.stringify({ id: `r${id}`, watchedAt: `2025-0${1 + (id % 5)}-01T00:00:00Z`, videoTitle: title });
    const first = join(cwd, 'first.jsonl');
    writeFileSync(first, `${Array.from({ length: 100 }, (_, i) => record(i)).join('\n')}\n`);
    expect((await agg(harness, ['import', first, '--user', 'u'], { cwd })).code).toBe(0);
    // The newer export: 60 of the old records (one edited) and 10 new ones.
    const second = join(cwd, 'second.jsonl');
    writeFileSync(second, `${[...Array.from({ length: 60 }, (_, i) => record(i, i === 0 ? 'Edited' : undefined)), ...Array.from({ length: 10 }, (_, i) => record(200 + i))].join('\n')}\n`);
    const plain = JSON.parse((await agg(harness, ['import', second, '--user', 'u', '--dry-run', '--json'], { cwd })).stdout);
    expect(plain).toMatchObject({ inserted: 10, updated: 1, unchanged: 59, deleted: 0, storedNotInFile: 40 });
    const plan = JSON.parse((await agg(harness, ['import', second, '--user', 'u', '--replace', '--dry-run', '--json'], { cwd })).stdout);
    expect(plan).toMatchObject({ inserted: 10, updated: 1, unchanged: 59, deleted: 40, storedNotInFile: 0 });
    expect((await withOpen(harness, (store) => store.getUser('u')))!.recordCount).toBe(100);

    const changesBefore = (await withOpen(harness, (store) => store.listChanges('u'))).length;
    const replaced = await agg(harness, ['import', second, '--user', 'u', '--replace', '--json'], { cwd });
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ inserted: 10, updated: 1, unchanged: 59, deleted: 40 });
    const stored = await withOpen(harness, async (store) => (await store.pageRecords('u', { cursor: null, limit: 1000 })).items.map((r) => r.id).sort());
    expect(stored).toEqual([...Array.from({ length: 60 }, (_, i) => `r${i}`), ...Array.from({ length: 10 }, (_, i) => `r${200 + i}`)].sort());
    expect((await withOpen(harness, (store) => store.getUser('u')))!.recordCount).toBe(70);
    expect(await withOpen(harness, (store) => store.listChanges('u'))).toHaveLength(changesBefore + 1);
    // The same file again changes nothing.
    expect(JSON.parse((await agg(harness, ['import', second, '--user', 'u', '--replace', '--json'], { cwd })).stdout)).toMatchObject({ inserted: 0, updated: 0, deleted: 0, changeId: null });
    // A plain import of a smaller export changes nothing either, but says what the file lacks.
    const smaller = join(cwd, 'smaller.jsonl');
    writeFileSync(smaller, `${Array.from({ length: 30 }, (_, i) => record(i + 1)).join('\n')}\n`);
    const kept = await agg(harness, ['import', smaller, '--user', 'u'], { cwd });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain('nothing changed: no change-log entry written\n40 stored records of u are not in this file and were kept; --replace makes the records equal to the file\n');
    expect(JSON.parse((await agg(harness, ['import', smaller, '--user', 'u', '--json'], { cwd })).stdout)).toMatchObject({ unchanged: 30, storedNotInFile: 40 });
    // Nothing lacking, no hint.
    expect((await agg(harness, ['import', second, '--user', 'u'], { cwd })).stdout).not.toContain('--replace');
  });
});
