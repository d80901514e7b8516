// `npm run bench:day`: a day of the README's cron loop (backfill --changed every 15 minutes) on an
// injected clock, some users getting new records every hour, on the embedded store and on ConvexStore
// against the agg component on convex-test (smaller: convex-test scans a table for an indexed read). Prints, per store, the store writes of the day by kind against the
// changes that caused them, and whether any served result would have expired between two ticks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { makeConvexTestStore, makeTestConvex } from '../test/support/convex-test-store.js';
import { type DayOutcome, simulateDay } from './day-simulation.js';

const HOURS = Number(process.env.AGG_BENCH_HOURS ?? 24);

interface Population {
  readonly users: number;
  readonly records: number;
  readonly changing: number;
}

const n = (value: number): string => Math.round(value).toLocaleString('en-US');

function report(name: string, { users: USERS, records: RECORDS, changing: CHANGING }: Population, day: DayOutcome, ms: number): void {
  const sum = (pick: (tick: DayOutcome['ticks'][number]) => number) => day.ticks.reduce((total, tick) => total + pick(tick), 0);
  const written = sum((t) => t.written);
  const verified = sum((t) => t.verified);
  const renewed = sum((t) => t.renewed);
  const calls = sum((t) => t.storeCalls);
  const recomputedUsers = sum((t) => t.usersRecomputed);
  const inFull = sum((t) => t.usersInFull);
  const stale = sum((t) => t.staleGrids);
  const forAge = sum((t) => t.usersForAge);
  const computed = sum((t) => t.resultsComputed);
  const rows = USERS * 180;
  console.log(`\n${name}: ${USERS} users × ${RECORDS} records (${n(rows)} grid results), ${CHANGING} users changing every hour, ${HOURS} h of 15-minute ticks (${day.ticks.length} ticks); in-process: every tick is an agg run through the CLI entry in this process, ${(ms / 1000).toFixed(1)} s of wall time in all`);
  console.log(`  initial backfill --all: ${n(day.initial.written)} rows written, ${n(day.initial.storeCalls)} store calls`);
  console.log(`  record changes: ${n(day.recordChanges)} new records in ${n((HOURS * CHANGING))} user-hours`);
  console.log(`  users recomputed in full:          ${n(inFull)} (${n(inFull - stale)} for a change, ${n(stale)} for a stale grid); ${n(forAge)} more only for their results due for age (${n(sum((t) => t.resultsForAge))} results)`);
  console.log(`  results computed:                  ${n(computed)} (${(computed / day.ticks.length).toFixed(1)} per tick; a user's grid is 180)`);
  console.log(`  per tick, users in full + for age / results computed: ${day.ticks.map((t) => `${t.usersInFull}+${t.usersForAge}/${t.resultsComputed}`).join(' ')}`);
  console.log(`  rows written with new data:        ${n(written)} (${(written / Math.max(1, HOURS * CHANGING)).toFixed(1)} per changed user-hour; the store holds ${n(rows)})`);
  console.log(`  rows recomputed, equal (patched):  ${n(verified)}`);
  console.log(`  rows renewed, no recomputation:    ${n(renewed)} (${(renewed / rows).toFixed(1)} per stored result per day)`);
  // Not waste but arithmetic: a result renewed 15 minutes ago has 15 left, less than its 5-minute
  // threshold plus the 15 minutes to the next tick.
  console.log(`    (the 30-minute types, top_channels and topics_leaderboard, are due at every 15-minute tick: inherent in a 30m TTL with a 5m refreshThreshold under a 15m schedule)`);
  console.log(`  store calls of the ticks:          ${n(calls)} (${(calls / day.ticks.length).toFixed(1)} per tick; ${((calls / Math.max(1, renewed + verified + written)) * 1000).toFixed(1)} per 1,000 rows touched)`);
  console.log(`  served results that would have expired between ticks: ${day.gaps.length}${day.gaps.length ? ` (first: ${day.gaps[0]})` : ''}`);
  if (day.gaps.length > 0) process.exitCode = 1;
}

async function run(name: string, population: Population, openStore: () => Store, cleanup: () => Promise<void>): Promise<void> {
  const started = performance.now();
  try {
    const day = await simulateDay({ openStore, users: population.users, records: population.records, hours: HOURS, changingUsers: population.changing });
    report(name, population, day, performance.now() - started);
  } finally {
    await cleanup();
  }
}

if (process.env.AGG_BENCH_ONLY !== 'convex') {
  const dir = mkdtempSync(join(tmpdir(), 'agg-day-'));
  const population = { users: Number(process.env.AGG_BENCH_USERS ?? 40), records: Number(process.env.AGG_BENCH_RECORDS ?? 300), changing: 4 };
  await run('embedded store', population, () => SqliteStore.open(dir), async () => rmSync(dir, { recursive: true, force: true }));
}
if (process.env.AGG_BENCH_ONLY !== 'embedded') {
  const convex = makeTestConvex();
  await run('ConvexStore on the agg component (convex-test, transaction limits on)', { users: 8, records: 100, changing: 2 }, () => makeConvexTestStore(convex), async () => undefined);
}
