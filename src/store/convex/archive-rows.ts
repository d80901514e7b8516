import { z } from 'zod';
import { canonicalJson, measureJson } from '../../core/json.js';
import { batchBySize, jsonBytes } from '../batching.js';
import {
  type ArchiveChange,
  type ArchiveRowOf,
  type ArchiveTable,
  type ArchivedRecord,
  type ConditionalDeleteOutcome,
  type RestoreOutcome,
  groupByUser,
  indexesByUser,
} from '../maintenance.js';
import type { ChangeEntry, Page, PageRequest, RunRecord, StoredAggregation } from '../types.js';
import { CHUNK_CHARS, SHARED_MIN_BYTES, fitsInline, splitText } from '../value-limits.js';
import { storedRecordAnswer } from './answers.js';
import {
  ITEMS_BYTES_BUDGET,
  SHARED_ITEM_EXTRA_COST,
  aggregationDocBytes,
  archivedRecordCost,
  changeRowCost,
  removeCost,
  restoreAggregationCost,
  runRowCost,
} from './call-costs.js';
import { HEADERS_PER_CALL, KEYS_PER_CALL } from './call-counts.js';
import { deleteUnreferencedChunks } from './cleanup.js';
import { type HeaderEntry, deleteContents, entryKey, sendHeaders } from './contents.js';
import type { ConvexCalls } from './convex-calls.js';
import { conditionalAnswer, conditionalWithChunksAnswer, restoreAnswer, restoreWithChunksAnswer } from './maintenance-answers.js';

// The rows `agg archive` moves out of a Convex deployment and back (archive:*): paged for export,
// deleted only while the deployment holds exactly the archived copy, restored where their key is free.

function plainFilters(filters: StoredAggregation['filters']) {
  return { timeframe: filters.timeframe, product: filters.product, topics: [...filters.topics], channels: [...filters.channels] };
}

function header(row: StoredAggregation) {
  return {
    userId: row.userId,
    aggregationType: row.aggregationType,
    filterHash: row.filterHash,
    version: row.version,
    filters: plainFilters(row.filters),
    dataHash: row.dataHash,
    asOf: row.asOf,
    timeZone: row.timeZone,
    computedAt: row.computedAt,
    expiresAt: row.expiresAt,
    metadata: { recordCount: row.metadata.recordCount, computeMs: row.metadata.computeMs, bytes: row.metadata.bytes },
    ...(row.recordsRevision ? { recordsRevision: row.recordsRevision } : {}),
  };
}

/** A change-log entry as the component takes it: an unknown revision is left out, not null. */
function changeArgs(entry: ChangeEntry) {
  const { revision, ...rest } = entry;
  return revision ? { ...rest, revision } : rest;
}

function storedRecordOf(record: ArchivedRecord) {
  const { userId, ...stored } = record;
  return { ...stored, ...(stored.topics !== undefined ? { topics: [...stored.topics] } : {}) };
}

function runArgs(run: RunRecord) {
  return { ...run, args: [...run.args], counts: { ...run.counts } };
}

/** Bytes of an aggregation header as the archive functions take it (the document besides its data). */
function headerBytes(row: StoredAggregation): number {
  return jsonBytes(header(row)) + 32;
}

/** Batches of `items` by count and by what each costs the call, with each item's index in `items`. */
function indexedBatches<T>(items: readonly T[], maxItems: number, cost: (item: T) => number): number[][] {
  return batchBySize(
    items.map((_, i) => i),
    maxItems,
    ITEMS_BYTES_BUDGET,
    (i) => cost(items[i]!),
  );
}

/** Adds one call's outcome; `indexes` maps the call's rows back to the caller's. */
function addOutcome(total: { deleted: number; changed: number; changedRows: number[]; missing: number; bytesFreed: number }, outcome: ConditionalDeleteOutcome, indexes: readonly number[]): void {
  total.deleted += outcome.deleted;
  total.changed += outcome.changed;
  for (const i of outcome.changedRows) total.changedRows.push(indexes[i]!);
  total.missing += outcome.missing;
  total.bytesFreed += outcome.bytesFreed;
}

function addRestore(total: { inserted: number; identical: number; conflicting: number }, outcome: RestoreOutcome): void {
  total.inserted += outcome.inserted;
  total.identical += outcome.identical;
  total.conflicting += outcome.conflicting;
}

export async function pageArchivableRecords(calls: ConvexCalls, userId: string, before: string, request: PageRequest): Promise<Page<ArchivedRecord>> {
  const page = await calls.page('archive:archivableRecords', { userId, before }, storedRecordAnswer.extend({ userId: z.string() }), request, 4000);
  return page;
}

