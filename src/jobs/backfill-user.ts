import pLimit from 'p-limit';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { earliestInstant } from '../core/eligibility.js';
import { REGISTRY } from '../core/registry.js';
import { iterateAggregations, type AggregationResult } from '../core/compute.js';
import { type Dataset, DatasetBuilder } from '../core/dataset.js';
import { DEFAULT_GRID, type Filters, filterHash } from '../core/filters.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { toAggregationWrite } from '../store/aggregation-write.js';
import { yieldIfBusy } from '../runtime/yield.js';
import type { AggregationWrite, ChangeVersion, RefreshItem } from '../store/types.js';
import type { Store } from '../store/store.js';
import { readConsistently } from './consistent-records.js';
import { collectGarbageIfGrown } from '../runtime/heap.js';
import { StoppedMidUser } from './runner.js';
import { type RenewalPolicy, planRow } from './renewal.js';
import { NO_DATED_RECORDS_AS_OF, aggregationKeyString, userFilterSets } from './user-data.js';

export interface BackfillSpec {
  readonly types: readonly AggregationType[];
  /** The grid every user gets, before their own filter combinations. */
  readonly grid: readonly Filters[];
  /** Null: each user's newest watchedAt. */
  readonly asOf: string | null;
  readonly timeZone: string;
  /** Rewrite results even when version and data are unchanged. */
  readonly force: boolean;
  /**
   * Only these results (by aggregationKeyString), each rewritten in full (`force`: stored data differs
   * though its hash may not) or recomputed (written when it differs): a repair, or the tick's results
   * due for age. A repair's change-log entries are marked processed only if the records are still at
   * `revision`, the one the validation saw: then every other result in scope was found matching them.
   * Without `revision` (the tick's age recomputation) nothing is marked: the other results were not
   * looked at.
   */
  readonly only?: { readonly keys: ReadonlyMap<string, 'force' | 'recompute'>; readonly revision?: string | null };
}

export interface BackfillEnvironment {
  readonly store: Store;
  readonly ttlMs: Readonly<Record<AggregationType, number>>;
  readonly now: () => number;
  readonly dryRun: boolean;
  /** Parallel write batches within one user. */
  readonly writeConcurrency: number;
  /**
   * The tick's freshness policy: an unchanged result of the same revision that is not yet due for
   * renewal is left as it is (no write at all); without it every unchanged result is refreshed.
   */
  readonly renewal?: RenewalPolicy;
  /** Ctrl-C / SIGTERM: a user still computing STOP_GRACE_MS later stops after its current write batch (StoppedMidUser), unsettled. */
  readonly signal?: AbortSignal;
  /** Default STOP_GRACE_MS. */
  readonly stopGraceMs?: number;
  /** After each result computed: how many of how many (a heavy user computes for seconds). */
  readonly onComputed?: (done: number, total: number) => void;
}

/** How long a user may go on after Ctrl-C: a small one finishes (and is checkpointed), a heavy one stops partway. */
const STOP_GRACE_MS = 500;

export interface UserBackfillOutcome {
  readonly records: number;
  readonly results: number;
  /** Written (or, in a dry run, that would be): new plus changed. */
  readonly written: number;
  readonly created: number;
  readonly changed: number;
  /** Rewritten with the same data (--force, or a repair of stored data that differs from its hash). */
  readonly rewritten: number;
  readonly unchanged: number;
  /** Of the unchanged: those whose expiresAt (and revision, computedAt) were refreshed; the others were left alone. */
  readonly refreshed: number;
  readonly bytes: number;
}

const GRID_HASHES: ReadonlySet<string> = new Set(DEFAULT_GRID.map(filterHash));
const GRID_KEYS = DEFAULT_GRID.length * AGGREGATION_TYPES.length;

/**
 * Until when every default-grid aggregation of the user stays fresh (the eligibility fact the
 * deployment reads). A full run knows it from its own results; a partial one (--type, --grid) asks.
 */
async function gridFreshness(store: Store, userId: string, expiries: readonly string[]): Promise<string | null> {
  if (expiries.length === GRID_KEYS) return earliestInstant(expiries, true);
  const grid = (await store.listDigests(userId)).filter((digest) => GRID_HASHES.has(digest.filterHash) && digest.version === REGISTRY[digest.aggregationType].version);
  return earliestInstant(
    grid.map((digest) => digest.expiresAt),
    grid.length === GRID_KEYS,
  );
}

/**
 * Whether a run recomputes everything the change log stands for: every type over at least the default
 * grid (the user's own combinations always come along). Only such a run may mark changes processed.
 */
