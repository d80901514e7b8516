import { type Infer, v } from 'convex/values';
import type { Doc } from '../_generated/dataModel.js';
import type { MutationCtx, QueryCtx } from '../_generated/server.js';
import { type AggregationDoc, findAggregation } from './aggregationRows.js';
import { acquireContent, ownsChunks } from './contentRows.js';
import { changeText, headerText, runText, sameStoredRecord } from './archiveRows.js';
import { aggregationHeaderFields, changeEntryFields, type recordValidator } from '../validators.js';

// The lookups by key that archive.ts's deletes and restores start from, and the walk a restore and its
// plan share (with `write` null it only counts: nothing is inserted).

// Watch records

export function findRecord(ctx: QueryCtx, userId: string, recordId: string) {
  return ctx.db
    .query('watch_records')
    .withIndex('by_user_record', (q) => q.eq('userId', userId).eq('recordId', recordId))
    .unique();
}

export async function restoreRecordsIn(ctx: QueryCtx, userId: string, records: (typeof recordValidator.type)[], write: MutationCtx | null) {
  let inserted = 0;
  let identical = 0;
  let conflicting = 0;
  for (const record of records) {
    const doc = await findRecord(ctx, userId, record.recordId);
    if (!doc) {
      if (write) await write.db.insert('watch_records', { userId, ...record });
      inserted++;
    } else if (sameStoredRecord(doc, record)) identical++;
    else conflicting++;
  }
  return { inserted, identical, conflicting };
}

// Aggregations

// The stored header without its storage detail (how many chunks hold the data, and whether it is shared content).
const { chunkCount: _chunkCount, shared: _shared, ...headerFields } = aggregationHeaderFields;
export { headerFields };

export type ChunkKey = { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string; dataHash: string };
const headerObject = v.object(headerFields);
type HeaderArgs = Infer<typeof headerObject>;

export type RestoreItem = HeaderArgs & { chunkCount?: number; data?: unknown; shared?: boolean; contentWritten?: boolean };

/**
 * Puts headers back where their key is free. A shared item whose content is not there yet is not
 * inserted but reported in `needsContent` (its head is now `writing`): the caller puts the pieces and
 * sends it again with `contentWritten`.
 */
export async function restoreAggregationsIn(ctx: QueryCtx, items: RestoreItem[], write: MutationCtx | null) {
  let inserted = 0;
  let identical = 0;
  let conflicting = 0;
  /** Chunk sets written for items that were not inserted and that no header references. */
  const unusedChunks: ChunkKey[] = [];
  const needsContent: { userId: string; aggregationType: AggregationDoc['aggregationType']; filterHash: string }[] = [];
  for (const item of items) {
    const doc = await findAggregation(ctx, item);
    if (!doc) {
      const { contentWritten, ...fields } = item;
      const row = { ...fields, chunkCount: item.chunkCount ?? 0 };
      if (write && item.shared === true) {
        const content = await acquireContent(write, { userId: item.userId, dataHash: item.dataHash, chunkCount: row.chunkCount, bytes: item.metadata.bytes, written: contentWritten === true });
        if (!content.ready) {
          needsContent.push({ userId: item.userId, aggregationType: item.aggregationType, filterHash: item.filterHash });
          continue;
        }
        row.chunkCount = content.chunkCount;
      }
      if (write) await write.db.insert('precomputed_aggregations', row);
      inserted++;
      continue;
    }
    if (headerText(doc) === headerText(item)) identical++;
    else conflicting++;
    // Chunks of the old layout put for this item; shared content is put only when an item needs it.
    if (item.shared !== true && (item.chunkCount ?? 0) > 0 && !(ownsChunks(doc) && doc.dataHash === item.dataHash)) {
      unusedChunks.push({ userId: item.userId, aggregationType: item.aggregationType, filterHash: item.filterHash, dataHash: item.dataHash });
    }
  }
  return { inserted, identical, conflicting, unusedChunks, needsContent };
}

// Change log

export function findChange(ctx: QueryCtx, id: string) {
  return ctx.db.query('data_change_log').withIndex('by_changeId', (q) => q.eq('changeId', id)).unique();
}

const changeEntryObject = v.object(changeEntryFields);

export async function restoreChangesIn(ctx: QueryCtx, entries: Infer<typeof changeEntryObject>[], write: MutationCtx | null) {
  let inserted = 0;
  let identical = 0;
  let conflicting = 0;
  for (const entry of entries) {
    const doc = await findChange(ctx, entry.changeId);
    if (!doc) {
      if (write) await write.db.insert('data_change_log', entry);
      inserted++;
    } else if (changeText(doc) === changeText(entry)) identical++;
    else conflicting++;
  }
  return { inserted, identical, conflicting };
}

// Run ledger

export function findRun(ctx: QueryCtx, runId: string) {
  return ctx.db.query('agg_runs').withIndex('by_runId', (q) => q.eq('runId', runId)).unique();
}

export async function restoreRunsIn(ctx: QueryCtx, runs: Omit<Doc<'agg_runs'>, '_id' | '_creationTime'>[], write: MutationCtx | null) {
  let inserted = 0;
  let identical = 0;
  let conflicting = 0;
  for (const run of runs) {
    const doc = await findRun(ctx, run.runId);
    if (!doc) {
      if (write) await write.db.insert('agg_runs', run);
      inserted++;
    } else if (runText(doc) === runText(run)) identical++;
    else conflicting++;
  }
  return { inserted, identical, conflicting };
}
