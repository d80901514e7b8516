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
  StaleFilterKey,
} from '../maintenance.js';
import type { ChangeEntry, DeleteOutcome, FilterCombination, Page, PageRequest, RunRecord, SizedAggregationKey } from '../types.js';
import * as archiveManifests from './archive-manifests.js';
import * as archiveRows from './archive-rows.js';
import * as cleanup from './cleanup.js';
import type { ConvexCalls } from './convex-calls.js';

/**
 * The maintenance facet over a Convex deployment: the component's functions in src/component/maintenance.ts and archive.ts,
 * called through the ConvexStore's calls. The work is in cleanup.ts, archive-rows.ts and archive-manifests.ts.
 */
export class ConvexMaintenance implements MaintenanceStore {
  constructor(private readonly calls: ConvexCalls) {}

  // Cleanup

  pageStaleFilterCombinations(before: string, request: PageRequest): Promise<Page<FilterCombination>> {
    return cleanup.pageStaleFilterCombinations(this.calls, before, request);
  }

  deleteStaleFilterCombinations(keys: readonly StaleFilterKey[], before: string): Promise<DeleteOutcome> {
    return cleanup.deleteStaleFilterCombinations(this.calls, keys, before);
  }

  deleteOrphanAggregations(keys: readonly SizedAggregationKey[]): Promise<DeleteOutcome> {
    return cleanup.deleteOrphanAggregations(this.calls, keys);
  }

  pageProcessedChanges(before: string, request: PageRequest): Promise<Page<ChangeEntry>> {
    return cleanup.pageProcessedChanges(this.calls, before, request);
  }

  deleteProcessedChanges(changeIds: readonly string[], before: string): Promise<DeleteOutcome> {
    return cleanup.deleteProcessedChanges(this.calls, changeIds, before);
  }

  pageFinishedRuns(before: string, request: PageRequest): Promise<Page<RunRecord>> {
    return cleanup.pageFinishedRuns(this.calls, before, request);
  }

  deleteFinishedRuns(runs: readonly FinishedRunKey[], before: string): Promise<DeleteOutcome> {
    return cleanup.deleteFinishedRuns(this.calls, runs, before);
  }

  pageOrphanChunkSets(minAgeMs: number, request: PageRequest): Promise<Page<OrphanChunkSet>> {
    return cleanup.pageOrphanChunkSets(this.calls, minAgeMs, request);
  }

  deleteOrphanChunkSets(sets: readonly ChunkSetKey[], minAgeMs: number): Promise<DeleteOutcome> {
    return cleanup.deleteOrphanChunkSets(this.calls, sets, minAgeMs);
  }

  // Archive

  pageArchivableRecords(userId: string, before: string, request: PageRequest): Promise<Page<ArchivedRecord>> {
    return archiveRows.pageArchivableRecords(this.calls, userId, before, request);
  }

  deleteArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange): Promise<ConditionalDeleteOutcome> {
    return archiveRows.deleteArchivedRows(this.calls, table, rows, change);
  }

  restoreArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange, options: { dryRun?: boolean } = {}): Promise<RestoreOutcome> {
    return archiveRows.restoreArchivedRows(this.calls, table, rows, change, options);
  }

  // Manifests

  listArchiveManifests(): Promise<ArchiveManifestRow[]> {
    return archiveManifests.listArchiveManifests(this.calls);
  }

  getArchiveManifest(manifestId: string): Promise<ArchiveManifestRow | null> {
    return archiveManifests.getArchiveManifest(this.calls, manifestId);
  }

  putArchiveManifest(row: ArchiveManifestRow, expectedStatus: ManifestStatus | null): Promise<ManifestWriteOutcome> {
    return archiveManifests.putArchiveManifest(this.calls, row, expectedStatus);
  }

  deleteArchiveManifest(manifestId: string, expectedStatus: ManifestStatus): Promise<boolean> {
    return archiveManifests.deleteArchiveManifest(this.calls, manifestId, expectedStatus);
  }
}
