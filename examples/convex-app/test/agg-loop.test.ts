/// <reference types="vite/client" />
// The example app's own suite, as a team that installed agg would write it: the app's functions on
// convex-test with the agg component registered (`registerAgg` from agg/test), and the whole loop
// against the real CLI through a loopback deployment that runs this same app: ingest → agg backfill
// --changed → the app's query serves the signed-in user's stored result → rollout and rollback
// change what it serves.
import { convexTest } from 'convex-test';
import { registerAgg } from 'agg/test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, internal } from '../convex/_generated/api.js';
import schema from '../convex/schema.js';
import { aggIn } from '../../../test/support/agg-deployment.js';
import { type LoopbackHarness, startHarness } from '../../../test/support/loopback-harness.js';

const modules = import.meta.glob('../convex/**/*.*s');

/** A Convex Auth identity: the subject is `userId|sessionId`. */
const signedIn = (userId: string) => ({ subject: `${userId}|session-1`, issuer: 'https://example.convex.site' });

function events(count: number, prefix: string, start = Date.parse('2026-11-01T08:00:00.000Z')) {
  return Array.from({ length: count }, (_, i) => ({
    eventId: `${prefix}-${i}`,
    watchedAt: new Date(start + i * 37 * 60_000).toISOString(),
    videoId: `v${i % 7}`,
    title: `Video ${i % 7}`,
    channel: `Channel ${i % 3}`,
    music: i % 5 === 0,
  }));
}

function makeApp() {
  const t = convexTest({ schema, modules, transactionLimits: true });
  registerAgg(t);
  return t;
}

