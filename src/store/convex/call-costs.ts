import { CALL_BYTES_BUDGET, CONVEX_LIMITS } from '../../core/convex-limits.js';
import { utf8Length } from '../../core/json.js';
import { RECORD_LIMITS } from '../../core/record.js';
import { jsonBytes } from '../batching.js';
import { CHUNK_CHARS, INLINE_MAX_BYTES } from '../value-limits.js';

// What one call to the agg component reads and writes, item by item, so that ConvexStore can size
// every batch to CALL_BYTES_BUDGET of reads and writes together (Convex allows 16 MiB of each per
// transaction). Convex counts the whole document every time a function touches it: a lookup reads it,
// patch, replace and delete read it again, insert, patch and replace write the whole new document.
// (convex-test counts the same way; test/store/call-budget.test.ts measures it.) So a call that only
// deletes or refreshes rows still costs what those rows weigh, which its arguments do not show: the
// estimates below come from what the caller knows, a stored row's metadata.bytes or the row itself,
// and assume the largest document where it knows nothing. Sizes are JSON bytes, which is within about
// 20 % of Convex's measure for aggregation data; the budget is half of each limit.

/** What the items of one call may add up to: the budget, less what a call reads besides them (a user's stats, first and last record, a change-log entry). */
export const ITEMS_BYTES_BUDGET = CALL_BYTES_BUDGET - 512 * 1024;

/** _id and _creationTime, as Convex counts them. */
const SYSTEM_FIELDS_BYTES = 64;

/** An aggregation document's fields besides its data, for a typical filter set, when the caller has only its key. */
export const AGGREGATION_HEADER_BYTES = 4 * 1024;

/** A filter_combinations document when only its key is known: filters at the sizes the app may record (20 topics and 20 channels of 200 characters). */
export const FILTER_COMBINATION_DOC_BYTES = 32 * 1024;

/** A chunk document's fields besides its text (the owner's key, dataHash, seq). */
const CHUNK_FIELDS_BYTES = 1024;

/** The largest chunk document: CHUNK_CHARS UTF-16 units are at most 3 bytes each in UTF-8. */
export const CHUNK_DOC_MAX_BYTES = CHUNK_CHARS * 3 + CHUNK_FIELDS_BYTES;

/** A watch_records document at RECORD_LIMITS: every text field, id and topic at its longest. */
export const RECORD_DOC_MAX_BYTES =
  (RECORD_LIMITS.idLength + 5 * RECORD_LIMITS.textLength + RECORD_LIMITS.topics * RECORD_LIMITS.topicLength) * 3 + 256 * 3 + 1024;

/** A change-log entry's fields besides its changeId (the user's id at its longest, the rest fixed). */
const CHANGE_FIELDS_BYTES = 1024;

/**
 * The aggregation document holding data of `dataBytes` (JSON bytes) beside a header of `headerBytes`:
 * only the header when the data is chunked (over the inline limit); nothing for null (no row); the
 * largest inline row when unknown (undefined).
 */
export function aggregationDocBytes(dataBytes: number | null | undefined, headerBytes: number = AGGREGATION_HEADER_BYTES): number {
  if (dataBytes === null) return 0;
  const inline = dataBytes === undefined ? INLINE_MAX_BYTES : dataBytes <= INLINE_MAX_BYTES ? dataBytes : 0;
  return inline + headerBytes + SYSTEM_FIELDS_BYTES;
}

/** A user_stats document (a handful of short fields) with its system fields, generously. */
const USER_STATS_DOC_BYTES = 1024;

/** aggregations:refresh: looks the row up and patches its expiresAt (read again, written whole); a renewal reads the user's stats too. */
export function refreshCost(storedBytes: number | undefined): number {
  return 3 * aggregationDocBytes(storedBytes) + USER_STATS_DOC_BYTES;
}

/** records:raiseGridFreshness: reads one user's stats and may patch it (read again, written whole). */
export const RAISE_FRESHNESS_COST = 3 * USER_STATS_DOC_BYTES;

/** aggregations:remove and archive:deleteAggregations: look the row up and delete it (read again). */
export function removeCost(storedBytes: number | undefined, headerBytes?: number): number {
  return 2 * aggregationDocBytes(storedBytes, headerBytes);
}

/** maintenance:deleteOrphanAggregations: as remove, plus the key's filter combination and the user's stats. */
export function orphanRemoveCost(storedBytes: number | undefined): number {
  return removeCost(storedBytes) + FILTER_COMBINATION_DOC_BYTES + 1024;
}

/**
 * aggregations:upsert: looks up the stored row, then patches it (read again, written whole), replaces
 * it (read again, the new one written) or inserts the new one.
 */
export function upsertCost(newDocBytes: number, storedDocBytes: number): number {
  return 2 * storedDocBytes + Math.max(storedDocBytes, newDocBytes);
}

