import { z } from 'zod';
import { AGGREGATION_TYPES } from '../../core/aggregations/definition.js';
import { type JsonValue, canonicalJson, measureJson } from '../../core/json.js';
import { batchBySize, jsonBytes } from '../batching.js';
import {
  type ArchiveChange,
  type ArchiveManifestRow,
  type ArchiveRowOf,
  type ArchiveTable,
  type ArchivedRecord,
  type ChunkSetKey,
  type ConditionalDeleteOutcome,
  type FinishedRunKey,
  MANIFEST_STATUSES,
  type MaintenanceStore,
  type ManifestStatus,
  type ManifestWriteOutcome,
  type OrphanChunkSet,
  type RestoreOutcome,
  type StaleFilterKey,
  groupByUser,
  indexesByUser,
} from '../maintenance.js';
import type { ChangeEntry, DeleteOutcome, FilterCombination, Page, PageRequest, RunRecord, SizedAggregationKey, StoredAggregation } from '../types.js';
import { CHUNK_CHARS, fitsInline, splitText } from '../value-limits.js';
import { changeEntryAnswer, countAnswer, filterCombinationAnswer, runAnswer, storedRecordAnswer } from './answers.js';
import {
  CHUNKS_PER_DELETE,
  ITEMS_BYTES_BUDGET,
  aggregationDocBytes,
  archivedRecordCost,
  changeRowCost,
  filterCombinationCost,
  orphanRemoveCost,
  putChunkCost,
  removeCost,
  restoreAggregationCost,
  runRowCost,
} from './call-costs.js';

/** The ConvexStore calls the facet goes through: the same retries, answer checks and call counts. */
export interface ConvexCalls {
  query<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T>;
  mutation<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T>;
  page<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, request: PageRequest, defaultLimit: number): Promise<Page<T>>;
  all<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, pageSize: number): Promise<T[]>;
}

/** Per-call budgets well inside Convex's transaction limits (see DEVELOPERS.md): counts here, bytes read plus written in call-costs.ts. */
const KEYS_PER_CALL = 500;
const HEADERS_PER_CALL = 100;
const CHUNKS_PER_WRITE = 64;
/** Chunk documents are up to 768 KiB each; pages are bounded by bytes read as well. */
const CHUNK_PAGE_ITEMS = 32;

const chunkKey = z.object({ userId: z.string(), aggregationType: z.enum(AGGREGATION_TYPES), filterHash: z.string(), dataHash: z.string() });
// `missing` defaults to 0 for deployments from before it was reported.
const deleteAnswer = z.object({ deleted: z.number().int().nonnegative(), missing: z.number().int().nonnegative().default(0), bytesFreed: z.number().nonnegative() });
const deleteWithChunksAnswer = deleteAnswer.extend({ staleChunks: z.array(chunkKey) });
const conditionalAnswer = z.object({
  deleted: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  changedRows: z.array(z.number().int().nonnegative()),
  missing: z.number().int().nonnegative(),
  bytesFreed: z.number().nonnegative(),
});
const conditionalWithChunksAnswer = conditionalAnswer.extend({ staleChunks: z.array(chunkKey) });
const restoreAnswer = z.object({ inserted: z.number().int().nonnegative(), identical: z.number().int().nonnegative(), conflicting: z.number().int().nonnegative() });
const restoreWithChunksAnswer = restoreAnswer.extend({ unusedChunks: z.array(chunkKey) });
const orphanChunkAnswer = chunkKey.extend({ seq: z.number(), bytes: z.number().nonnegative() });
const orphanChunksDeleteAnswer = deleteAnswer.extend({ done: z.boolean() });
const manifestAnswer = z.object({
  manifestId: z.string(),
  createdAt: z.string(),
  destination: z.string(),
  tables: z.array(z.string()),
  rowCount: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  status: z.enum(MANIFEST_STATUSES),
  verifiedAt: z.string().nullable(),
  manifest: z.unknown(),
});
const manifestWriteAnswer = z.union([z.object({ applied: z.literal(true) }), z.object({ applied: z.literal(false), current: z.enum(MANIFEST_STATUSES).nullable() })]);
const booleanAnswer = z.boolean();

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

