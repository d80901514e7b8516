import type { AggregationType } from '../core/aggregations/definition.js';
import { DEFAULT_GRID, filterHash } from '../core/filters.js';
import { REGISTRY } from '../core/registry.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { AggregationDigest, GridFreshnessFloor, RefreshItem } from '../store/types.js';
import type { Store } from '../store/store.js';
import { compareUserIds } from './selection.js';
import { yieldIfBusy } from '../runtime/yield.js';
import { paginate } from '../store/paginate.js';
import { aggregationKeyString } from './user-data.js';

// The cron tick's second job: keep served results from expiring when nothing about them changed.
// A result still computed from the user's current records (its revision) is renewed: expiresAt moves,
// nothing is recomputed, many rows per call. One that reached its maxAge, is of an older algorithm
// version, or has no revision is recomputed instead, that result alone (which writes nothing but its
// new expiresAt when the data is equal): the user's other results are not due and stay as they are.
// The store checks the revision in the same transaction as the renewal, so a change that lands
// meanwhile is never papered over; such rows' users are recomputed in full, as are users whose
// default grid is incomplete or stale (the safety net).

export interface RenewalPolicy {
  readonly types: readonly AggregationType[];
  readonly byType: Readonly<Record<AggregationType, { readonly ttlMs: number; readonly maxAgeMs: number; readonly refreshThresholdMs: number }>>;
  /** How often the tick runs: what expires before the next tick (plus the threshold) is due now. */
  readonly tickIntervalMs: number;
}

export interface RenewalOutcome {
  /** Rows found due (within their type's window). */
  readonly due: number;
  /** Rows renewed (or, in a dry run, that would be). */
  readonly renewed: number;
  /**
   * Users to recompute, by id: `keys` the results (aggregationKeyString) due past their maxAge, outdated
   * or without a revision, to recompute alone; null to recompute the user in full (a row changed
   * meanwhile, or a stale default grid).
   */
  readonly recompute: ReadonlyMap<string, readonly string[] | null>;
  /** Of the users to recompute: those only for some of their results. */
  readonly partialUsers: number;
  /** Results to recompute alone (the keys of the partial users). */
  readonly resultsDue: number;
  /** Users whose gridFreshUntil was raised after their renewals. */
  readonly gridRaised: number;
  /** Users recomputed in full because their default grid was incomplete or would go stale before the next tick. */
  readonly staleGrids: ReadonlySet<string>;
}

/** Due rows renewed per round of store calls (the store splits each round into calls within its limits). */
const RENEW_ROUND = 2000;

const GRID_HASHES: ReadonlySet<string> = new Set(DEFAULT_GRID.map(filterHash));

export interface RenewalEnvironment {
  readonly store: Store;
  readonly now: number;
  readonly dryRun: boolean;
  /** Stop between rounds when this is set (an interrupted run). */
  readonly stopped?: () => boolean;
}

/** What to do with one due row: renew it to this instant, or recompute its user. */
export function planRow(digest: AggregationDigest, policy: RenewalPolicy, now: number): { renewTo: string } | { recompute: string } | null {
  const freshness = policy.byType[digest.aggregationType];
  const cutoff = now + freshness.refreshThresholdMs + policy.tickIntervalMs;
  if (Date.parse(digest.expiresAt) >= cutoff) return null;
  if (digest.version !== REGISTRY[digest.aggregationType].version) return { recompute: 'outdated' };
  if (!digest.recordsRevision) return { recompute: 'no revision' };
  // A renewal never carries a result past its maxAge: from then on only a recomputation will do.
  const renewTo = Math.min(now + freshness.ttlMs, Date.parse(digest.computedAt) + freshness.maxAgeMs);
  if (renewTo <= cutoff) return { recompute: 'max age' };
  return { renewTo: formatIsoInstant(renewTo) };
}