/**
 * archive:restoreAggregations and :planRestoreAggregations: look the key up (whatever is stored there
 * now, unknown to the caller: the largest row is assumed) and insert only where nothing is.
 */
export function restoreAggregationCost(newDocBytes: number, headerBytes: number): number {
  return Math.max(aggregationDocBytes(undefined, headerBytes), newDocBytes);
}

/** A content head (aggregation_contents) with its system fields, generously. */
const CONTENT_HEAD_DOC_BYTES = 512;

/**
 * What a shared item adds to an upsert or restore: its content's head (looked up, maybe inserted or
 * patched: read again, written) and, for a replaced row, the one header the reference probe reads.
 */
export const SHARED_ITEM_EXTRA_COST = 3 * CONTENT_HEAD_DOC_BYTES + AGGREGATION_HEADER_BYTES + SYSTEM_FIELDS_BYTES;

/**
 * contents:deleteContents for one content: its head (looked up, maybe patched, deleted), the
 * reference probe, and each piece read twice (taken, deleted).
 */
export function contentDeleteCost(key: { readonly bytes: number; readonly chunkCount: number }): number {
  return 4 * CONTENT_HEAD_DOC_BYTES + AGGREGATION_HEADER_BYTES + 2 * (key.bytes + key.chunkCount * CHUNK_FIELDS_BYTES);
}

export function chunkDocBytes(text: string): number {
  return utf8Length(text) + CHUNK_FIELDS_BYTES;
}

/** aggregations:putChunks: looks the chunk up, then inserts it, or patches one that differs (read again, written). */
export function putChunkCost(text: string): number {
  return 3 * chunkDocBytes(text);
}

/**
 * Chunks one aggregations:deleteChunks or maintenance:deleteOrphanChunks call deletes: each reads
 * `limit + 1` chunks (to know whether more remain), reads each deleted one again, and the latter
 * reads the owner's header (up to a whole inline row) first. Chunk sizes are not known beforehand.
 */
export const CHUNKS_PER_DELETE = Math.max(1, Math.floor(((CALL_BYTES_BUDGET - aggregationDocBytes(undefined)) / CHUNK_DOC_MAX_BYTES - 1) / 2));

export function recordDocBytes(userId: string, record: unknown): number {
  return jsonBytes(record) + utf8Length(userId) + 16 + SYSTEM_FIELDS_BYTES;
}

/**
 * records:putBatch: looks the record up, then inserts it, or replaces a different one (read again,
 * written). The stored version is taken to be about the size of the one coming in: records of one id
 * are the same watch, re-imported.
 */
export function putRecordCost(userId: string, record: unknown): number {
  return 3 * recordDocBytes(userId, record);
}

/** records:deleteBatch by id: the records are not known, so each is taken at RECORD_LIMITS, read twice. */
export const DELETE_RECORD_BY_ID_COST = 2 * RECORD_DOC_MAX_BYTES;

/** archive:deleteRecords, :restoreRecords, :planRestoreRecords: look the record up, then delete (read again) or insert it. */
export function archivedRecordCost(userId: string, record: unknown): number {
  return 2 * recordDocBytes(userId, record);
}

/** A change-log entry as given, or of this changeId when only that is known. */
export function changeDocBytes(entry: string | object): number {
  return (typeof entry === 'string' ? utf8Length(entry) + CHANGE_FIELDS_BYTES : jsonBytes(entry)) + SYSTEM_FIELDS_BYTES;
}

/** changes:markProcessed: looks the entry up and patches it (read again, written). */
export function markProcessedCost(changeId: string): number {
  return 3 * changeDocBytes(changeId);
}

/** maintenance:deleteProcessedChanges, archive:deleteChanges, :restoreChanges: look the entry up, then delete (read again) or insert it. */
export function changeRowCost(entry: string | object): number {
  return 2 * changeDocBytes(entry);
}

/** An agg_runs document of `storedBytes` (its JSON, as paged), or as large as a document may be when unknown. */
export function runDocBytes(storedBytes: number | undefined): number {
  return (storedBytes ?? CONVEX_LIMITS.documentBytes) + SYSTEM_FIELDS_BYTES;
}

/** maintenance:deleteFinishedRuns, archive:deleteRuns, :restoreRuns: look the run up, then delete (read again) or insert it. */
export function runRowCost(storedBytes: number | undefined): number {
  return 2 * runDocBytes(storedBytes);
}

/** maintenance:deleteStaleFilterCombinations: looks the combination up and deletes it (read again); sized by its filters when given. */
export function filterCombinationCost(key: { readonly userId: string; readonly filterHash: string; readonly filters?: unknown }): number {
  return 2 * (key.filters === undefined ? FILTER_COMBINATION_DOC_BYTES : jsonBytes(key) + SYSTEM_FIELDS_BYTES);
}

/** validations:put: looks up the user's row, then replaces it (read again, written) or inserts it. */
export function validationCost(row: unknown): number {
  return 3 * (jsonBytes(row) + SYSTEM_FIELDS_BYTES);
}