describe('the example app with agg installed (convex-test, registerAgg)', () => {
  it('mirrors its ingestion into agg in the same transaction, with the change-log entry backfill reads', async () => {
    const t = makeApp();
    const alice = t.withIdentity(signedIn('alice'));
    expect(await alice.mutation(api.watches.ingest, { events: events(12, 'a') })).toEqual({ inserted: 12, updated: 0, unchanged: 0, deleted: 0 });
    // The same events again change nothing; an edited one is an update.
    expect(await alice.mutation(api.watches.ingest, { events: events(12, 'a') })).toEqual({ inserted: 0, updated: 0, unchanged: 12, deleted: 0 });
    expect(await alice.mutation(api.watches.ingest, { events: [{ ...events(1, 'a')[0]!, title: 'Renamed' }] })).toMatchObject({ updated: 1 });
    expect(await alice.mutation(api.watches.remove, { eventIds: ['a-11', 'nope'] })).toBe(1);

    const agg = aggIn(t);
    const users = await agg.query('records:listUsers', { paginationOpts: { numItems: 10, cursor: null } });
    expect(users.page).toEqual([expect.objectContaining({ userId: 'alice', recordCount: 11 })]);
    const log = await agg.run((ctx) => ctx.db.query('data_change_log').collect());
    expect(log.map((entry) => [entry.userId, entry.changeType, entry.processed])).toEqual(
      expect.arrayContaining([
        ['alice', 'import', false],
        ['alice', 'delete', false],
      ]),
    );
    // The app's tables and agg's are apart: the app holds its 11 rows, agg its 11 records.
    expect(await t.run((ctx) => ctx.db.query('watch_events').collect())).toHaveLength(11);
    expect(await agg.run((ctx) => ctx.db.query('watch_records').collect())).toHaveLength(11);
  });

  it('refuses an oversize batch with the limit named, and writes nothing of it', async () => {
    const t = makeApp();
    await expect(t.withIdentity(signedIn('alice')).mutation(api.watches.ingest, { events: events(1001, 'big') })).rejects.toThrow(
      'agg: 1001 records in one call; at most 1000 per call (split the batch)',
    );
    expect(await t.run((ctx) => ctx.db.query('watch_events').collect())).toEqual([]);
    expect(await aggIn(t).run((ctx) => ctx.db.query('watch_records').collect())).toEqual([]);
  });

  it('brings watches the app held before installing agg into agg with one batch loop, idempotently', async () => {
    vi.useFakeTimers();
    try {
      const t = makeApp();
      await t.run(async (ctx) => {
        for (const userId of ['u1', 'u2', 'u3']) for (const event of events(170, userId)) await ctx.db.insert('watch_events', { userId, ...event });
      });
      await t.mutation(internal.syncExisting.run, { pageSize: 100 });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      const agg = aggIn(t);
      const listed = await agg.query('records:listUsers', { paginationOpts: { numItems: 10, cursor: null } });
      expect(listed.page.map((user: { userId: string; recordCount: number }) => [user.userId, user.recordCount])).toEqual([
        ['u1', 170],
        ['u2', 170],
        ['u3', 170],
      ]);
      // A second pass changes nothing and logs nothing new.
      const entries = (await agg.run((ctx) => ctx.db.query('data_change_log').collect())).length;
      await t.mutation(internal.syncExisting.run, { pageSize: 100 });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      expect(await agg.run((ctx) => ctx.db.query('data_change_log').collect())).toHaveLength(entries);
      // A page larger than one recordWatches call may take is refused before anything is read.
      await expect(t.mutation(internal.syncExisting.run, { pageSize: 1001 })).rejects.toThrow('syncExisting: pageSize must be a whole number from 1 to 1000, not 1001');
    } finally {
      vi.useRealTimers();
    }
  });

  it('forgets a user on request: the app\'s rows and everything agg holds, in scheduled steps', async () => {
    vi.useFakeTimers();
    try {
      const t = makeApp();
      const alice = t.withIdentity(signedIn('alice'));
      await alice.mutation(api.watches.ingest, { events: events(900, 'a') });
      await alice.mutation(api.watches.ingest, { events: events(700, 'b') });
      await t.withIdentity(signedIn('bob')).mutation(api.watches.ingest, { events: events(5, 'b') });
      await alice.mutation(api.analytics.filtersUsed, { filters: { timeframe: 'YTD' } });
      await alice.mutation(api.watches.forgetMe, {});
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      const agg = aggIn(t);
      for (const table of ['watch_records', 'user_stats', 'data_change_log', 'filter_combinations'] as const) {
        const rows = await agg.run((ctx) => ctx.db.query(table).collect());
        expect(rows.map((row) => (row as { userId: string }).userId).filter((id) => id === 'alice'), table).toEqual([]);
      }
      expect(await agg.query('records:getUser', { userId: 'bob' })).toMatchObject({ recordCount: 5 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the whole loop: the app, agg backfill --changed over HTTP, the app serving', () => {
  const harnesses: LoopbackHarness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.close()));
  });

  it('serves the signed-in user their stored result, nobody else\'s, and follows rollout and rollback', async () => {
    const h = await startHarness({ app: { schema, modules } });
    harnesses.push(h);
    const now = () => Date.now();
    const app = h.server.app;
    const alice = app.withIdentity(signedIn('alice'));
    const bob = app.withIdentity(signedIn('bob'));
    await alice.mutation(api.watches.ingest, { events: events(30, 'a') });
    await bob.mutation(api.watches.ingest, { events: events(4, 'b') });
    await alice.mutation(api.analytics.filtersUsed, { filters: { product: 'YouTube Music' } });

    const backfill = await h.agg(['backfill', '--changed', '--json'], { now });
    expect(backfill.code, backfill.stderr).toBe(0);
    expect(JSON.parse(backfill.stdout)).toMatchObject({ users: { total: 2, done: 2, failed: 0 } });
    expect(backfill.stderr).toContain('component agg');

    // Stored, but nobody is rolled out yet: the app computes itself.
    expect(await alice.query(api.analytics.get, { type: 'kpi' })).toBeNull();
    expect(await alice.query(api.analytics.rolledOut, {})).toBe(false);

    expect((await h.agg(['rollout', '--percent', '100', '--reason', 'example'], { now })).code).toBe(0);
    const served = await alice.query(api.analytics.get, { type: 'kpi' });
    expect(served).toMatchObject({ type: 'kpi', version: 1, timeZone: 'UTC', data: expect.objectContaining({ totalVideos: 30 }) });
    expect((await bob.query(api.analytics.get, { type: 'kpi' }))?.data).toMatchObject({ totalVideos: 4 });
    // The filter set alice used is computed too; nobody signed in is served nothing.
    expect(await alice.query(api.analytics.get, { type: 'top_channels', filters: { product: 'YouTube Music' } })).toMatchObject({ data: expect.any(Array) });
    expect(await app.query(api.analytics.get, { type: 'kpi' })).toBeNull();
    // A user the app knows but agg has no results for gets null, never someone else's.
    expect(await app.withIdentity(signedIn('carol')).query(api.analytics.get, { type: 'kpi' })).toBeNull();

    // New watches: the next cron tick picks alice up, and only her.
    await alice.mutation(api.watches.ingest, { events: events(5, 'late', Date.parse('2026-11-20T10:00:00.000Z')) });
    const tick = await h.agg(['backfill', '--changed', '--json'], { now });
    expect(JSON.parse(tick.stdout)).toMatchObject({ users: { total: 1, done: 1 } });
    expect((await alice.query(api.analytics.get, { type: 'kpi' }))?.data).toMatchObject({ totalVideos: 35 });

    expect((await h.agg(['rollout', '--rollback', '--reason', 'bad numbers'], { now })).code).toBe(0);
    expect(await alice.query(api.analytics.get, { type: 'kpi' })).toBeNull();
    expect(await alice.query(api.analytics.rolledOut, {})).toBe(false);

    // validate agrees with what is stored.
    const validate = await h.agg(['validate', '--all', '--format', 'json'], { now });
    expect(validate.code, validate.stderr).toBe(0);
  });
});