export async function renewExpiring(policy: RenewalPolicy, env: RenewalEnvironment): Promise<RenewalOutcome> {
  const { store, now } = env;
  const inScope = new Set<string>(policy.types);
  const cutoffs = policy.types.map((type) => now + policy.byType[type].refreshThresholdMs + policy.tickIntervalMs);
  if (cutoffs.length === 0) return { due: 0, renewed: 0, recompute: new Map(), partialUsers: 0, resultsDue: 0, gridRaised: 0, staleGrids: new Set() };
  const before = formatIsoInstant(Math.max(...cutoffs));
  /** Users to recompute in full. */
  const whole = new Set<string>();
  /** Users with some results to recompute alone, and those results. */
  const some = new Map<string, Set<string>>();
  const recomputing = (userId: string): boolean => whole.has(userId) || some.has(userId);
  /** Users with a default-grid row renewed: their gridFreshUntil can be raised afterwards. */
  const gridRenewed = new Set<string>();
  let due = 0;
  let renewed = 0;
  let round: RefreshItem[] = [];

  const flush = async (): Promise<void> => {
    const items = round;
    round = [];
    if (items.length === 0) return;
    if (env.dryRun) {
      renewed += items.length;
      return;
    }
    const outcome = await store.refreshAggregations(items);
    renewed += outcome.refreshed;
    for (const key of outcome.mismatched) whole.add(key.userId);
  };

  let cursor: string | null = null;
  for (;;) {
    if (env.stopped?.()) break;
    const page = await store.pageExpired(before, { cursor });
    for (const digest of page.items) {
      if (!inScope.has(digest.aggregationType)) continue;
      const plan = planRow(digest, policy, now);
      if (plan === null) continue;
      due++;
      if ('recompute' in plan) {
        const keys = some.get(digest.userId) ?? new Set<string>();
        keys.add(aggregationKeyString(digest));
        some.set(digest.userId, keys);
        continue;
      }
      round.push({
        userId: digest.userId,
        aggregationType: digest.aggregationType,
        filterHash: digest.filterHash,
        version: digest.version,
        dataHash: digest.dataHash,
        expiresAt: plan.renewTo,
        storedBytes: digest.metadata.bytes,
        renewal: true,
      });
      if (GRID_HASHES.has(digest.filterHash)) gridRenewed.add(digest.userId);
    }
    if (round.length >= RENEW_ROUND) await flush();
    await yieldIfBusy();
    if (page.isDone) break;
    cursor = page.cursor;
  }
  await flush();

  // Every default-grid row not renewed now expires after its type's cutoff (or was due and its user
  // is recomputed), and every renewed one later still: the earliest cutoff is a floor for the user.
  let gridRaised = 0;
  const staleGrids = new Set<string>();
  const floor = formatIsoInstant(Math.min(...cutoffs));
  const wholeGrid = policy.types.length === Object.keys(policy.byType).length;
  // A recomputed user's grid freshness is set by its recomputation, from what is stored then.
  const floors: GridFreshnessFloor[] = [...gridRenewed].filter((userId) => !recomputing(userId)).map((userId) => ({ userId, atLeast: floor }));
  const stale = (userId: string): void => {
    whole.add(userId);
    staleGrids.add(userId);
  };
  if (!env.dryRun && floors.length > 0 && wholeGrid) {
    const outcome = await store.raiseGridFreshness(floors, formatIsoInstant(now));
    gridRaised = outcome.raised;
    // A user whose grid was already stale (a row missing or expired) gets an exact recomputation.
    for (const userId of outcome.refused) stale(userId);
  }
  // A dry run raises nothing: it takes the users the raise would take as raised, refusing as the store would.
  const wouldRaise = env.dryRun ? new Set(floors.map((entry) => entry.userId)) : new Set<string>();
  const nowIso = formatIsoInstant(now);
  // The safety net: a user whose default grid is incomplete or goes stale before the next tick
  // (results deleted by a cleanup, a tick that did not run for hours, a partial backfill) is
  // recomputed, whatever its rows said. One paged walk of the users, a call per thousand; it also
  // tells which of the users to recompute still exist. A dry run walks too, to plan them.
  let existing: Set<string> | null = null;
  if (wholeGrid) {
    const seen = new Set<string>();
    let complete = true;
    for await (const user of paginate((page) => store.listUsers(page))) {
      if (env.stopped?.()) {
        complete = false;
        break;
      }
      const freshUntil = user.gridFreshUntil;
      if (whole.has(user.userId)) seen.add(user.userId);
      else if (wouldRaise.has(user.userId)) {
        if (freshUntil === null || freshUntil < nowIso) {
          stale(user.userId);
          seen.add(user.userId);
        }
      } else if (freshUntil === null || (freshUntil < floor && !some.has(user.userId))) {
        // An incomplete grid needs its missing rows; a user with results due recomputes those, which
        // are the ones its gridFreshUntil stands for, and its freshness is set again from the store.
        stale(user.userId);
        seen.add(user.userId);
      } else if (some.has(user.userId)) seen.add(user.userId);
    }
    if (complete) existing = seen;
  }

  // Results of users whose records are gone are orphans for cleanup, not users to recompute.
  const recompute = new Map<string, readonly string[] | null>();
  let resultsDue = 0;
  for (const userId of [...new Set([...whole, ...some.keys()])].sort(compareUserIds)) {
    if (!(existing ? existing.has(userId) : (await store.getUser(userId)) !== null)) continue;
    const keys = whole.has(userId) ? null : [...some.get(userId)!].sort();
    recompute.set(userId, keys);
    resultsDue += keys?.length ?? 0;
  }
  const partialUsers = [...recompute.values()].filter((keys) => keys !== null).length;
  return { due, renewed, recompute, partialUsers, resultsDue, gridRaised, staleGrids };
}