export function coversEverything(spec: Pick<BackfillSpec, 'types' | 'grid'>): boolean {
  const grid = new Set(spec.grid.map(filterHash));
  return AGGREGATION_TYPES.every((type) => spec.types.includes(type)) && [...GRID_HASHES].every((hash) => grid.has(hash));
}

/** The user's unprocessed change-log entries, as versions to mark processed later. */
async function pendingChanges(store: Store, userId: string): Promise<ChangeVersion[]> {
  const entries = await store.listChanges(userId);
  return entries.filter((entry) => !entry.processed).map((entry) => ({ changeId: entry.changeId, changedAt: entry.changedAt, revision: entry.revision }));
}

/**
 * The user's records at one state, prepared for computing page by page: only their normalized form
 * accumulates, never the records themselves (on a heavy user, holding both was the peak of the run).
 */
async function readDataset(store: Store, userId: string, spec: BackfillSpec, stopRequested: () => boolean): Promise<{ dataset: Dataset; revision: string | null; recordCount: number }> {
  const { value, revision } = await readConsistently(store, userId, () => {
    const builder = new DatasetBuilder(spec.timeZone);
    let records = 0;
    return {
      add: (page) => {
        // Nothing is written yet: a stop here leaves the user as it was.
        if (stopRequested()) throw new StoppedMidUser(userId);
        records += page.length;
        builder.add(page);
      },
      finish: () => ({ builder, records }),
    };
  });
  // With no dated watch, a fixed instant keeps results (and their hashes) stable from run to run.
  const asOf = spec.asOf ?? value.builder.newestWatchedAt() ?? NO_DATED_RECORDS_AS_OF;
  return { dataset: value.builder.build(asOf), revision, recordCount: value.records };
}

/** Batches of writes of about this many bytes of data each (a few calls per user, each within limits). */
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Computes and stores one user's aggregations: reads the records page by page at one state (their
 * revision), computes every type for the grid plus the user's filter combinations (one filter set at
 * a time, so memory holds one set's results), writes what changed in batches and only refreshes
 * expiresAt, revision and computedAt of what did not. A run that covers everything then marks
 * processed the change-log entries it read before the records, those its records include; never one
 * that came or grew later. Idempotent.
 */
