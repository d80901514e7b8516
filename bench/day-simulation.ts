// A day (or a few hours) of the README's cron loop on an injected clock: `agg backfill --changed`
// every 15 minutes, some users changing records every hour. After each tick it checks what the app
// would see until the next one: every default-grid result of every user stored, of the current
// version and unexpired, and the user eligible under requireFreshGrid. Shared by the test (a few
// hours on both stores) and the bench (a day, with the write counts).
import { AGGREGATION_TYPES } from '../src/core/aggregations/definition.js';
import { DEFAULT_GRID, filterHash } from '../src/core/filters.js';
import type { InputRecord } from '../src/core/record.js';
import { REGISTRY } from '../src/core/registry.js';
import { formatIsoInstant } from '../src/core/time/iso.js';
import type { Store } from '../src/store/store.js';
import { runAgg } from '../test/support/cli.js';
import { generateUsers } from '../fixtures/generator.js';

export interface DayOptions {
  readonly openStore: () => Store;
  readonly users: number;
  readonly records: number;
  readonly hours: number;
  /** Users (the first ones) that get new records every hour. */
  readonly changingUsers: number;
  readonly start?: number;
  readonly tickMs?: number;
  /** Called before tick `i` runs: what else happens to the store meanwhile (a cleanup, an accident). */
  readonly before?: (tick: number, store: Store) => Promise<void>;
}

export interface TickFigures {
  readonly at: string;
  /** Users the tick recomputed (in full, or only their results due for age). */
  readonly usersRecomputed: number;
  /** Of them: users recomputed in full (for a change, or a stale default grid). */
  readonly usersInFull: number;
  /** Of them: users recomputed only for their results due for age, and those results. */
  readonly usersForAge: number;
  readonly resultsForAge: number;
  /** Of the users recomputed in full: those without a change, for a stale or incomplete default grid. */
  readonly staleGrids: number;
  /** Results computed by the tick (recomputed, whether written or found equal). */
  readonly resultsComputed: number;
  /** Rows written with new data. */
  readonly written: number;
  /** Rows recomputed and found equal: only expiresAt, revision and computedAt patched. */
  readonly verified: number;
  /** Rows renewed without recomputation: only expiresAt patched. */
  readonly renewed: number;
  readonly storeCalls: number;
}

export interface DayOutcome {
  readonly ticks: TickFigures[];
  /** (tick, user, problem) where the app would not be served until the next tick. */
  readonly gaps: string[];
  /** The full backfill before the first tick. */
  readonly initial: { readonly written: number; readonly storeCalls: number };
  readonly recordChanges: number;
}

const GRID = new Set(DEFAULT_GRID.map(filterHash));
const GRID_KEYS = DEFAULT_GRID.length * AGGREGATION_TYPES.length;

async function withStore<T>(open: () => Store, work: (store: Store) => Promise<T>): Promise<T> {
  const store = open();
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** What the app would be served from now until `until`: problems per user, none when all is well. */
async function servingGaps(store: Store, userIds: readonly string[], until: number): Promise<string[]> {
  const gaps: string[] = [];
  const horizon = formatIsoInstant(until);
  for (const userId of userIds) {
    const grid = (await store.listDigests(userId)).filter((digest) => GRID.has(digest.filterHash));
    const expiring = grid.filter((digest) => digest.expiresAt <= horizon || digest.version !== REGISTRY[digest.aggregationType].version);
    if (grid.length < GRID_KEYS) gaps.push(`${userId}: ${GRID_KEYS - grid.length} grid results missing`);
    if (expiring.length > 0) gaps.push(`${userId}: ${expiring.length} results expire before the next tick (first ${expiring[0]!.aggregationType} at ${expiring[0]!.expiresAt})`);
    const user = await store.getUser(userId);
    if (!user?.gridFreshUntil || user.gridFreshUntil <= horizon) gaps.push(`${userId}: not eligible under requireFreshGrid (gridFreshUntil ${user?.gridFreshUntil ?? 'null'})`);
  }
  return gaps;
}

interface BackfillJson {
  users: { total: number };
  results: number;
  written: number;
  unchanged: number;
  refreshed: number;
  renewal: { renewed: number; forAge: number; resultsForAge: number; staleGrids: number } | null;
  storeCalls: number;
}

export async function simulateDay(options: DayOptions): Promise<DayOutcome> {
  const tickMs = options.tickMs ?? 15 * 60_000;
  const start = options.start ?? Date.parse('2025-07-01T00:00:00.000Z');
  const users = [...generateUsers({ users: options.users, records: options.records, seed: 'day' })];
  const ids = users.map((user) => user.userId);
  const agg = async (args: string[], now: number): Promise<BackfillJson> => {
    const run = await runAgg([...args, '--json'], { openStore: options.openStore, now: () => now });
    if (run.code !== 0) throw new Error(`agg ${args.join(' ')} exited ${run.code}: ${run.stderr.trim()}`);
    return JSON.parse(run.stdout) as BackfillJson;
  };

  await withStore(options.openStore, async (store) => {
    for (const user of users) {
      await store.putRecords({ userId: user.userId, records: user.records, change: { changeId: `seed:${user.userId}`, changeType: 'import', at: formatIsoInstant(start - 3_600_000) } });
    }
  });
  const initial = await agg(['backfill', '--all'], start);

  const ticks: TickFigures[] = [];
  const gaps: string[] = [];
  let recordChanges = 0;
  const tickCount = Math.round((options.hours * 3_600_000) / tickMs);
  for (let i = 1; i <= tickCount; i++) {
    const now = start + i * tickMs;
    if ((now - start) % 3_600_000 === 0) {
      // The app ingests a few new watches of the changing users, as its own mutations would.
      await withStore(options.openStore, async (store) => {
        for (const user of users.slice(0, options.changingUsers)) {
          const fresh: InputRecord[] = [0, 1, 2].map((k) => ({
            id: `${user.userId}-live-${i}-${k}`,
            watchedAt: formatIsoInstant(now - (3 - k) * 60_000),
            channelTitle: `Channel ${k}`,
            videoTitle: `Live video ${i}.${k}`,
          }));
          await store.putRecords({ userId: user.userId, records: fresh, change: { changeId: `live:${user.userId}:${i}`, changeType: 'import', at: formatIsoInstant(now - 60_000) } });
          recordChanges += fresh.length;
        }
      });
    }
    if (options.before) await withStore(options.openStore, (store) => options.before!(i, store));
    const tick = await agg(['backfill', '--changed'], now);
    ticks.push({
      at: formatIsoInstant(now),
      usersRecomputed: tick.users.total,
      usersInFull: tick.users.total - (tick.renewal?.forAge ?? 0),
      usersForAge: tick.renewal?.forAge ?? 0,
      resultsForAge: tick.renewal?.resultsForAge ?? 0,
      staleGrids: tick.renewal?.staleGrids ?? 0,
      resultsComputed: tick.results,
      written: tick.written,
      verified: tick.refreshed,
      renewed: tick.renewal?.renewed ?? 0,
      storeCalls: tick.storeCalls,
    });
    const found = await withStore(options.openStore, (store) => servingGaps(store, ids, now + tickMs));
    gaps.push(...found.map((gap) => `tick ${i} (${formatIsoInstant(now)}): ${gap}`));
  }
  return { ticks, gaps, initial: { written: initial.written, storeCalls: initial.storeCalls }, recordChanges };
}
