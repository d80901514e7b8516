import type { JsonValue } from '../../core/json.js';
import { batchBySize } from '../batching.js';
import type { ChunkSetKey, FinishedRunKey, OrphanChunkSet, StaleFilterKey } from '../maintenance.js';
import type { ChangeEntry, DeleteOutcome, FilterCombination, Page, PageRequest, RunRecord, SizedAggregationKey } from '../types.js';
import { changeEntryAnswer, filterCombinationAnswer, runAnswer } from './answers.js';
import { CHUNKS_PER_DELETE, CHUNK_DOC_MAX_BYTES, ITEMS_BYTES_BUDGET, changeRowCost, filterCombinationCost, orphanRemoveCost, runRowCost } from './call-costs.js';
import { CHUNK_PAGE_ITEMS, KEYS_PER_CALL } from './call-counts.js';
import type { ConvexCalls } from './convex-calls.js';
import { deleteContents } from './contents.js';
import { deleteAnswer, deleteWithChunksAnswer, orphanChunkAnswer, orphanChunksDeleteAnswer, orphanContentAnswer } from './maintenance-answers.js';

// What `agg cleanup` deletes from a Convex deployment (maintenance:*): each call re-checks every
// condition in its own transaction.

export function pageStaleFilterCombinations(calls: ConvexCalls, before: string, request: PageRequest): Promise<Page<FilterCombination>> {
  return calls.page('maintenance:staleFilterCombinations', { before }, filterCombinationAnswer, request, 2000);
}

export async function deleteStaleFilterCombinations(calls: ConvexCalls, keys: readonly StaleFilterKey[], before: string): Promise<DeleteOutcome> {
  const total = { deleted: 0, missing: 0, bytesFreed: 0 };
  for (const batch of batchBySize(keys, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, filterCombinationCost)) {
    const outcome = await calls.mutation(
      'maintenance:deleteStaleFilterCombinations',
      { keys: batch.map(({ userId, filterHash }) => ({ userId, filterHash })), before },
      deleteAnswer,
    );
    total.deleted += outcome.deleted;
    total.missing += outcome.missing;
    total.bytesFreed += outcome.bytesFreed;
  }
  return total;
}

export async function deleteOrphanAggregations(calls: ConvexCalls, keys: readonly SizedAggregationKey[]): Promise<DeleteOutcome> {
  const total = { deleted: 0, missing: 0, bytesFreed: 0 };
  for (const batch of batchBySize(keys, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (key) => orphanRemoveCost(key.storedBytes))) {
    const outcome = await calls.mutation(
      'maintenance:deleteOrphanAggregations',
      { keys: batch.map(({ userId, aggregationType, filterHash }) => ({ userId, aggregationType, filterHash })) },
      deleteWithChunksAnswer,
    );
    total.deleted += outcome.deleted;
    total.missing += outcome.missing;
    total.bytesFreed += outcome.bytesFreed;
    await deleteUnreferencedChunks(calls, outcome.staleChunks, 0);
    await deleteContents(calls, outcome.staleContents);
  }
  return total;
}

export function pageProcessedChanges(calls: ConvexCalls, before: string, request: PageRequest): Promise<Page<ChangeEntry>> {
  return calls.page('maintenance:processedChanges', { before }, changeEntryAnswer, request, 4000);
}

export async function deleteProcessedChanges(calls: ConvexCalls, changeIds: readonly string[], before: string): Promise<DeleteOutcome> {
  const total = { deleted: 0, missing: 0, bytesFreed: 0 };
  for (const batch of batchBySize(changeIds, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, changeRowCost)) {
    const outcome = await calls.mutation('maintenance:deleteProcessedChanges', { changeIds: batch, before }, deleteAnswer);
    total.deleted += outcome.deleted;
    total.missing += outcome.missing;
    total.bytesFreed += outcome.bytesFreed;
  }
  return total;
}

export async function pageFinishedRuns(calls: ConvexCalls, before: string, request: PageRequest): Promise<Page<RunRecord>> {
  const page = await calls.page('maintenance:finishedRuns', { before }, runAnswer, request, 1000);
  return { ...page, items: page.items.map((run) => ({ ...run, checkpoint: (run.checkpoint ?? null) as JsonValue })) };
}

export async function deleteFinishedRuns(calls: ConvexCalls, runs: readonly FinishedRunKey[], before: string): Promise<DeleteOutcome> {
  const total = { deleted: 0, missing: 0, bytesFreed: 0 };
  for (const batch of batchBySize(runs, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (run) => runRowCost(run.storedBytes))) {
    const outcome = await calls.mutation('maintenance:deleteFinishedRuns', { runIds: batch.map((run) => run.runId), before }, deleteAnswer);
    total.deleted += outcome.deleted;
    total.missing += outcome.missing;
    total.bytesFreed += outcome.bytesFreed;
  }
  return total;
}

