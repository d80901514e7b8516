import { orphanReason } from '../core/expected-aggregations.js';
import { utf8Length } from '../core/json.js';
import type { AggregationDigest, AggregationKey, Page, PageRequest } from '../store/types.js';
import type { Store } from '../store/store.js';
import { pagesOf } from '../store/paginate.js';

// What `agg cleanup` removes, category by category, in an order where each category sees the
// previous ones done: expired aggregations, unused filter combinations, then the aggregations those
// leave orphaned, orphaned chunk documents, old processed change-log entries, old finished runs.
// Candidates are found page by page and deleted a batch at a time; every deleting call re-checks
// the condition inside its transaction, so a row refreshed meanwhile survives (counted as kept).

export const CLEANUP_CATEGORIES = ['expired', 'stale-filters', 'orphans', 'orphan-chunks', 'change-log', 'runs'] as const;
export type CleanupCategory = (typeof CLEANUP_CATEGORIES)[number];

export const CATEGORY_LABELS: Readonly<Record<CleanupCategory, string>> = {
  expired: 'expired aggregations',
  'stale-filters': 'unused filter combinations',
  orphans: 'orphaned aggregations',
  'orphan-chunks': 'orphaned chunk documents',
  'change-log': 'processed change-log entries',
  runs: 'finished runs',
};

export interface CleanupRequest {
  readonly store: Store;
  readonly categories: ReadonlySet<CleanupCategory>;
  /** "Now" for every rule: expired means expiresAt before it; ages count back from it. */
  readonly asOf: string;
  readonly staleFiltersBefore: string;
  readonly changeLogBefore: string;
  readonly runsBefore: string;
  readonly chunkGraceMs: number;
  readonly batchSize: number;
  readonly dryRun: boolean;
  readonly sampleSize: number;
  /** Called after every page, for progress. */
  readonly onProgress?: (category: CleanupCategory, matched: number) => void;
  /** Called after every deleting call, with every category's totals so far (the ledger row records them). */
  readonly onDeleted?: (results: readonly CategoryResult[]) => Promise<void>;
  /** Ctrl-C: stop after the current batch (every batch is complete in itself). */
  readonly signal?: AbortSignal;
}

export interface CategoryResult {
  readonly category: CleanupCategory;
  /** The instant the category's rule compares against. */
  readonly cutoff: string | null;
  /** Candidates found (documents, for chunks). */
  matched: number;
  deleted: number;
  /** Found, but no longer matching when the deleting transaction re-checked them. */
  kept: number;
  /** Bytes freed (or that a dry run would free): data bytes for aggregations, document JSON otherwise. */
  bytes: number;
  /** A few of the rows found, as fields (JSON shows them as they are; the table prints them as a line). */
  readonly sample: CleanupSample[];
}

/** One row a cleanup found: its key fields and why it goes (an instant, a count, a reason). */
export type CleanupSample = Readonly<Record<string, string | number | null>>;

async function forEachPage<T>(next: (request: PageRequest) => Promise<Page<T>>, limit: number, each: (items: T[]) => Promise<void>, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  for await (const items of pagesOf(next, limit)) {
    await each(items);
    if (signal?.aborted) return;
  }
}


