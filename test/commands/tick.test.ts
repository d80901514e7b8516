import { describe, expect, it } from 'vitest';
import { simulateDay } from '../../bench/day-simulation.js';
import { ADAPTER_FACTORIES } from '../support/store-fixtures.js';

// The README's cron loop keeps every served result fresh: backfill --changed every 15 minutes renews
// what is about to expire and recomputes what changed or grew too old, and the writes follow the
// changes, not the size of the store.
describe.each(ADAPTER_FACTORIES)('the cron tick on the %s', (_name, make) => {
  it('keeps every user served for five hours of 15-minute ticks, recomputing only changed users and results past maxAge', async () => {
    const harness = make();
    const day = await simulateDay({
      openStore: () => harness.openStore(),
      users: 5,
      records: 60,
      hours: 5,
      changingUsers: 2,
      // Before tick 7 every result of user-005 is gone (a careless cleanup): that tick must bring them back.
      before: async (tick, store) => {
        if (tick === 7) expect((await store.deleteAggregations(await store.listDigests('user-005'))).deleted).toBe(180);
      },
    });
    expect(day.gaps).toEqual([]);
    const hourly = day.ticks.filter((tick) => tick.at.endsWith(':00:00.000Z'));
    const recovery = day.ticks[6]!; // tick 7, 01:45
    expect(recovery).toMatchObject({ at: '2025-07-01T01:45:00.000Z', written: 180 });
    const between = day.ticks.filter((tick) => !tick.at.endsWith(':00:00.000Z') && tick !== recovery);
    // On the hour, the two changed users are recomputed in full, and write only what their new records changed.
    for (const tick of hourly) expect(tick.usersInFull).toBe(2);
    // The deleted grid is the safety net's: that user alone is recomputed in full.
    expect(recovery).toMatchObject({ usersInFull: 1, staleGrids: 1 });
    for (const tick of hourly) expect(tick.written).toBeGreaterThan(0);
    // In between nothing changes: no data is written; results are renewed, or recomputed past maxAge
    // and found equal: those results alone, never their users' every type and filter set.
    for (const tick of between) expect(tick).toMatchObject({ written: 0, usersInFull: 0, resultsComputed: tick.resultsForAge });
    const forAge = between.filter((tick) => tick.usersForAge > 0);
    expect(forAge.length).toBeGreaterThan(0);
    for (const tick of forAge) expect(tick.resultsComputed).toBeLessThanOrEqual(180 * tick.usersForAge);
    // Each result is recomputed for age about once per maxAge (1h, 2h or 4h by type: 90 results an hour
    // of a user's 180), not with its whole user whenever one of its types comes due.
    const ageComputed = day.ticks.reduce((n, tick) => n + tick.resultsForAge, 0);
    expect(ageComputed).toBeLessThan(5 * 5 * 100);
    const renewed = day.ticks.reduce((n, tick) => n + tick.renewed, 0);
    expect(renewed).toBeGreaterThan(0);
    // Data writes: the changed users' results only, never the whole store again.
    const written = day.ticks.reduce((n, tick) => n + tick.written, 0);
    expect(written).toBeLessThan(day.initial.written * 2);
  }, 180_000);
});