export async function backfillUser(userId: string, spec: BackfillSpec, env: BackfillEnvironment): Promise<UserBackfillOutcome> {
  const { store } = env;
  // Read before the records: every entry seen here is a change the records below already hold.
  const marks = !env.dryRun && coversEverything(spec) && (spec.only === undefined || spec.only.revision !== undefined);
  const changes = marks ? await pendingChanges(store, userId) : [];
  let abortSeenAt: number | null = null;
  const stopRequested = (): boolean => {
    if (env.signal?.aborted !== true) return false;
    abortSeenAt ??= performance.now();
    return performance.now() - abortSeenAt >= (env.stopGraceMs ?? STOP_GRACE_MS);
  };
  const [{ dataset, revision, recordCount }, digests, allFilterSets] = await Promise.all([readDataset(store, userId, spec, stopRequested), store.listDigests(userId), userFilterSets(store, userId, spec.grid)]);
  const only = spec.only;
  // Of each filter set, the types to compute: all of them, or those of the chosen results.
  const typesOf = (hash: string): readonly AggregationType[] => (only ? spec.types.filter((type) => only.keys.has(`${type}|${hash}`)) : spec.types);
  // A repair (or an age recomputation) computes the filter sets of its chosen results, nothing else.
  const filterSets = only ? allFilterSets.filter((set) => typesOf(set.filterHash).length > 0) : allFilterSets;
  const markable = only === undefined || (only.revision !== undefined && only.revision === revision);
  const stored = new Map(digests.map((digest) => [aggregationKeyString(digest), digest]));
  const computedAtMs = env.now();
  const limit = pLimit(Math.max(1, env.writeConcurrency));
  const writes: Promise<unknown>[] = [];
  // A failed write is seen at once (and never left as an unhandled rejection while computing goes on).
  let writeFailure: { readonly error: unknown } | null = null;
  const refreshes: RefreshItem[] = [];
  const counts = { results: 0, created: 0, changed: 0, rewritten: 0, unchanged: 0, bytes: 0 };
  const gridExpiries: string[] = [];
  let batch: AggregationWrite[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    batchBytes = 0;
    // In a repair every item in a batch is one to write (unchanged ones went to refreshes).
    if (!env.dryRun) {
      writes.push(limit(() => store.upsertAggregations(items, { force: spec.force || only !== undefined })).catch((error: unknown) => void (writeFailure ??= { error })));
    }
  };
  const toWrite = (result: AggregationResult, computeMs: number): AggregationWrite =>
    toAggregationWrite(result, {
      userId,
      asOf: dataset.context.asOf,
      timeZone: dataset.context.timeZone,
      computedAtMs,
      ttlMs: env.ttlMs[result.type],
      recordCount: dataset.recordCount,
      computeMs,
      recordsRevision: revision,
    });

  const stopping = (): boolean => writeFailure !== null || stopRequested();
  let stoppedEarly = false;
  const toCompute = filterSets.reduce((n, set) => n + typesOf(set.filterHash).length, 0);
  let computed = 0;
  computing: for (const { filters, filterHash: hash } of filterSets) {
    collectGarbageIfGrown(dataset.recordCount);
    let started = performance.now();
    for (const result of iterateAggregations(dataset, typesOf(hash), [filters])) {
      const computeMs = Math.round((performance.now() - started) * 1000) / 1000;
      env.onComputed?.(++computed, toCompute);
      // A heavy user computes for seconds: signals, the lease and the progress display get turns.
      await yieldIfBusy();
      if (stopping()) {
        stoppedEarly = true;
        break computing;
      }
      started = performance.now();
      const write = toWrite(result, computeMs);
      const wanted = only?.keys.get(aggregationKeyString(write));
      if (only && wanted === undefined) continue;
      counts.results++;
      const previous = stored.get(aggregationKeyString(write));
      const grid = GRID_HASHES.has(write.filterHash);
      const force = spec.force || wanted === 'force';
      if (!force && previous && previous.version === write.version && previous.dataHash === write.dataHash) {
        counts.unchanged++;
        if (env.renewal && revision !== null && previous.recordsRevision === revision && planRow(previous, env.renewal, computedAtMs) === null) {
          // Equal, of this revision, and not due before the next tick: nothing to write.
          if (grid) gridExpiries.push(previous.expiresAt);
          continue;
        }
        if (grid) gridExpiries.push(write.expiresAt);
        refreshes.push({
          userId,
          aggregationType: write.aggregationType,
          filterHash: write.filterHash,
          version: write.version,
          dataHash: write.dataHash,
          expiresAt: write.expiresAt,
          storedBytes: previous.metadata.bytes,
          // Recomputed and equal: the row is this revision's, verified now (maxAge counts from here).
          recordsRevision: revision,
          computedAt: write.computedAt,
        });
        continue;
      }
      if (grid) gridExpiries.push(write.expiresAt);
      // --force (or a repair of drift) rewrites equal data too: that is a rewrite, not a change.
      if (previous && previous.version === write.version && previous.dataHash === write.dataHash) counts.rewritten++;
      else if (previous) counts.changed++;
      else counts.created++;
      counts.bytes += write.metadata.bytes;
      // What the write replaces sizes its store call (the call reads that row).
      batch.push({ ...write, replacedBytes: previous ? previous.metadata.bytes : null });
      batchBytes += write.metadata.bytes;
      if (batchBytes >= WRITE_BATCH_BYTES) flush();
    }
  }
  if (!stoppedEarly) flush();
  await Promise.all(writes);
  if (writeFailure !== null) throw (writeFailure as { readonly error: unknown }).error;
  // What was written stays (each write is whole and idempotent); the rest is done again on --resume.
  if (stoppedEarly) throw new StoppedMidUser(userId);
  const upsertForce = spec.force || only !== undefined;

  const refreshed = refreshes.length;
  if (!env.dryRun && refreshes.length > 0) {
    const { mismatched } = await store.refreshAggregations(refreshes);
    if (mismatched.length > 0) {
      // Changed by someone else since the digests were read: write these in full after all.
      const wanted = new Set(mismatched.map(aggregationKeyString));
      const sets = filterSets.filter((set) => spec.types.some((type) => wanted.has(`${type}|${set.filterHash}`)));
      const rewrites: AggregationWrite[] = [];
      for (const result of iterateAggregations(dataset, spec.types, sets.map((set) => set.filters))) {
        await yieldIfBusy();
        if (wanted.has(aggregationKeyString({ aggregationType: result.type, filterHash: result.filterHash }))) rewrites.push(toWrite(result, 0));
      }
      await store.upsertAggregations(rewrites, { force: upsertForce });
    }
  }
  if (!env.dryRun) await store.setGridFreshness(userId, await gridFreshness(store, userId, gridExpiries));
  if (!env.dryRun && markable && changes.length > 0) await store.markChangesProcessed(userId, changes, formatIsoInstant(env.now()));
  return { records: recordCount, written: counts.created + counts.changed + counts.rewritten, refreshed, ...counts };
}