/** The walk goes over the old layout's chunks first, then over shared contents: its cursor says which. */
const OLD_CHUNKS = 'c:';
const SHARED = 's:';

export async function pageOrphanChunkSets(calls: ConvexCalls, minAgeMs: number, request: PageRequest): Promise<Page<OrphanChunkSet>> {
  if (request.cursor !== null && request.cursor.startsWith(SHARED)) {
    const inner = request.cursor.slice(SHARED.length);
    const page = await calls.page('maintenance:orphanContents', { minAgeMs }, orphanContentAnswer, { cursor: inner === '' ? null : inner, limit: request.limit ?? 1000 }, 1000);
    return {
      items: page.items.map((head) => ({ userId: head.userId, dataHash: head.dataHash, chunks: head.chunkCount, bytes: head.bytes })),
      cursor: page.isDone ? null : SHARED + page.cursor!,
      isDone: page.isDone,
    };
  }
  const inner = request.cursor === null ? null : request.cursor.startsWith(OLD_CHUNKS) ? request.cursor.slice(OLD_CHUNKS.length) : request.cursor;
  const page = await calls.page('maintenance:orphanChunks', { minAgeMs }, orphanChunkAnswer, { cursor: inner, limit: Math.min(request.limit ?? CHUNK_PAGE_ITEMS, CHUNK_PAGE_ITEMS) }, CHUNK_PAGE_ITEMS);
  // Chunks come in (owner, dataHash, seq) order: consecutive ones of one set merge.
  const sets: (ChunkSetKey & { chunks: number; bytes: number })[] = [];
  for (const chunk of page.items) {
    const last = sets[sets.length - 1];
    if (last && last.userId === chunk.userId && last.aggregationType === chunk.aggregationType && last.filterHash === chunk.filterHash && last.dataHash === chunk.dataHash) {
      last.chunks++;
      last.bytes += chunk.bytes;
    } else {
      sets.push({ userId: chunk.userId, aggregationType: chunk.aggregationType, filterHash: chunk.filterHash, dataHash: chunk.dataHash, chunks: 1, bytes: chunk.bytes });
    }
  }
  return { items: sets, cursor: page.isDone ? SHARED : OLD_CHUNKS + page.cursor!, isDone: false };
}

export async function deleteOrphanChunkSets(calls: ConvexCalls, sets: readonly ChunkSetKey[], minAgeMs: number): Promise<DeleteOutcome> {
  const owned = sets.filter((set) => set.aggregationType !== undefined);
  const shared = sets.filter((set) => set.aggregationType === undefined);
  const total = await deleteUnreferencedChunks(calls, owned, minAgeMs);
  if (shared.length === 0) return total;
  // Sizes as paged; the call re-checks each head (unreferenced, old enough, or already deleting).
  const keys = (sets as readonly (ChunkSetKey & Partial<OrphanChunkSet>)[])
    .filter((set) => set.aggregationType === undefined)
    .map((set) => ({ userId: set.userId, dataHash: set.dataHash, chunkCount: set.chunks ?? CHUNKS_PER_DELETE, bytes: set.bytes ?? CHUNKS_PER_DELETE * CHUNK_DOC_MAX_BYTES }));
  const outcome = await deleteContents(calls, keys, minAgeMs);
  return { deleted: total.deleted + outcome.deleted, missing: total.missing, bytesFreed: total.bytesFreed + outcome.bytesFreed };
}

/** Deletes chunk sets that no header references (re-checked in every call), a few chunks per call. */
export async function deleteUnreferencedChunks(calls: ConvexCalls, sets: readonly ChunkSetKey[], minAgeMs: number): Promise<DeleteOutcome> {
  const total = { deleted: 0, missing: 0, bytesFreed: 0 };
  for (const set of sets) {
    if (set.aggregationType === undefined || set.filterHash === undefined) continue;
    for (;;) {
      const outcome = await calls.mutation(
        'maintenance:deleteOrphanChunks',
        { userId: set.userId, aggregationType: set.aggregationType, filterHash: set.filterHash, dataHash: set.dataHash, minAgeMs, limit: CHUNKS_PER_DELETE },
        orphanChunksDeleteAnswer,
      );
      total.deleted += outcome.deleted;
      total.bytesFreed += outcome.bytesFreed;
      if (outcome.done) break;
    }
  }
  return total;
}