export async function deleteArchivedRows<T extends ArchiveTable>(calls: ConvexCalls, table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange): Promise<ConditionalDeleteOutcome> {
  const total = { deleted: 0, changed: 0, changedRows: [] as number[], missing: 0, bytesFreed: 0 };
  const ref = { manifestId: change.manifestId, at: change.at };
  switch (table) {
    case 'watch_records': {
      const records = rows as readonly ArchivedRecord[];
      for (const [userId, indexes] of indexesByUser(records)) {
        for (const batch of batchBySize(indexes, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (i) => archivedRecordCost(userId, storedRecordOf(records[i]!)))) {
          const outcome = await calls.mutation('archive:deleteRecords', { userId, records: batch.map((i) => storedRecordOf(records[i]!)), change: ref }, conditionalAnswer);
          addOutcome(total, outcome, batch);
        }
      }
      break;
    }
    case 'precomputed_aggregations': {
      // The row the call reads (twice: lookup and delete) is the archived copy, unless it changed since.
      const aggregations = rows as readonly StoredAggregation[];
      for (const batch of indexedBatches(aggregations, HEADERS_PER_CALL, (row) => removeCost(row.metadata.bytes, headerBytes(row)))) {
        const outcome = await calls.mutation('archive:deleteAggregations', { headers: batch.map((i) => header(aggregations[i]!)) }, conditionalWithChunksAnswer);
        addOutcome(total, outcome, batch);
        await deleteUnreferencedChunks(calls, outcome.staleChunks, 0);
        await deleteContents(calls, outcome.staleContents);
      }
      break;
    }
    case 'data_change_log': {
      const entries = rows as readonly ChangeEntry[];
      for (const batch of indexedBatches(entries, KEYS_PER_CALL, changeRowCost)) {
        addOutcome(total, await calls.mutation('archive:deleteChanges', { entries: batch.map((i) => changeArgs(entries[i]!)) }, conditionalAnswer), batch);
      }
      break;
    }
    case 'agg_runs': {
      const runs = rows as readonly RunRecord[];
      for (const batch of indexedBatches(runs, KEYS_PER_CALL, (run) => runRowCost(jsonBytes(run)))) {
        addOutcome(total, await calls.mutation('archive:deleteRuns', { runs: batch.map((i) => runArgs(runs[i]!)) }, conditionalAnswer), batch);
      }
      break;
    }
    default:
      throw new Error(`not an archivable table: ${String(table)}`);
  }
  total.changedRows.sort((a, b) => a - b);
  return total;
}

export async function restoreArchivedRows<T extends ArchiveTable>(calls: ConvexCalls, table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange, options: { dryRun?: boolean } = {}): Promise<RestoreOutcome> {
  const dryRun = options.dryRun === true;
  const total = { inserted: 0, identical: 0, conflicting: 0 };
  const ref = { manifestId: change.manifestId, at: change.at };
  switch (table) {
    case 'watch_records':
      for (const [userId, group] of groupByUser(rows as readonly ArchivedRecord[])) {
        for (const records of batchBySize(group.map(storedRecordOf), KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (record) => archivedRecordCost(userId, record))) {
          addRestore(
            total,
            dryRun
              ? await calls.query('archive:planRestoreRecords', { userId, records }, restoreAnswer)
              : await calls.mutation('archive:restoreRecords', { userId, records, change: ref }, restoreAnswer),
          );
        }
      }
      return total;
    case 'precomputed_aggregations':
      if (dryRun) {
        // The plan reads whatever is stored at each key now: the caller cannot know its size.
        for (const batch of batchBySize(rows as readonly StoredAggregation[], HEADERS_PER_CALL, ITEMS_BYTES_BUDGET, (row) => restoreAggregationCost(0, headerBytes(row)))) {
          addRestore(total, await calls.query('archive:planRestoreAggregations', { items: batch.map(header) }, restoreAnswer));
        }
        return total;
      }
      return restoreAggregations(calls, rows as readonly StoredAggregation[]);
    case 'data_change_log':
      for (const batch of batchBySize(rows as readonly ChangeEntry[], KEYS_PER_CALL, ITEMS_BYTES_BUDGET, changeRowCost)) {
        const entries = batch.map(changeArgs);
        addRestore(
          total,
          dryRun
            ? await calls.query('archive:planRestoreChanges', { entries }, restoreAnswer)
            : await calls.mutation('archive:restoreChanges', { entries }, restoreAnswer),
        );
      }
      return total;
    case 'agg_runs':
      for (const batch of batchBySize(rows as readonly RunRecord[], KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (run) => runRowCost(jsonBytes(run)))) {
        const runs = batch.map(runArgs);
        addRestore(total, dryRun ? await calls.query('archive:planRestoreRuns', { runs }, restoreAnswer) : await calls.mutation('archive:restoreRuns', { runs }, restoreAnswer));
      }
      return total;
    default:
      throw new Error(`not an archivable table: ${String(table)}`);
  }
}

/** As upsertAggregations writes them: tiny data inline, the rest as the user's shared content. */
async function restoreAggregations(calls: ConvexCalls, rows: readonly StoredAggregation[]): Promise<RestoreOutcome> {
  const total = { inserted: 0, identical: 0, conflicting: 0 };
  const entries: HeaderEntry[] = [];
  for (const row of rows) {
    const json = canonicalJson(row.data);
    const shape = measureJson(row.data, json);
    const bytes = headerBytes(row);
    const key = entryKey(row);
    if (fitsInline(shape) && shape.bytes < SHARED_MIN_BYTES) {
      entries.push({ key, args: { ...header(row), chunkCount: 0, data: row.data }, cost: restoreAggregationCost(aggregationDocBytes(shape.bytes, bytes), bytes), content: null });
      continue;
    }
    entries.push({
      key,
      args: { ...header(row), chunkCount: splitText(json, CHUNK_CHARS).length, shared: true },
      cost: restoreAggregationCost(aggregationDocBytes(0, bytes), bytes) + SHARED_ITEM_EXTRA_COST,
      content: { userId: row.userId, dataHash: row.dataHash, json },
    });
  }
  await sendHeaders(calls, entries, HEADERS_PER_CALL, async (batch) => {
    const outcome = await calls.mutation('archive:restoreAggregations', { items: batch }, restoreWithChunksAnswer);
    addRestore(total, outcome);
    await deleteUnreferencedChunks(calls, outcome.unusedChunks, 0);
    return outcome.needsContent.map(entryKey);
  });
  return total;
}
