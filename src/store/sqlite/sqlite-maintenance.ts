import type {
  ArchiveChange,
  ArchiveManifestRow,
  ArchiveRowOf,
  ArchiveTable,
  ArchivedRecord,
  ChunkSetKey,
  ConditionalDeleteOutcome,
  FinishedRunKey,
  MaintenanceStore,
  ManifestStatus,
  ManifestWriteOutcome,
  OrphanChunkSet,
  RestoreOutcome,
} from '../maintenance.js';
import type { AggregationKey, ChangeEntry, DeleteOutcome, FilterCombination, Page, PageRequest, RunRecord } from '../types.js';
import * as archiveManifests from './archive-manifests.js';
import * as archiveRows from './archive-rows.js';
import * as cleanup from './cleanup.js';
import type { SqliteContext } from './sqlite-context.js';

/**
 * The embedded store's maintenance facet: each call is one SQLite transaction, run by its SqliteStore
 * (the same retries and file checks; records changes go through the one code path of records-change.ts).
 * The work is in cleanup.ts, archive-rows.ts and archive-manifests.ts.
 */
export class SqliteMaintenance implements MaintenanceStore {
  constructor(private readonly store: SqliteContext) {}

  // Cleanup

  pageStaleFilterCombinations(before: string, request: PageRequest): Promise<Page<FilterCombination>> {
    return cleanup.pageStaleFilterCombinations(this.store, before, request);
  }

  deleteStaleFilterCombinations(keys: readonly { userId: string; filterHash: string }[], before: string): Promise<DeleteOutcome> {
    return cleanup.deleteStaleFilterCombinations(this.store, keys, before);
  }

  deleteOrphanAggregations(keys: readonly AggregationKey[]): Promise<DeleteOutcome> {
    return cleanup.deleteOrphanAggregations(this.store, keys);
  }

  pageProcessedChanges(before: string, request: PageRequest): Promise<Page<ChangeEntry>> {
    return cleanup.pageProcessedChanges(this.store, before, request);
  }

  deleteProcessedChanges(changeIds: readonly string[], before: string): Promise<DeleteOutcome> {
    return cleanup.deleteProcessedChanges(this.store, changeIds, before);
  }

  pageFinishedRuns(before: string, request: PageRequest): Promise<Page<RunRecord>> {
    return cleanup.pageFinishedRuns(this.store, before, request);
  }

  deleteFinishedRuns(runs: readonly FinishedRunKey[], before: string): Promise<DeleteOutcome> {
    return cleanup.deleteFinishedRuns(this.store, runs, before);
  }

  pageOrphanChunkSets(minAgeMs: number, request: PageRequest): Promise<Page<OrphanChunkSet>> {
    return cleanup.pageOrphanChunkSets(this.store, minAgeMs, request);
  }

  deleteOrphanChunkSets(sets: readonly ChunkSetKey[], minAgeMs: number): Promise<DeleteOutcome> {
    return cleanup.deleteOrphanChunkSets(this.store, sets, minAgeMs);
  }

  // Archive

  pageArchivableRecords(userId: string, before: string, request: PageRequest): Promise<Page<ArchivedRecord>> {
    return archiveRows.pageArchivableRecords(this.store, userId, before, request);
  }

  deleteArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange): Promise<ConditionalDeleteOutcome> {
    return archiveRows.deleteArchivedRows(this.store, table, rows, change);
  }

  restoreArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange, options: { dryRun?: boolean } = {}): Promise<RestoreOutcome> {
    return archiveRows.restoreArchivedRows(this.store, table, rows, change, options);
  }

  // Manifests

  listArchiveManifests(): Promise<ArchiveManifestRow[]> {
    return archiveManifests.listArchiveManifests(this.store);
  }

  getArchiveManifest(manifestId: string): Promise<ArchiveManifestRow | null> {
    return archiveManifests.getArchiveManifest(this.store, manifestId);
  }

  putArchiveManifest(row: ArchiveManifestRow, expectedStatus: ManifestStatus | null): Promise<ManifestWriteOutcome> {
    return archiveManifests.putArchiveManifest(this.store, row, expectedStatus);
  }

  deleteArchiveManifest(manifestId: string, expectedStatus: ManifestStatus): Promise<boolean> {
    return archiveManifests.deleteArchiveManifest(this.store, manifestId, expectedStatus);
  }
}