/** The maintenance facet over a Convex deployment: functions in src/convex/maintenance.ts and archive.ts. */
export class ConvexMaintenance implements MaintenanceStore {
  constructor(private readonly calls: ConvexCalls) {}

  // Cleanup

  pageStaleFilterCombinations(before: string, request: PageRequest): Promise<Page<FilterCombination>> {
    return this.calls.page('maintenance:staleFilterCombinations', { before }, filterCombinationAnswer, request, 2000);
  }

  async deleteStaleFilterCombinations(keys: readonly StaleFilterKey[], before: string): Promise<DeleteOutcome> {
    const total = { deleted: 0, missing: 0, bytesFreed: 0 };
    for (const batch of batchBySize(keys, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, filterCombinationCost)) {
      const outcome = await this.calls.mutation(
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

  async deleteOrphanAggregations(keys: readonly SizedAggregationKey[]): Promise<DeleteOutcome> {
    const total = { deleted: 0, missing: 0, bytesFreed: 0 };
    for (const batch of batchBySize(keys, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (key) => orphanRemoveCost(key.storedBytes))) {
      const outcome = await this.calls.mutation(
        'maintenance:deleteOrphanAggregations',
        { keys: batch.map(({ userId, aggregationType, filterHash }) => ({ userId, aggregationType, filterHash })) },
        deleteWithChunksAnswer,
      );
      total.deleted += outcome.deleted;
      total.missing += outcome.missing;
      total.bytesFreed += outcome.bytesFreed;
      await this.deleteUnreferencedChunks(outcome.staleChunks, 0);
    }
    return total;
  }

  pageProcessedChanges(before: string, request: PageRequest): Promise<Page<ChangeEntry>> {
    return this.calls.page('maintenance:processedChanges', { before }, changeEntryAnswer, request, 4000);
  }

  async deleteProcessedChanges(changeIds: readonly string[], before: string): Promise<DeleteOutcome> {
    const total = { deleted: 0, missing: 0, bytesFreed: 0 };
    for (const batch of batchBySize(changeIds, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, changeRowCost)) {
      const outcome = await this.calls.mutation('maintenance:deleteProcessedChanges', { changeIds: batch, before }, deleteAnswer);
      total.deleted += outcome.deleted;
      total.missing += outcome.missing;
      total.bytesFreed += outcome.bytesFreed;
    }
    return total;
  }

  async pageFinishedRuns(before: string, request: PageRequest): Promise<Page<RunRecord>> {
    const page = await this.calls.page('maintenance:finishedRuns', { before }, runAnswer, request, 1000);
    return { ...page, items: page.items.map((run) => ({ ...run, checkpoint: (run.checkpoint ?? null) as JsonValue })) };
  }

  async deleteFinishedRuns(runs: readonly FinishedRunKey[], before: string): Promise<DeleteOutcome> {
    const total = { deleted: 0, missing: 0, bytesFreed: 0 };
    for (const batch of batchBySize(runs, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (run) => runRowCost(run.storedBytes))) {
      const outcome = await this.calls.mutation('maintenance:deleteFinishedRuns', { runIds: batch.map((run) => run.runId), before }, deleteAnswer);
      total.deleted += outcome.deleted;
      total.missing += outcome.missing;
      total.bytesFreed += outcome.bytesFreed;
    }
    return total;
  }

  async pageOrphanChunkSets(minAgeMs: number, request: PageRequest): Promise<Page<OrphanChunkSet>> {
    const page = await this.calls.page('maintenance:orphanChunks', { minAgeMs }, orphanChunkAnswer, { cursor: request.cursor, limit: Math.min(request.limit ?? CHUNK_PAGE_ITEMS, CHUNK_PAGE_ITEMS) }, CHUNK_PAGE_ITEMS);
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
    return { items: sets, cursor: page.cursor, isDone: page.isDone };
  }

  async deleteOrphanChunkSets(sets: readonly ChunkSetKey[], minAgeMs: number): Promise<DeleteOutcome> {
    return this.deleteUnreferencedChunks(sets, minAgeMs);
  }

  /** Deletes chunk sets that no header references (re-checked in every call), a few chunks per call. */
  private async deleteUnreferencedChunks(sets: readonly ChunkSetKey[], minAgeMs: number): Promise<DeleteOutcome> {
    const total = { deleted: 0, missing: 0, bytesFreed: 0 };
    for (const set of sets) {
      for (;;) {
        const outcome = await this.calls.mutation(
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

  // Archive

  async pageArchivableRecords(userId: string, before: string, request: PageRequest): Promise<Page<ArchivedRecord>> {
    const page = await this.calls.page('archive:archivableRecords', { userId, before }, storedRecordAnswer.extend({ userId: z.string() }), request, 4000);
    return page;
  }

  async deleteArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange): Promise<ConditionalDeleteOutcome> {
    const total = { deleted: 0, changed: 0, changedRows: [] as number[], missing: 0, bytesFreed: 0 };
    const ref = { manifestId: change.manifestId, at: change.at };
    switch (table) {
      case 'watch_records': {
        const records = rows as readonly ArchivedRecord[];
        for (const [userId, indexes] of indexesByUser(records)) {
          for (const batch of batchBySize(indexes, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (i) => archivedRecordCost(userId, storedRecordOf(records[i]!)))) {
            const outcome = await this.calls.mutation('archive:deleteRecords', { userId, records: batch.map((i) => storedRecordOf(records[i]!)), change: ref }, conditionalAnswer);
            addOutcome(total, outcome, batch);
          }
        }
        break;
      }
      case 'precomputed_aggregations': {
        // The row the call reads (twice: lookup and delete) is the archived copy, unless it changed since.
        const aggregations = rows as readonly StoredAggregation[];
        for (const batch of indexedBatches(aggregations, HEADERS_PER_CALL, (row) => removeCost(row.metadata.bytes, headerBytes(row)))) {
          const outcome = await this.calls.mutation('archive:deleteAggregations', { headers: batch.map((i) => header(aggregations[i]!)) }, conditionalWithChunksAnswer);
          addOutcome(total, outcome, batch);
          await this.deleteUnreferencedChunks(outcome.staleChunks, 0);
        }
        break;
      }
      case 'data_change_log': {
        const entries = rows as readonly ChangeEntry[];
        for (const batch of indexedBatches(entries, KEYS_PER_CALL, changeRowCost)) {
          addOutcome(total, await this.calls.mutation('archive:deleteChanges', { entries: batch.map((i) => changeArgs(entries[i]!)) }, conditionalAnswer), batch);
        }
        break;
      }
      case 'agg_runs': {
        const runs = rows as readonly RunRecord[];
        for (const batch of indexedBatches(runs, KEYS_PER_CALL, (run) => runRowCost(jsonBytes(run)))) {
          addOutcome(total, await this.calls.mutation('archive:deleteRuns', { runs: batch.map((i) => runArgs(runs[i]!)) }, conditionalAnswer), batch);
        }
        break;
      }
      default:
        throw new Error(`not an archivable table: ${String(table)}`);
    }
    total.changedRows.sort((a, b) => a - b);
    return total;
  }

  async restoreArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange, options: { dryRun?: boolean } = {}): Promise<RestoreOutcome> {
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
                ? await this.calls.query('archive:planRestoreRecords', { userId, records }, restoreAnswer)
                : await this.calls.mutation('archive:restoreRecords', { userId, records, change: ref }, restoreAnswer),
            );
          }
        }
        return total;
      case 'precomputed_aggregations':
        if (dryRun) {
          // The plan reads whatever is stored at each key now: the caller cannot know its size.
          for (const batch of batchBySize(rows as readonly StoredAggregation[], HEADERS_PER_CALL, ITEMS_BYTES_BUDGET, (row) => restoreAggregationCost(0, headerBytes(row)))) {
            addRestore(total, await this.calls.query('archive:planRestoreAggregations', { items: batch.map(header) }, restoreAnswer));
          }
          return total;
        }
        return this.restoreAggregations(rows as readonly StoredAggregation[]);
      case 'data_change_log':
        for (const batch of batchBySize(rows as readonly ChangeEntry[], KEYS_PER_CALL, ITEMS_BYTES_BUDGET, changeRowCost)) {
          const entries = batch.map(changeArgs);
          addRestore(
            total,
            dryRun
              ? await this.calls.query('archive:planRestoreChanges', { entries }, restoreAnswer)
              : await this.calls.mutation('archive:restoreChanges', { entries }, restoreAnswer),
          );
        }
        return total;
      case 'agg_runs':
        for (const batch of batchBySize(rows as readonly RunRecord[], KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (run) => runRowCost(jsonBytes(run)))) {
          const runs = batch.map(runArgs);
          addRestore(total, dryRun ? await this.calls.query('archive:planRestoreRuns', { runs }, restoreAnswer) : await this.calls.mutation('archive:restoreRuns', { runs }, restoreAnswer));
        }
        return total;
      default:
        throw new Error(`not an archivable table: ${String(table)}`);
    }
  }

  /** As upsertAggregations writes them: inline when the data fits one document, else chunks first. */
  private async restoreAggregations(rows: readonly StoredAggregation[]): Promise<RestoreOutcome> {
    const total = { inserted: 0, identical: 0, conflicting: 0 };
    const items: { args: Record<string, unknown>; cost: number }[] = [];
    for (const row of rows) {
      const json = canonicalJson(row.data);
      const shape = measureJson(row.data, json);
      const bytes = headerBytes(row);
      if (fitsInline(shape)) {
        items.push({ args: { ...header(row), chunkCount: 0, data: row.data }, cost: restoreAggregationCost(aggregationDocBytes(shape.bytes, bytes), bytes) });
        continue;
      }
      const pieces = splitText(json, CHUNK_CHARS);
      const chunks = pieces.map((text, seq) => ({ userId: row.userId, aggregationType: row.aggregationType, filterHash: row.filterHash, dataHash: row.dataHash, seq, text }));
      for (const batch of batchBySize(chunks, CHUNKS_PER_WRITE, ITEMS_BYTES_BUDGET, (chunk) => putChunkCost(chunk.text))) {
        await this.calls.mutation('aggregations:putChunks', { chunks: batch }, countAnswer);
      }
      items.push({ args: { ...header(row), chunkCount: pieces.length }, cost: restoreAggregationCost(aggregationDocBytes(0, bytes), bytes) });
    }
    for (const batch of batchBySize(items, HEADERS_PER_CALL, ITEMS_BYTES_BUDGET, (item) => item.cost)) {
      const outcome = await this.calls.mutation('archive:restoreAggregations', { items: batch.map((item) => item.args) }, restoreWithChunksAnswer);
      addRestore(total, outcome);
      await this.deleteUnreferencedChunks(outcome.unusedChunks, 0);
    }
    return total;
  }

  // Manifests

  async listArchiveManifests(): Promise<ArchiveManifestRow[]> {
    const rows = await this.calls.all('archive:listManifests', {}, manifestAnswer, 200);
    return rows.map((row) => ({ ...row, manifest: (row.manifest ?? null) as JsonValue }));
  }

  async getArchiveManifest(manifestId: string): Promise<ArchiveManifestRow | null> {
    const row = await this.calls.query('archive:getManifest', { manifestId }, manifestAnswer.nullable());
    return row && { ...row, manifest: (row.manifest ?? null) as JsonValue };
  }

  putArchiveManifest(row: ArchiveManifestRow, expectedStatus: ManifestStatus | null): Promise<ManifestWriteOutcome> {
    return this.calls.mutation('archive:putManifest', { row: { ...row, tables: [...row.tables] }, expectedStatus }, manifestWriteAnswer);
  }

  deleteArchiveManifest(manifestId: string, expectedStatus: ManifestStatus): Promise<boolean> {
    return this.calls.mutation('archive:deleteManifest', { manifestId, expectedStatus }, booleanAnswer);
  }
}
