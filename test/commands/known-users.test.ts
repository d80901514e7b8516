import { beforeEach, describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_FILTERS } from '../../src/core/filters.js';
import type { InputRecord } from '../../src/core/record.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import type { Store } from '../../src/store/store.js';
import { findUnknownUsers, isKnownUser } from '../../src/users/known-users.js';
import { type CliHarness, HARNESSES } from '../support/cli-harness.js';

// One notion of who exists: a user with records or stored results. Every command that names users
// refuses one the store does not know, before writing anything, with "did you mean" from the known ids.

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const USERS = ['alice', 'alicia', 'bob', 'carol'];
const records = (userId: string): InputRecord[] => [
  { id: `${userId}-a`, watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial' },
  { id: `${userId}-b`, watchedAt: '2025-06-02T10:00:00.000Z', channelTitle: 'Beta', videoTitle: 'Rock song' },
];

/** The one error line of a refused run (the "using the store" line aside). */
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line !== '' && !line.startsWith('agg: using'));

/** A store that counts the calls made to listUsers (the paged walk behind "did you mean"). */
function countingListUsers(counter: { calls: number }): (store: Store) => Store {
  return (store) => {
    const listUsers = store.listUsers.bind(store);
    store.listUsers = (page) => {
      counter.calls++;
      return listUsers(page);
    };
    return store;
  };
}

describe.each(HARNESSES)('known users on the %s', (_name, make) => {
  let harness: CliHarness;
  const agg = (args: string[], wrap?: (store: Store) => Store) => harness.run([...args], { now: () => NOW, env: { USER: 'ops' }, ...(wrap ? { wrap } : {}) });
  /** Everything a refused command must have left alone. */
  const footprint = async () => {
    const store = harness.open();
    try {
      const digests: string[] = [];
      for (let cursor: string | null = null; ; ) {
        const page = await store.pageAllDigests({ cursor });
        digests.push(...page.items.map((d) => `${d.userId}/${d.aggregationType}/${d.filterHash}`));
        if (page.isDone) break;
        cursor = page.cursor;
      }
      return {
        digests: digests.sort(),
        runs: (await store.listRuns(100)).map((run) => run.runId),
        leases: await store.listLeases(),
        validations: await store.getValidations([...USERS, 'alcie', 'bobb', 'zed']),
        flag: await store.getFlag('precomputed_aggregations'),
        overrides: await store.listOverrides('precomputed_aggregations'),
      };
    } finally {
      await store.close();
    }
  };

  beforeEach(async () => {
    harness = make();
    await harness.seedUsers(USERS.map((userId) => ({ userId, records: records(userId) })));
  });

  it('backfill --user refuses unknown ids in one line, naming each with the closest known ones, and writes nothing', async () => {
    const before = await footprint();
    const run = await agg(['backfill', '--user', 'alice', 'alcie', 'bobb', 'zed', '--type', 'kpi']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(errorLines(run.stderr)).toEqual([
      'agg: --user names 3 unknown users, with no records or stored results: alcie (did you mean alice or alicia?), bobb (did you mean bob?), zed; agg users lists the known users',
    ]);
    // Not even alice, who is known: the run never started (no results, no ledger row, no lease).
    expect(await footprint()).toEqual(before);
    const single = await agg(['backfill', '--user', 'Alice', '--dry-run']);
    expect(single.code).toBe(2);
    expect(errorLines(single.stderr)).toEqual(['agg: --user Alice is not a known user: no records or stored results (did you mean alice or alicia?); agg users lists the known users']);
    const known = await agg(['backfill', '--user', 'alice', 'bob', '--type', 'kpi', '--json']);
    expect(known.code, known.stderr).toBe(0);
    expect(JSON.parse(known.stdout).users).toMatchObject({ total: 2, done: 2, failed: 0 });
  });

  it('validate --user refuses unknown ids, recording no run and no validation', async () => {
    const before = await footprint();
    const run = await agg(['validate', '--user', 'carol', '--user', 'carl', '--json']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(errorLines(run.stderr)).toEqual(['agg: --user carl is not a known user: no records or stored results (did you mean carol?); agg users lists the known users']);
    expect(await footprint()).toEqual(before);
  });

  it('counts a user with stored results but no records as known (validate finds its orphans)', async () => {
    const { results } = computeAggregations({ records: records('x'), context: { asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC' }, filterSets: [DEFAULT_FILTERS], types: ['kpi'] });
    const store = harness.open();
    try {
      await store.upsertAggregations(results.map((r) => toAggregationWrite(r, { userId: 'gone', asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC', computedAtMs: NOW, ttlMs: 3_600_000, recordCount: 2, computeMs: 1 })));
      expect(await store.getUser('gone')).toBeNull();
      expect(await isKnownUser(store, 'gone')).toBe(true);
      expect(await isKnownUser(store, 'alice')).toBe(true);
      expect(await isKnownUser(store, 'nobody')).toBe(false);
      expect(await findUnknownUsers(store, ['nobody', 'alice', 'gone', 'nobody', 'zed'])).toEqual(['nobody', 'zed']);
    } finally {
      await store.close();
    }
    const run = await agg(['validate', '--user', 'gone', '--type', 'kpi', '--fail-on', 'any', '--json']);
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout).totals.orphan).toBe(1);
  });

  it('walks the known users for suggestions only when an id is unknown', async () => {
    const counter = { calls: 0 };
    expect((await agg(['backfill', '--user', 'alice', 'bob', '--type', 'kpi', '--dry-run'], countingListUsers(counter))).code).toBe(0);
    expect((await agg(['rollout', '--enable-user', 'carol'], countingListUsers(counter))).code).toBe(0);
    expect(counter.calls).toBe(0);
    expect((await agg(['backfill', '--user', 'alcie', '--dry-run'], countingListUsers(counter))).code).toBe(2);
    expect(counter.calls).toBeGreaterThan(0);
  });

  it('refuses rollout --check and overrides for unknown users, changing nothing, unless --allow-unknown', async () => {
    const before = await footprint();
    const check = await agg(['rollout', '--check', 'bobb']);
    expect(check.code).toBe(2);
    expect(errorLines(check.stderr)).toEqual([
      'agg: --check bobb is not a known user: no records or stored results (did you mean bob?); agg users lists the known users; --allow-unknown accepts a user with no data yet',
    ]);
    const enable = await agg(['rollout', '--enable-user', 'carol', 'karol']);
    expect(enable.code).toBe(2);
    expect(errorLines(enable.stderr)).toEqual([
      'agg: --enable-user karol is not a known user: no records or stored results (did you mean carol?); agg users lists the known users; --allow-unknown accepts a user with no data yet',
    ]);
    expect(await footprint()).toEqual(before);
    const allowed = await agg(['rollout', '--enable-user', 'carol', 'karol', '--allow-unknown']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect((await footprint()).overrides.map((o) => `${o.userId}:${o.mode}`).sort()).toEqual(['carol:allow', 'karol:allow']);
  });

  it('agg show refuses an unknown user the same way', async () => {
    const run = await agg(['show', 'alcie', 'kpi']);
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual(['agg: user alcie is not a known user: no records or stored results (did you mean alice or alicia?); agg users lists the known users']);
  });
});
