import type { Filters } from '../core/filters.js';
import { headerText } from '../core/aggregation-header.js';
import type { JsonValue } from '../core/json.js';
import type { StoredRecord } from './record-codec.js';
import type { AggregationDigest, AggregationKey, ChangeEntry, DeleteOutcome, FilterCombination, Page, PageRequest, RunRecord, SizedAggregationKey, StoredAggregation } from './types.js';

// The persistence behind `agg cleanup` and `agg archive`: a facet of the Store (`store.maintenance`),
// implemented by both adapters and held to one contract. Every deletion re-checks its condition inside
// the deleting transaction, every write is idempotent under retry (including a retry of a call that
// committed but whose answer was lost).

/** Tables `agg archive` can move to cold storage. */
export const ARCHIVE_TABLES = ['watch_records', 'precomputed_aggregations', 'data_change_log', 'agg_runs'] as const;
export type ArchiveTable = (typeof ARCHIVE_TABLES)[number];

/** A watch record with its owner: the unit archived from `watch_records`. */
export type ArchivedRecord = StoredRecord & { readonly userId: string };

/** What one row of each archivable table looks like in an archive (and on its way back). */
export interface ArchiveRowOf {
  readonly watch_records: ArchivedRecord;
  readonly precomputed_aggregations: StoredAggregation;
  readonly data_change_log: ChangeEntry;
  readonly agg_runs: RunRecord;
}

export type ArchiveRow = ArchiveRowOf[ArchiveTable];

/** Which archive a deletion or restore belongs to: names the change-log entries written for records. */
export interface ArchiveChange {
  readonly manifestId: string;
  readonly at: string;
}

/**
 * The change-log entry of one user's records leaving (`archive`) or coming back (`restore`) with one
 * archive: deterministic, so every batch and every retry extends the same entry.
 */
export function archiveChangeId(kind: 'archive' | 'restore', manifestId: string, userId: string): string {
  return `${kind}:${manifestId}:${userId}`;
}

export interface ConditionalDeleteOutcome {
  /** Deleted by this call. */
  readonly deleted: number;
  /** Present but different from the archived copy: kept. */
  readonly changed: number;
  /** Which of the given rows those are (indexes into the `rows` argument, ascending). */
  readonly changedRows: readonly number[];
  /** Already gone (an earlier attempt deleted them, or someone else did). */
  readonly missing: number;
  readonly bytesFreed: number;
}

export interface RestoreOutcome {
  /** Written back by this call (or, in a dry run, that would be). */
  readonly inserted: number;
  /** Already present exactly as archived. */
  readonly identical: number;
  /** Present with other contents (a newer version): kept as it is. */
  readonly conflicting: number;
}

/**
 * A set of chunk documents: the pieces of one (aggregation, dataHash) of the old layout, or, with no
 * aggregationType and filterHash, the pieces of one user's shared content for dataHash.
 */
export interface ChunkSetKey {
  readonly userId: string;
  readonly dataHash: string;
  readonly aggregationType?: AggregationKey['aggregationType'];
  readonly filterHash?: string;
}

/** Chunk documents that no aggregation header references. */
export interface OrphanChunkSet extends ChunkSetKey {
  readonly chunks: number;
  readonly bytes: number;
}

/** A filter combination to delete: its key, and its filters when known (they size the deleting calls). */
export interface StaleFilterKey {
  readonly userId: string;
  readonly filterHash: string;
  readonly filters?: Filters;
}

/** A finished run to delete, with the bytes of its row as paged (old checkpoints can be large; they size the deleting calls). */
export interface FinishedRunKey {
  readonly runId: string;
  readonly storedBytes?: number;
}

export const MANIFEST_STATUSES = ['exporting', 'verified', 'deleted', 'restored'] as const;
/**
 * exporting: chunks are being written, nothing was deleted (a rerun may discard it);
 * verified: every chunk was read back and checked, deletion of the rows may be under way;
 * deleted: the archive is complete (rows removed from the store); restored: its rows were put back.
 */
export type ManifestStatus = (typeof MANIFEST_STATUSES)[number];

/** The `archive_manifests` row of one archive. */
export interface ArchiveManifestRow {
  readonly manifestId: string;
  readonly createdAt: string;
  /** Where the chunks live (e.g. a local directory), as the destination describes itself. */
  readonly destination: string;
  readonly tables: readonly string[];
  readonly rowCount: number;
  /** Compressed bytes of all chunks. */
  readonly bytes: number;
  readonly status: ManifestStatus;
  readonly verifiedAt: string | null;
  /** Selection, chunk list with checksums, deletion and restore outcomes (see src/archive/manifest.ts). */
  readonly manifest: JsonValue;
}