export async function runCleanup(request: CleanupRequest): Promise<CategoryResult[]> {
  const { store, batchSize } = request;
  const maintenance = store.maintenance;
  const results: CategoryResult[] = [];

  const category = (name: CleanupCategory, cutoff: string | null): CategoryResult => {
    const result: CategoryResult = { category: name, cutoff, matched: 0, deleted: 0, kept: 0, bytes: 0, sample: [] };
    results.push(result);
    return result;
  };
  const found = (result: CategoryResult, items: number, bytes: number, describe: () => CleanupSample[]): void => {
    result.matched += items;
    if (request.dryRun) result.bytes += bytes;
    if (result.sample.length < request.sampleSize) result.sample.push(...describe().slice(0, request.sampleSize - result.sample.length));
    request.onProgress?.(result.category, result.matched);
  };
  // A row found by this run and already gone at its deleting call was deleted by an earlier attempt of
  // that call whose answer was lost (or by a concurrent cleanup): gone either way, and not kept.
  const removed = async (result: CategoryResult, candidates: number, outcome: { deleted: number; missing: number; bytesFreed: number }): Promise<void> => {
    result.deleted += outcome.deleted + outcome.missing;
    result.kept += candidates - outcome.deleted - outcome.missing;
    result.bytes += outcome.bytesFreed;
    await request.onDeleted?.(results);
  };

  // In a dry run nothing is deleted, so later categories must not count what earlier ones would remove.
  const expiredKeys = new Set<string>();
  const staleCombinations = new Set<string>();
  const keyOf = (key: AggregationKey) => `${key.userId}\u0000${key.aggregationType}\u0000${key.filterHash}`;

  if (request.categories.has('expired')) {
    const result = category('expired', request.asOf);
    await forEachPage(
      (page) => store.pageExpired(request.asOf, page),
      batchSize,
      async (digests) => {
        found(result, digests.length, digests.reduce((sum, d) => sum + d.metadata.bytes, 0), () =>
          digests.map((d) => ({ userId: d.userId, aggregationType: d.aggregationType, filterHash: d.filterHash, expiresAt: d.expiresAt })),
        );
        if (request.dryRun) for (const d of digests) expiredKeys.add(keyOf(d));
        else await removed(result, digests.length, await store.deleteAggregations(digests.map((d) => ({ userId: d.userId, aggregationType: d.aggregationType, filterHash: d.filterHash, storedBytes: d.metadata.bytes, onlyIfExpiresBefore: request.asOf }))));
      },
      request.signal,
    );
  }

  if (request.categories.has('stale-filters')) {
    const result = category('stale-filters', request.staleFiltersBefore);
    await forEachPage(
      (page) => maintenance.pageStaleFilterCombinations(request.staleFiltersBefore, page),
      batchSize,
      async (combinations) => {
        found(result, combinations.length, combinations.reduce((sum, c) => sum + utf8Length(JSON.stringify(c)), 0), () =>
          combinations.map((c) => ({ userId: c.userId, filterHash: c.filterHash, lastUsed: c.lastUsed, usageCount: c.usageCount })),
        );
        if (request.dryRun) for (const c of combinations) staleCombinations.add(`${c.userId}\u0000${c.filterHash}`);
        else await removed(result, combinations.length, await maintenance.deleteStaleFilterCombinations(combinations, request.staleFiltersBefore));
      },
      request.signal,
    );
  }

  if (request.categories.has('orphans')) {
    const result = category('orphans', null);
    let user: { userId: string; exists: boolean; combinations: Set<string> } | null = null;
    let pending: AggregationDigest[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      found(result, batch.length, batch.reduce((sum, d) => sum + d.metadata.bytes, 0), () =>
        batch.map((d) => ({ userId: d.userId, aggregationType: d.aggregationType, filterHash: d.filterHash, reason: orphanWhy(d) })),
      );
      if (!request.dryRun) await removed(result, batch.length, await maintenance.deleteOrphanAggregations(batch.map((d) => ({ userId: d.userId, aggregationType: d.aggregationType, filterHash: d.filterHash, storedBytes: d.metadata.bytes }))));
    };
    const why = new Map<string, string>();
    const orphanWhy = (d: AggregationDigest) => why.get(keyOf(d)) ?? 'orphan';
    // Digests come in userId order: each user's records and combinations are read once.
    await forEachPage(
      (page) => store.pageAllDigests(page),
      2000,
      async (digests) => {
        for (const digest of digests) {
          if (expiredKeys.has(keyOf(digest))) continue;
          if (user?.userId !== digest.userId) {
            const [summary, combinations] = await Promise.all([store.getUser(digest.userId), store.listFilterCombinations(digest.userId)]);
            user = {
              userId: digest.userId,
              exists: summary !== null,
              combinations: new Set(combinations.map((c) => c.filterHash).filter((hash) => !staleCombinations.has(`${digest.userId}\u0000${hash}`))),
            };
          }
          const reason = orphanReason({ userExists: user.exists, filterHash: digest.filterHash, combinationHashes: user.combinations });
          if (reason === null) continue;
          if (why.size < request.sampleSize) why.set(keyOf(digest), reason === 'user-gone' ? 'user has no records' : 'filter set in neither the grid nor the user\'s combinations');
          pending.push(digest);
          if (pending.length >= batchSize) await flush();
        }
      },
      request.signal,
    );
    await flush();
  }

  if (request.categories.has('orphans')) {
    const result = category('orphan-chunks', null);
    await forEachPage(
      (page) => maintenance.pageOrphanChunkSets(request.chunkGraceMs, page),
      batchSize,
      async (sets) => {
        const chunks = sets.reduce((sum, s) => sum + s.chunks, 0);
        found(result, chunks, sets.reduce((sum, s) => sum + s.bytes, 0), () => sets.map((s) => ({ userId: s.userId, aggregationType: s.aggregationType ?? null, filterHash: s.filterHash ?? null, dataHash: s.dataHash, chunks: s.chunks })));
        if (!request.dryRun) await removed(result, chunks, await maintenance.deleteOrphanChunkSets(sets, request.chunkGraceMs));
      },
      request.signal,
    );
  }

  if (request.categories.has('change-log')) {
    const result = category('change-log', request.changeLogBefore);
    await forEachPage(
      (page) => maintenance.pageProcessedChanges(request.changeLogBefore, page),
      batchSize,
      async (entries) => {
        found(result, entries.length, entries.reduce((sum, e) => sum + utf8Length(JSON.stringify(e)), 0), () =>
          entries.map((e) => ({ changeId: e.changeId, changeType: e.changeType, userId: e.userId, changedAt: e.changedAt })),
        );
        if (!request.dryRun) await removed(result, entries.length, await maintenance.deleteProcessedChanges(entries.map((e) => e.changeId), request.changeLogBefore));
      },
      request.signal,
    );
  }

  if (request.categories.has('runs')) {
    const result = category('runs', request.runsBefore);
    await forEachPage(
      (page) => maintenance.pageFinishedRuns(request.runsBefore, page),
      batchSize,
      async (runs) => {
        found(result, runs.length, runs.reduce((sum, r) => sum + utf8Length(JSON.stringify(r)), 0), () => runs.map((r) => ({ runId: r.runId, command: r.command, status: r.status, finishedAt: r.finishedAt })));
        if (!request.dryRun) await removed(result, runs.length, await maintenance.deleteFinishedRuns(runs.map((r) => ({ runId: r.runId, storedBytes: utf8Length(JSON.stringify(r)) })), request.runsBefore));
      },
      request.signal,
    );
  }

  return results;
}
