import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_GRID, canonicalFilters } from '../../src/core/filters.js';
import type { InputRecord } from '../../src/core/record.js';
import { decideRollout, rolloutBucket } from '../../src/core/rollout.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import type { RolloutEvent } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { type CliHarness, HARNESSES, jsonOf } from '../support/cli-harness.js';
import { makeConvexTestStore, makeTestConvex, testCaller } from '../support/convex-test-store.js';
import { runAgg } from '../support/cli.js';
import { StoreError } from '../../src/store/errors.js';

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const USERS = Array.from({ length: 120 }, (_, i) => `user-${String(i).padStart(3, '0')}`);
const records = (userId: string): InputRecord[] => [
  { id: `${userId}-a`, watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial' },
  { id: `${userId}-b`, watchedAt: '2025-06-02T10:00:00.000Z', channelTitle: 'Beta', videoTitle: 'Rock song', product: 'YouTube Music' },
];

interface PercentJson {
  kind: string;
  summary: { entering: number; leaving: number; inAfter: number; knownUsers: number; enteringIds?: string[]; leavingIds?: string[]; change: string; reenabled: boolean };
  refusals?: { userId: string; reasons: string[] }[];
}

describe.each(HARNESSES)('agg rollout on the %s', (_name, make) => {
  let harness: CliHarness;
  let clock: number;
  const agg = (args: string[], env: Record<string, string> = { USER: 'alice' }) => harness.run(['rollout', ...args], { now: () => clock, env });
  const flagState = async () => {
    const store = harness.open();
    try {
      return { flag: await store.getFlag('precomputed_aggregations'), overrides: await store.listOverrides('precomputed_aggregations'), events: await store.listFlagEvents('precomputed_aggregations', 100) };
    } finally {
      await store.close();
    }
  };
  /** Who is in now, by the one shared rule over the stored flag. */
  const usersIn = async (): Promise<Set<string>> => {
    const { flag, overrides } = await flagState();
    const modes = new Map(overrides.map((o) => [o.userId, o.mode]));
    return new Set(flag === null ? [] : USERS.filter((u) => decideRollout(flag, u, modes.get(u) ?? null).included));
  };

  beforeEach(async () => {
    harness = make();
    clock = NOW;
    await harness.seedUsers(USERS.map((userId) => ({ userId, records: records(userId) })));
  });
  afterEach(() => {
    clock = NOW;
  });

  it('prints the status of a flag that does not exist yet, and creates it with a random salt on the first --percent', async () => {
    const status = await agg([]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('does not exist yet: nobody is in');
    expect(status.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    const first = await agg(['--percent', '5', '--json']);
    expect(first.code).toBe(0);
    const outcome = jsonOf<PercentJson>(first);
    expect(outcome.kind).toBe('applied');
    const { flag } = await flagState();
    expect(flag).toMatchObject({ basisPoints: 500, rolledBack: false, updatedBy: 'alice' });
    expect(flag!.salt).toMatch(/^[0-9a-f]{16}$/);
    expect(outcome.summary.enteringIds).toEqual([...(await usersIn())].sort());
    const other = make();
    await other.run(['rollout', '--percent', '5'], { env: { USER: 'bob' } });
    const otherStore = other.open();
    expect((await otherStore.getFlag('precomputed_aggregations'))!.salt).not.toBe(flag!.salt);
    await otherStore.close();
  });

  it('grows monotonically from 5 % to 100 % in steps, reporting exactly who enters, with the app agreeing', async () => {
    let previous = new Set<string>();
    for (const percent of ['5', '10', '25', '33.33', '50', '75', '100']) {
      clock += 60_000;
      const run = await agg(['--percent', percent, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const outcome = jsonOf<PercentJson>(run);
      const now = await usersIn();
      for (const user of previous) expect(now.has(user), `${user} left at ${percent} %`).toBe(true);
      expect(outcome.summary.enteringIds).toEqual([...now].filter((u) => !previous.has(u)).sort());
      expect(outcome.summary).toMatchObject({ leaving: 0, change: 'grow', knownUsers: USERS.length, inAfter: now.size });
      if (harness.t) {
        for (const user of USERS.slice(0, 30)) expect(await harness.t.query('serving:isRolledOut', { userId: user })).toBe(now.has(user));
      }
      previous = now;
    }
    expect(previous.size).toBe(USERS.length);
    const status = jsonOf<{ percent: number; users: { known: number; in: number } }>(await agg(['--json']));
    expect(status).toMatchObject({ percent: 100, users: { known: USERS.length, in: USERS.length } });
    // Setting the same percentage again changes nothing and logs nothing.
    const events = (await flagState()).events.length;
    expect((await agg(['--percent', '100'])).stdout).toContain('already at 100.00%');
    expect((await flagState()).events).toHaveLength(events);
  });

  it('refuses to shrink without --allow-shrink, and with it removes exactly the users at or above the new threshold', async () => {
    await agg(['--percent', '50']);
    const before = await usersIn();
    const refused = await agg(['--percent', '20']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^agg: lowering precomputed_aggregations from 50.00% to 20.00% takes users out of the rollout; pass --allow-shrink/m);
    expect(refused.stderr.split('\n').filter((l) => l.startsWith('agg:') && !l.includes('using the'))).toHaveLength(1);
    expect((await flagState()).flag!.basisPoints).toBe(5000);
    expect((await flagState()).events).toHaveLength(1);
    clock += 1000;
    const plan = jsonOf<PercentJson>(await agg(['--percent', '20', '--allow-shrink', '--plan', '--json']));
    expect(plan.kind).toBe('planned');
    expect((await flagState()).flag!.basisPoints).toBe(5000);
    const shrink = jsonOf<PercentJson>(await agg(['--percent', '20', '--allow-shrink', '--json', '--reason', 'too much load']));
    const { flag } = await flagState();
    const expectedLeaving = [...before].filter((u) => rolloutBucket(flag!.flag, flag!.salt, u) >= 2000).sort();
    expect(shrink.summary.leavingIds).toEqual(expectedLeaving);
    expect(plan.summary.leavingIds).toEqual(expectedLeaving);
    expect(shrink.summary.entering).toBe(0);
    expect([...(await usersIn())].sort()).toEqual([...before].filter((u) => !expectedLeaving.includes(u)).sort());
  });

  it('--check says whether a served user\'s results are fresh, expired or absent, and when the user is unknown', async () => {
    await agg(['--percent', '100']);
    const user = USERS[3]!;
    expect((await agg(['--check', user])).stdout).toContain('but no results are stored');
    const backfill = await harness.run(['backfill', '--user', user, '--quiet'], { now: () => clock });
    expect(backfill.code, backfill.stderr).toBe(0);
    expect((await agg(['--check', user])).stdout).toMatch(/served pre-computed results \(eligible\): all [\d,]+ stored results are fresh/);
    clock += 31 * 60_000; // past top_channels' TTL, within kpi's
    const later = await agg(['--check', user]);
    expect(later.stdout).toMatch(/but [1-9][\d,]* of [\d,]+ stored results are expired: the app computes those/);
    const json = jsonOf<{ results: { total: number; expired: number }; userKnown: boolean }>(await agg(['--check', user, '--json']));
    expect(json.userKnown).toBe(true);
    expect(json.results.expired).toBeGreaterThan(0);
    expect(json.results.expired).toBeLessThan(json.results.total);
    // A user the store does not know is refused (a typo, most likely), with the closest known ids.
    const unknown = await agg(['--check', 'usr-003']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.split('\n').filter((line) => line && !line.startsWith('agg: using'))).toEqual([
      'agg: --check usr-003 is not a known user: no records or stored results (did you mean user-003, user-000 or user-001?); agg users lists the known users; --allow-unknown accepts a user with no data yet',
    ]);
    const allowed = await agg(['--check', 'nobody-here', '--allow-unknown']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('user nobody-here is not known to the store');
    expect(jsonOf<{ userKnown: boolean }>(await agg(['--check', 'nobody-here', '--allow-unknown', '--json'])).userKnown).toBe(false);
  });

  it('refuses overrides for users the store does not know, writing nothing, unless --allow-unknown', async () => {
    await agg(['--percent', '10']);
    const before = await flagState();
    const refused = await agg(['--enable-user', USERS[0]!, 'usr-003', '--disable-user', 'ghost']);
    expect(refused.code).toBe(2);
    const errors = refused.stderr.split('\n').filter((line) => line && !line.startsWith('agg: using'));
    expect(errors).toEqual([
      'agg: --enable-user/--disable-user names 2 unknown users, with no records or stored results: usr-003 (did you mean user-003, user-000 or user-001?), ghost; agg users lists the known users; --allow-unknown accepts users with no data yet',
    ]);
    const deny = await agg(['--disable-user', 'ghost', '--plan']);
    expect(deny.code).toBe(2);
    expect(deny.stderr).toContain('agg: --disable-user ghost is not a known user: no records or stored results; agg users lists the known users');
    expect(await flagState()).toEqual(before);
    // Users who come later (a VIP before their first import) are named on purpose.
    const ahead = await agg(['--enable-user', 'vip-to-come', '--allow-unknown', '--reason', 'launch partner']);
    expect(ahead.code, ahead.stderr).toBe(0);
    expect((await flagState()).overrides).toContainEqual({ flag: 'precomputed_aggregations', userId: 'vip-to-come', mode: 'allow' });
    // Clearing needs no data: it is how such an override goes again.
    const cleared = await agg(['--clear-user', 'vip-to-come']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect((await flagState()).overrides.map((o) => o.userId)).not.toContain('vip-to-come');
    const misplaced = await agg(['--percent', '20', '--allow-unknown']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('agg: --allow-unknown only goes with --enable-user/--disable-user/--clear-user or --check');
  });

  it('applies overrides over the percentage, and a rollback over everything until an explicit --percent', async () => {
    await agg(['--percent', '30']);
    const { flag } = await flagState();
    const outside = USERS.find((u) => rolloutBucket(flag!.flag, flag!.salt, u) >= 3000)!;
    const inside = USERS.find((u) => rolloutBucket(flag!.flag, flag!.salt, u) < 3000)!;
    clock += 1000;
    const changed = await agg(['--enable-user', outside, '--disable-user', inside, '--reason', 'dogfood']);
    expect(changed.code, changed.stderr).toBe(0);
    expect((await agg(['--check', outside])).stdout).toContain(`user ${outside} under precomputed_aggregations: in: enabled by override`);
    expect((await agg(['--check', inside])).stdout).toContain('out: disabled by override');
    expect(jsonOf(await agg(['--check', USERS[5]!, '--json']))).toMatchObject({ userId: USERS[5], reason: expect.stringMatching(/^(bucket|override)$/), bucket: rolloutBucket(flag!.flag, flag!.salt, USERS[5]!) });
    if (harness.t) {
      expect(await harness.t.query('serving:isRolledOut', { userId: outside })).toBe(true);
      expect(await harness.t.query('serving:isRolledOut', { userId: inside })).toBe(false);
    }
    clock += 1000;
    const rolledBack = await agg(['--rollback', '--reason', 'bad data']);
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toContain('30.00% → 0.00%');
    expect(rolledBack.stdout).toContain('2 overrides are kept but ignored while rolled back');
    expect(rolledBack.stdout).toContain('--percent P');
    expect(await usersIn()).toEqual(new Set());
    expect((await agg(['--check', outside])).stdout).toContain('out: the flag is rolled back');
    if (harness.t) expect(await harness.t.query('serving:isRolledOut', { userId: outside })).toBe(false);
    expect((await flagState()).overrides).toHaveLength(2);
    const status = await agg([]);
    expect(status.stdout).toContain('ROLLED BACK');
    expect(status.stdout).toContain('allow list: 1');
    expect((await agg(['--rollback'])).stdout).toContain('already rolled back');
    clock += 1000;
    const reenabled = await agg(['--percent', '30']);
    expect(reenabled.stdout).toContain('re-enabled after a rollback: overrides apply again');
    const now = await usersIn();
    expect(now.has(outside)).toBe(true);
    expect(now.has(inside)).toBe(false);
    clock += 1000;
    await agg(['--clear-user', inside]);
    expect((await usersIn()).has(inside)).toBe(true);
  });

  it('records every change in the audit log: who, when, from → to, reason', async () => {
    clock = Date.parse('2025-07-01T10:00:00.000Z');
    await agg(['--percent', '10', '--reason', 'start'], { USER: 'alice' });
    clock = Date.parse('2025-07-02T10:00:00.000Z');
    await agg(['--percent', '25', '--actor', 'release-bot'], { USER: 'alice' });
    clock = Date.parse('2025-07-03T10:00:00.000Z');
    await agg(['--enable-user', 'vip-1', 'vip-2', '--allow-unknown'], { USER: 'carol' });
    clock = Date.parse('2025-07-04T10:00:00.000Z');
    await agg(['--rollback', '--reason', 'drift alarm'], { LOGNAME: 'dave' });
    const history = jsonOf<{ events: RolloutEvent[] }>(await agg(['--history', '--json']));
    expect(history.events.map((e) => [e.at, e.actor, e.action, e.fromBasisPoints, e.toBasisPoints, e.reason])).toEqual([
      ['2025-07-04T10:00:00.000Z', 'dave', 'rollback', 2500, 0, 'drift alarm'],
      ['2025-07-03T10:00:00.000Z', 'carol', 'overrides', 2500, 2500, null],
      ['2025-07-02T10:00:00.000Z', 'release-bot', 'set-percent', 1000, 2500, null],
      ['2025-07-01T10:00:00.000Z', 'alice', 'create', null, 1000, 'start'],
    ]);
    expect(history.events[1]!.details).toMatchObject({ allow: ['vip-1', 'vip-2'], deny: [], clear: [] });
    expect(history.events[3]!.details).toMatchObject({ change: 'grow', knownUsers: USERS.length });
    const table = await agg(['--history', '--limit', '2']);
    expect(table.stdout).toContain('audit log of flag precomputed_aggregations');
    expect(table.stdout).toMatch(/^2025-07-04 10:00\s+dave\s+rollback\s+25.00% → 0.00%\n  reason: drift alarm/m);
    expect(table.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    expect(table.stdout).not.toContain('release-bot');
  });

  it('refuses, with --require-validated, users whose aggregations are missing or whose latest validation failed', async () => {
    const store = harness.open();
    // Make every user ready: a clean validation and all 180 grid aggregations.
    const ready = async (userId: string) => {
      const { results } = computeAggregations({ records: records(userId), context: { asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC' }, filterSets: [...DEFAULT_GRID] });
      await store.upsertAggregations(
        results.map((r) => toAggregationWrite(r, { userId, asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC', computedAtMs: NOW, ttlMs: 3_600_000, recordCount: 2, computeMs: 1 })),
      );
      await store.putValidations([{ userId, runId: 'run-1', validatedAt: '2025-06-30T12:00:00.000Z', clean: true, counts: { match: 180 } }]);
    };
    try {
      await agg(['--percent', '5']);
      const { flag } = await flagState();
      const entering = USERS.filter((u) => {
        const bucket = rolloutBucket(flag!.flag, flag!.salt, u);
        return bucket >= 500 && bucket < 1500;
      });
      expect(entering.length).toBeGreaterThan(3);
      for (const userId of entering) await ready(userId);
      const [drifted, combo, unvalidated] = entering;
      await store.putValidations([{ userId: drifted!, runId: 'run-2', validatedAt: '2025-06-30T13:00:00.000Z', clean: false, counts: { match: 177, drift: 3 } }]);
      await store.recordFilterUse(combo!, canonicalFilters({ topics: ['Music'] }), '2025-06-29T00:00:00.000Z');
      await store.putValidations([{ userId: unvalidated!, runId: 'run-0', validatedAt: '2025-06-01T00:00:00.000Z', clean: true, counts: { match: 180 } }]);
      await store.deleteAggregations([{ userId: unvalidated!, aggregationType: 'kpi', filterHash: (await store.listDigests(unvalidated!))[0]!.filterHash }]);
      clock += 1000;
      const refused = await agg(['--percent', '15', '--require-validated', '--json']);
      expect(refused.code).toBe(1);
      const outcome = jsonOf<PercentJson>(refused);
      expect(outcome.kind).toBe('refused');
      expect(outcome.refusals!.map((r) => r.userId).sort()).toEqual([drifted, combo, unvalidated].sort());
      const reasons = new Map(outcome.refusals!.map((r) => [r.userId, r.reasons.join('; ')]));
      expect(reasons.get(drifted!)).toContain('latest validation (run run-2, 2025-06-30T13:00:00.000Z) not clean: drift 3');
      expect(reasons.get(combo!)).toContain('10 of 190 expected aggregations missing');
      expect(reasons.get(unvalidated!)).toContain('1 of 180 expected aggregations missing');
      expect((await flagState()).flag!.basisPoints).toBe(500);
      const table = await agg(['--percent', '15', '--require-validated']);
      expect(table.code).toBe(1);
      expect(table.stdout).toContain('refused by --require-validated: 3 entering users are not ready; nothing changed');
      // Fix them, and the gate opens.
      for (const userId of [drifted!, combo!, unvalidated!]) {
        await ready(userId);
        const custom = canonicalFilters({ topics: ['Music'] });
        const { results } = computeAggregations({ records: records(userId), context: { asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC' }, filterSets: [custom] });
        await store.upsertAggregations(results.map((r) => toAggregationWrite(r, { userId, asOf: '2025-06-30T00:00:00.000Z', timeZone: 'UTC', computedAtMs: NOW, ttlMs: 3_600_000, recordCount: 2, computeMs: 1 })));
      }
      const passed = await agg(['--percent', '15', '--require-validated']);
      expect(passed.code, passed.stdout + passed.stderr).toBe(0);
      expect((await flagState()).flag!.basisPoints).toBe(1500);
      expect((await flagState()).events[0]!.details).toMatchObject({ requireValidated: true, entering: entering.length });
    } finally {
      await store.close();
    }
    // Up to 190 aggregations for each of about ten users, each upsert a scan of convex-test's tables: ~25 s on 2 cores.
  }, 120_000);

  it('re-plans when someone else changed the flag meanwhile, and never applies a stale plan', async () => {
    await agg(['--percent', '10']);
    let interfered = false;
    const interfering = (store: Store): Store =>
      new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'applyFlagChange' || interfered) return typeof value === 'function' ? value.bind(target) : value;
          return async (...args: Parameters<Store['applyFlagChange']>) => {
            interfered = true;
            // Another operator raises the flag to 40 % between our read and our write.
            const current = (await target.getFlag('precomputed_aggregations'))!;
            const at = '2025-07-01T00:00:30.000Z';
            await target.applyFlagChange({
              flag: { ...current, basisPoints: 4000, updatedAt: at, updatedBy: 'mallory' },
              setOverrides: [],
              clearOverrides: [],
              event: { eventId: 'other', flag: current.flag, at, actor: 'mallory', action: 'set-percent', fromBasisPoints: 1000, toBasisPoints: 4000, reason: null, details: null },
              expectedUpdatedAt: current.updatedAt,
            });
            return target.applyFlagChange(...args);
          };
        },
      });
    clock += 60_000;
    // Our plan was 10 % → 30 % (grow); against 40 % it is a shrink, which needs --allow-shrink.
    const run = await harness.run(['rollout', '--percent', '30'], { now: () => clock, env: { USER: 'alice' }, wrap: interfering });
    expect(interfered).toBe(true);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('lowering precomputed_aggregations from 40.00% to 30.00%');
    const { flag, events } = await flagState();
    expect(flag!.basisPoints).toBe(4000);
    expect(events.map((e) => e.actor)).toEqual(['mallory', 'alice']);
  });

  it('refuses bad input with one line and exit 2, changing nothing', async () => {
    for (const [args, message] of [
      [['--percent', '101'], '--percent "101" must be a percentage from 0 to 100'],
      [['--percent', '12.345'], 'at most two decimals'],
      [['--percent', '-5'], '--percent "-5"'],
      [['--percent', '1e1'], '--percent "1e1"'],
      [['--percent', 'abc'], '--percent "abc"'],
      [['--percent', '10', '--rollback'], 'choose one of --percent, --rollback'],
      [['--rollback', '--allow-shrink'], '--allow-shrink only goes with --percent'],
      [['--enable-user', 'a', '--disable-user', 'a'], 'user a is named by more than one'],
      [['--flag', 'bad flag!'], '--flag "bad flag!" is not a flag name'],
      [['--history', '--limit', '0'], '--limit "0"'],
      [['--rollback'], 'flag precomputed_aggregations does not exist'],
    ] as const) {
      const run = await agg([...args]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      const errors = run.stderr.split('\n').filter((line) => line.startsWith('agg: ') && !line.startsWith('agg: using'));
      expect(errors, args.join(' ')).toHaveLength(1);
      expect(errors[0]).toContain(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await flagState()).flag).toBeNull();
  });
});

describe('agg rollout over ConvexStore when an answer is lost after the change committed', () => {
  it('retries with the same event id and records the change exactly once', async () => {
    const t = makeTestConvex();
    const inner = testCaller(t);
    let lost = 0;
    const caller = {
      query: inner.query,
      mutation: async (name: string, args: Record<string, unknown>) => {
        const answer = await inner.mutation(name, args);
        if (name === 'rollout:applyChange' && lost === 0) {
          lost++;
          throw new StoreError('connection reset after the mutation committed', 'transient');
        }
        return answer;
      },
    };
    const run = await runAgg(['rollout', '--percent', '20', '--actor', 'ci', '--json'], { openStore: () => makeConvexTestStore(t, caller) });
    expect(run.code, run.stderr).toBe(0);
    expect(lost).toBe(1);
    // The retry found its own event: applied (not re-planned into "already at 20 %").
    expect(jsonOf(run)).toMatchObject({ kind: 'applied' });
    const store = makeConvexTestStore(t);
    expect(await store.listFlagEvents('precomputed_aggregations', 10)).toHaveLength(1);
    expect((await store.getFlag('precomputed_aggregations'))!.basisPoints).toBe(2000);
  });
});