export type ManifestWriteOutcome = { readonly applied: true } | { readonly applied: false; readonly current: ManifestStatus | null };

export interface MaintenanceStore {
  // Cleanup

  /** Filter combinations last used before `before`, in (lastUsed, userId, filterHash) order. */
  pageStaleFilterCombinations(before: string, page: PageRequest): Promise<Page<FilterCombination>>;
  /** Deletes each combination only if it is still unused since before `before` (given as paged, with its filters, calls are sized by them). */
  deleteStaleFilterCombinations(keys: readonly StaleFilterKey[], before: string): Promise<DeleteOutcome>;
  /** Deletes each aggregation only if it is still an orphan (see orphanReason), with its chunks. */
  deleteOrphanAggregations(keys: readonly SizedAggregationKey[]): Promise<DeleteOutcome>;
  /** Processed change-log entries that changed before `before`, oldest first. */
  pageProcessedChanges(before: string, page: PageRequest): Promise<Page<ChangeEntry>>;
  /** Deletes each entry only if it is still processed and unchanged since before `before`. */
  deleteProcessedChanges(changeIds: readonly string[], before: string): Promise<DeleteOutcome>;
  /** Finished runs (finishedAt set) that finished before `before`, oldest first. */
  pageFinishedRuns(before: string, page: PageRequest): Promise<Page<RunRecord>>;
  /** Deletes each run only if it is still finished before `before`. */
  deleteFinishedRuns(runs: readonly FinishedRunKey[], before: string): Promise<DeleteOutcome>;
  /**
   * Chunk sets no aggregation header references, whose chunks were all written at least `minAgeMs`
   * ago (younger ones may belong to a write in progress: chunks go in before their header).
   */
  pageOrphanChunkSets(minAgeMs: number, page: PageRequest): Promise<Page<OrphanChunkSet>>;
  /** Deletes the chunks of each set still unreferenced and at least `minAgeMs` old. */
  deleteOrphanChunkSets(sets: readonly ChunkSetKey[], minAgeMs: number): Promise<DeleteOutcome>;

  // Archive

  /** A user's dated records watched before `before` (undated records are never archived by age). */
  pageArchivableRecords(userId: string, before: string, page: PageRequest): Promise<Page<ArchivedRecord>>;
  /**
   * Deletes each row only if the store still holds exactly the archived copy. Records keep
   * `user_stats` exact and extend the user's `archive` change-log entry for this archive.
   */
  deleteArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange): Promise<ConditionalDeleteOutcome>;
  /**
   * Puts rows back where their key is free; identical rows count as done, different ones are kept.
   * Records keep `user_stats` exact and extend the user's `restore` change-log entry. `dryRun` only counts.
   */
  restoreArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange, options?: { readonly dryRun?: boolean }): Promise<RestoreOutcome>;

  listArchiveManifests(): Promise<ArchiveManifestRow[]>;
  getArchiveManifest(manifestId: string): Promise<ArchiveManifestRow | null>;
  /**
   * Creates (expectedStatus null) or replaces a manifest row whose status is `expectedStatus`. A retry
   * of a write that already took effect is applied again harmlessly; otherwise the current status is
   * reported and nothing changes.
   */
  putArchiveManifest(row: ArchiveManifestRow, expectedStatus: ManifestStatus | null): Promise<ManifestWriteOutcome>;
  /** Removes a manifest row still in `expectedStatus` (an export abandoned before any deletion). */
  deleteArchiveManifest(manifestId: string, expectedStatus: ManifestStatus): Promise<boolean>;
}

/**
 * Everything that identifies a stored result except its data, which dataHash pins: equal texts mean
 * the row is unchanged since it was archived. The deployment's own function, so both sides agree.
 */
export function aggregationHeaderText(header: AggregationDigest & { readonly filters: Filters }): string {
  return headerText(header);
}

/** Rows grouped by user, in first-seen order; with `indexes`, their positions instead of the rows. */
export function groupByUser<T extends { readonly userId: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.userId);
    if (group) group.push(row);
    else groups.set(row.userId, [row]);
  }
  return groups;
}

export function indexesByUser(rows: readonly { readonly userId: string }[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  rows.forEach((row, index) => {
    const group = groups.get(row.userId);
    if (group) group.push(index);
    else groups.set(row.userId, [index]);
  });
  return groups;
}
