import type Database from 'better-sqlite3';
import { orphanReason } from '../../core/expected-aggregations.js';
import type { Filters } from '../../core/filters.js';
import { canonicalJson, utf8Length } from '../../core/json.js';
import {
  type ArchiveChange,
  type ArchiveManifestRow,
  type ArchiveRowOf,
  type ArchiveTable,
  type ArchivedRecord,
  type ChunkSetKey,
  type ConditionalDeleteOutcome,
  type FinishedRunKey,
  type MaintenanceStore,
  type ManifestStatus,
  type ManifestWriteOutcome,
  type OrphanChunkSet,
  type RestoreOutcome,
  aggregationHeaderText,
  archiveChangeId,
  groupByUser,
  indexesByUser,
} from '../maintenance.js';
import { type StoredRecord, fromStoredRecord, storedRecordText, toStoredRecord } from '../record-codec.js';
import type { AggregationKey, ChangeEntry, ChangeStamp, DeleteOutcome, FilterCombination, Page, PageRequest, RunRecord, StoredAggregation } from '../types.js';
import { RUN_COLUMNS, type Row, changeOf, decodeCursor, digestOf, encodeCursor, runOf, runValues } from './rows.js';

/** What the maintenance facet borrows from its SqliteStore, so stats and the change log stay one code path. */
export interface SqliteStoreInternals {
  /** One operation under the store's retry policy and file checks (see SqliteStore.run). */
  run<T>(operation: () => T): Promise<T>;
  /** A records change: user_stats, a new records revision and the change-log entry, in the caller's transaction. */
  recordChange(userId: string, countDelta: number, change: ChangeStamp, recordCount: number): void;
}

type Outcome = { deleted: number; changed: number; changedRows: number[]; missing: number; bytesFreed: number };

function page<T>(rows: Row[], limit: number, keyOf: (row: Row) => string[], map: (row: Row) => T): Page<T> {
  const isDone = rows.length <= limit;
  const kept = rows.slice(0, limit);
  return { items: kept.map(map), cursor: isDone || kept.length === 0 ? null : encodeCursor(keyOf(kept[kept.length - 1]!)), isDone };
}

function combinationOf(row: Row): FilterCombination {
  return {
    userId: row.user_id as string,
    filters: JSON.parse(row.filters as string) as Filters,
    filterHash: row.filter_hash as string,
    lastUsed: row.last_used as string,
    usageCount: row.usage_count as number,
  };
}

function manifestOf(row: Row): ArchiveManifestRow {
  return {
    manifestId: row.manifest_id as string,
    createdAt: row.created_at as string,
    destination: row.destination as string,
    tables: JSON.parse(row.tables as string) as string[],
    rowCount: row.row_count as number,
    bytes: row.bytes as number,
    status: row.status as ManifestStatus,
    verifiedAt: (row.verified_at as string | null) ?? null,
    manifest: JSON.parse(row.manifest as string) as ArchiveManifestRow['manifest'],
  };
}

/** Filters as the embedded store writes them (the field order of canonicalFilters). */
function filtersText(filters: Filters): string {
  return JSON.stringify({ timeframe: filters.timeframe, product: filters.product, topics: [...filters.topics], channels: [...filters.channels] });
}

function storedOf(record: ArchivedRecord): StoredRecord {
  const { userId, ...stored } = record;
  // Through the codec, so the body text is the one putRecords would have written.
  return toStoredRecord(fromStoredRecord(stored));
}

/** The embedded store's maintenance facet: each call is one SQLite transaction. */
export class SqliteMaintenance implements MaintenanceStore {
  constructor(
    private readonly db: Database.Database,
    private readonly store: SqliteStoreInternals,
  ) {}

  // Cleanup

  async pageStaleFilterCombinations(before: string, request: PageRequest): Promise<Page<FilterCombination>> {
    return this.store.run(() => {
      const limit = request.limit ?? 2000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 3);
      const rows = this.db
        .prepare(
          `SELECT * FROM filter_combinations WHERE last_used < ? AND (? IS NULL OR (last_used, user_id, filter_hash) > (?, ?, ?))
           ORDER BY last_used, user_id, filter_hash LIMIT ?`,
        )
        .all(before, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, limit + 1) as Row[];
      return page(rows, limit, (row) => [row.last_used, row.user_id, row.filter_hash] as string[], combinationOf);
    });
  }

  async deleteStaleFilterCombinations(keys: readonly { userId: string; filterHash: string }[], before: string): Promise<DeleteOutcome> {
    return this.store.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(`SELECT * FROM filter_combinations WHERE user_id = ? AND filter_hash = ?`);
        const remove = this.db.prepare(`DELETE FROM filter_combinations WHERE user_id = ? AND filter_hash = ?`);
        let deleted = 0;
        let missing = 0;
        let bytesFreed = 0;
        for (const key of keys) {
          const row = select.get(key.userId, key.filterHash) as Row | undefined;
          if (!row) {
            missing++;
            continue;
          }
          if (!((row.last_used as string) < before)) continue;
          remove.run(key.userId, key.filterHash);
          deleted++;
          bytesFreed += utf8Length(JSON.stringify(combinationOf(row)));
        }
        return { deleted, missing, bytesFreed };
      }).immediate(),
    );
  }

  async deleteOrphanAggregations(keys: readonly AggregationKey[]): Promise<DeleteOutcome> {
    return this.store.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(`SELECT bytes FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
        const remove = this.db.prepare(`DELETE FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
        const user = this.db.prepare(`SELECT 1 FROM user_stats WHERE user_id = ?`);
        const used = this.db.prepare(`SELECT 1 FROM filter_combinations WHERE user_id = ? AND filter_hash = ?`);
        let deleted = 0;
        let missing = 0;
        let bytesFreed = 0;
        for (const key of keys) {
          const row = select.get(key.userId, key.aggregationType, key.filterHash) as Row | undefined;
          if (!row) {
            missing++;
            continue;
          }
          const userExists = user.get(key.userId) !== undefined;
          const combinationHashes = new Set(userExists && used.get(key.userId, key.filterHash) !== undefined ? [key.filterHash] : []);
          if (orphanReason({ userExists, filterHash: key.filterHash, combinationHashes }) === null) continue;
          remove.run(key.userId, key.aggregationType, key.filterHash);
          deleted++;
          bytesFreed += row.bytes as number;
        }
        return { deleted, missing, bytesFreed };
      }).immediate(),
    );
  }

  async pageProcessedChanges(before: string, request: PageRequest): Promise<Page<ChangeEntry>> {
    return this.store.run(() => {
      const limit = request.limit ?? 4000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 2);
      const rows = this.db
        .prepare(
          `SELECT * FROM data_change_log WHERE processed = 1 AND changed_at < ? AND (? IS NULL OR (changed_at, change_id) > (?, ?))
           ORDER BY changed_at, change_id LIMIT ?`,
        )
        .all(before, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1) as Row[];
      return page(rows, limit, (row) => [row.changed_at, row.change_id] as string[], changeOf);
    });
  }

  async deleteProcessedChanges(changeIds: readonly string[], before: string): Promise<DeleteOutcome> {
    return this.store.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(`SELECT * FROM data_change_log WHERE change_id = ?`);
        const remove = this.db.prepare(`DELETE FROM data_change_log WHERE change_id = ?`);
        let deleted = 0;
        let missing = 0;
        let bytesFreed = 0;
        for (const changeId of changeIds) {
          const row = select.get(changeId) as Row | undefined;
          if (!row) {
            missing++;
            continue;
          }
          if (row.processed !== 1 || !((row.changed_at as string) < before)) continue;
          remove.run(changeId);
          deleted++;
          bytesFreed += utf8Length(JSON.stringify(changeOf(row)));
        }
        return { deleted, missing, bytesFreed };
      }).immediate(),
    );
  }

  async pageFinishedRuns(before: string, request: PageRequest): Promise<Page<RunRecord>> {
    return this.store.run(() => {
      const limit = request.limit ?? 1000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 2);
      const rows = this.db
        .prepare(
          `SELECT * FROM agg_runs WHERE finished_at IS NOT NULL AND finished_at < ? AND (? IS NULL OR (finished_at, run_id) > (?, ?))
           ORDER BY finished_at, run_id LIMIT ?`,
        )
        .all(before, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1) as Row[];
      return page(rows, limit, (row) => [row.finished_at, row.run_id] as string[], runOf);
    });
  }

  async deleteFinishedRuns(runs: readonly FinishedRunKey[], before: string): Promise<DeleteOutcome> {
    return this.store.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(`SELECT * FROM agg_runs WHERE run_id = ?`);
        const remove = this.db.prepare(`DELETE FROM agg_runs WHERE run_id = ?`);
        let deleted = 0;
        let missing = 0;
        let bytesFreed = 0;
        for (const { runId } of runs) {
          const row = select.get(runId) as Row | undefined;
          if (!row) {
            missing++;
            continue;
          }
          if (row.finished_at === null || !((row.finished_at as string) < before)) continue;
          remove.run(runId);
          deleted++;
          bytesFreed += utf8Length(JSON.stringify(runOf(row)));
        }
        return { deleted, missing, bytesFreed };
      }).immediate(),
    );
  }

  // The embedded store keeps every result inline: there are no chunk documents to orphan.
  async pageOrphanChunkSets(_minAgeMs: number, _request: PageRequest): Promise<Page<OrphanChunkSet>> {
    return this.store.run(() => ({ items: [], cursor: null, isDone: true }));
  }

  async deleteOrphanChunkSets(_sets: readonly ChunkSetKey[], _minAgeMs: number): Promise<DeleteOutcome> {
    return this.store.run(() => ({ deleted: 0, missing: 0, bytesFreed: 0 }));
  }

  // Archive

  async pageArchivableRecords(userId: string, before: string, request: PageRequest): Promise<Page<ArchivedRecord>> {
    return this.store.run(() => {
      const limit = request.limit ?? 4000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 2);
      const rows = this.db
        .prepare(
          `SELECT record_id, watched_at, body FROM watch_records
           WHERE user_id = ? AND watched_at IS NOT NULL AND watched_at < ? AND (? IS NULL OR (watched_at, record_id) > (?, ?))
           ORDER BY watched_at, record_id LIMIT ?`,
        )
        .all(userId, before, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1) as Row[];
      return page(rows, limit, (row) => [row.watched_at, row.record_id] as string[], (row) => ({ userId, ...(JSON.parse(row.body as string) as StoredRecord) }));
    });
  }

  async deleteArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange): Promise<ConditionalDeleteOutcome> {
    return this.store.run(() =>
      this.db.transaction((): ConditionalDeleteOutcome => {
        switch (table) {
          case 'watch_records':
            return this.deleteRecords(rows as readonly ArchivedRecord[], change);
          case 'precomputed_aggregations':
            return this.deleteMatching(
              rows as readonly StoredAggregation[],
              (row) => [`SELECT * FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`, [row.userId, row.aggregationType, row.filterHash]],
              (stored, row) => aggregationHeaderText({ ...digestOf(stored), filters: JSON.parse(stored.filters as string) as Filters }) === aggregationHeaderText(row),
              (stored) => stored.bytes as number,
              `DELETE FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
            );
          case 'data_change_log':
            return this.deleteMatching(
              rows as readonly ChangeEntry[],
              (row) => [`SELECT * FROM data_change_log WHERE change_id = ?`, [row.changeId]],
              (stored, row) => canonicalJson(changeOf(stored)) === canonicalJson(row),
              (stored) => utf8Length(JSON.stringify(changeOf(stored))),
              `DELETE FROM data_change_log WHERE change_id = ?`,
            );
          case 'agg_runs':
            return this.deleteMatching(
              rows as readonly RunRecord[],
              (row) => [`SELECT * FROM agg_runs WHERE run_id = ?`, [row.runId]],
              (stored, row) => canonicalJson(runOf(stored)) === canonicalJson(row),
              (stored) => utf8Length(JSON.stringify(runOf(stored))),
              `DELETE FROM agg_runs WHERE run_id = ?`,
            );
          default:
            throw new Error(`not an archivable table: ${String(table)}`);
        }
      }).immediate(),
    );
  }

  private deleteMatching<R>(
    rows: readonly R[],
    find: (row: R) => [string, unknown[]],
    same: (stored: Row, row: R) => boolean,
    bytes: (stored: Row) => number,
    removeSql: string,
  ): Outcome {
    const outcome: Outcome = { deleted: 0, changed: 0, changedRows: [], missing: 0, bytesFreed: 0 };
    for (const [index, row] of rows.entries()) {
      const [sql, key] = find(row);
      const stored = this.db.prepare(sql).get(...key) as Row | undefined;
      if (!stored) outcome.missing++;
      else if (!same(stored, row)) {
        outcome.changed++;
        outcome.changedRows.push(index);
      } else {
        this.db.prepare(removeSql).run(...key);
        outcome.deleted++;
        outcome.bytesFreed += bytes(stored);
      }
    }
    return outcome;
  }

  private deleteRecords(records: readonly ArchivedRecord[], change: ArchiveChange): Outcome {
    const select = this.db.prepare(`SELECT body FROM watch_records WHERE user_id = ? AND record_id = ?`);
    const remove = this.db.prepare(`DELETE FROM watch_records WHERE user_id = ? AND record_id = ?`);
    const outcome: Outcome = { deleted: 0, changed: 0, changedRows: [], missing: 0, bytesFreed: 0 };
    for (const [userId, group] of indexesByUser(records)) {
      let deleted = 0;
      for (const index of group) {
        const record = records[index]!;
        const stored = select.get(userId, record.recordId) as Row | undefined;
        if (!stored) outcome.missing++;
        else if (storedRecordText(JSON.parse(stored.body as string) as StoredRecord) !== storedRecordText(storedOf(record))) {
          outcome.changed++;
          outcome.changedRows.push(index);
        } else {
          remove.run(userId, record.recordId);
          deleted++;
          outcome.bytesFreed += utf8Length(stored.body as string);
        }
      }
      if (deleted > 0) {
        this.store.recordChange(userId, -deleted, { changeId: archiveChangeId('archive', change.manifestId, userId), changeType: 'archive', at: change.at }, deleted);
      }
      outcome.deleted += deleted;
    }
    outcome.changedRows.sort((a, b) => a - b);
    return outcome;
  }

  async restoreArchivedRows<T extends ArchiveTable>(table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange, options: { dryRun?: boolean } = {}): Promise<RestoreOutcome> {
    const write = options.dryRun !== true;
    return this.store.run(() =>
      this.db.transaction((): RestoreOutcome => {
        switch (table) {
          case 'watch_records':
            return this.restoreRecords(rows as readonly ArchivedRecord[], change, write);
          case 'precomputed_aggregations':
            return this.restoreMatching(
              rows as readonly StoredAggregation[],
              (row) => [`SELECT * FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`, [row.userId, row.aggregationType, row.filterHash]],
              (stored, row) => aggregationHeaderText({ ...digestOf(stored), filters: JSON.parse(stored.filters as string) as Filters }) === aggregationHeaderText(row),
              write
                ? (row) =>
                    this.db
                      .prepare(
                        `INSERT INTO precomputed_aggregations (user_id, aggregation_type, filter_hash, version, filters, data, data_hash, as_of,
                           time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                      )
                      .run(
                        row.userId,
                        row.aggregationType,
                        row.filterHash,
                        row.version,
                        filtersText(row.filters),
                        canonicalJson(row.data),
                        row.dataHash,
                        row.asOf,
                        row.timeZone,
                        row.computedAt,
                        row.expiresAt,
                        row.metadata.recordCount,
                        row.metadata.computeMs,
                        row.metadata.bytes,
                        row.recordsRevision ?? null,
                      )
                : null,
            );
          case 'data_change_log':
            return this.restoreMatching(
              rows as readonly ChangeEntry[],
              (row) => [`SELECT * FROM data_change_log WHERE change_id = ?`, [row.changeId]],
              (stored, row) => canonicalJson(changeOf(stored)) === canonicalJson(row),
              write
                ? (row) =>
                    this.db
                      .prepare(
                        `INSERT INTO data_change_log (change_id, user_id, change_type, record_count, changed_at, processed, processed_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
                      )
                      .run(row.changeId, row.userId, row.changeType, row.recordCount, row.changedAt, row.processed ? 1 : 0, row.processedAt, row.revision ?? null)
                : null,
            );
          case 'agg_runs':
            return this.restoreMatching(
              rows as readonly RunRecord[],
              (row) => [`SELECT * FROM agg_runs WHERE run_id = ?`, [row.runId]],
              (stored, row) => canonicalJson(runOf(stored)) === canonicalJson(row),
              write
                ? (row) => this.db.prepare(`INSERT INTO agg_runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...runValues(row))
                : null,
            );
          default:
            throw new Error(`not an archivable table: ${String(table)}`);
        }
      }).immediate(),
    );
  }

  private restoreMatching<R>(rows: readonly R[], find: (row: R) => [string, unknown[]], same: (stored: Row, row: R) => boolean, insert: ((row: R) => void) | null): RestoreOutcome {
    let inserted = 0;
    let identical = 0;
    let conflicting = 0;
    for (const row of rows) {
      const [sql, key] = find(row);
      const stored = this.db.prepare(sql).get(...key) as Row | undefined;
      if (!stored) {
        insert?.(row);
        inserted++;
      } else if (same(stored, row)) identical++;
      else conflicting++;
    }
    return { inserted, identical, conflicting };
  }

  private restoreRecords(records: readonly ArchivedRecord[], change: ArchiveChange, write: boolean): RestoreOutcome {
    const select = this.db.prepare(`SELECT body FROM watch_records WHERE user_id = ? AND record_id = ?`);
    const insert = this.db.prepare(`INSERT INTO watch_records (user_id, record_id, watched_at, body) VALUES (?, ?, ?, ?)`);
    let inserted = 0;
    let identical = 0;
    let conflicting = 0;
    for (const [userId, group] of groupByUser(records)) {
      let added = 0;
      for (const record of group) {
        const stored = storedOf(record);
        const existing = select.get(userId, stored.recordId) as Row | undefined;
        if (!existing) {
          if (write) insert.run(userId, stored.recordId, stored.watchedAt, JSON.stringify(stored));
          added++;
        } else if (storedRecordText(JSON.parse(existing.body as string) as StoredRecord) === storedRecordText(stored)) identical++;
        else conflicting++;
      }
      if (write && added > 0) {
        this.store.recordChange(userId, added, { changeId: archiveChangeId('restore', change.manifestId, userId), changeType: 'restore', at: change.at }, added);
      }
      inserted += added;
    }
    return { inserted, identical, conflicting };
  }

  // Manifests

  async listArchiveManifests(): Promise<ArchiveManifestRow[]> {
    return this.store.run(() => (this.db.prepare(`SELECT * FROM archive_manifests ORDER BY manifest_id`).all() as Row[]).map(manifestOf));
  }

  async getArchiveManifest(manifestId: string): Promise<ArchiveManifestRow | null> {
    return this.store.run(() => {
      const row = this.db.prepare(`SELECT * FROM archive_manifests WHERE manifest_id = ?`).get(manifestId) as Row | undefined;
      return row ? manifestOf(row) : null;
    });
  }

  async putArchiveManifest(row: ArchiveManifestRow, expectedStatus: ManifestStatus | null): Promise<ManifestWriteOutcome> {
    return this.store.run(() =>
      this.db.transaction((): ManifestWriteOutcome => {
        const existing = this.db.prepare(`SELECT * FROM archive_manifests WHERE manifest_id = ?`).get(row.manifestId) as Row | undefined;
        const current = existing ? manifestOf(existing) : null;
        if (current && canonicalJson(current) === canonicalJson(row)) return { applied: true };
        if ((current?.status ?? null) !== expectedStatus) return { applied: false, current: current?.status ?? null };
        this.db
          .prepare(
            `INSERT OR REPLACE INTO archive_manifests (manifest_id, created_at, destination, tables, row_count, bytes, status, verified_at, manifest)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(row.manifestId, row.createdAt, row.destination, JSON.stringify(row.tables), row.rowCount, row.bytes, row.status, row.verifiedAt, JSON.stringify(row.manifest));
        return { applied: true };
      }).immediate(),
    );
  }

  async deleteArchiveManifest(manifestId: string, expectedStatus: ManifestStatus): Promise<boolean> {
    return this.store.run(() =>
      this.db.transaction(() => {
        const existing = this.db.prepare(`SELECT status FROM archive_manifests WHERE manifest_id = ?`).get(manifestId) as Row | undefined;
        if (!existing) return true;
        if (existing.status !== expectedStatus) return false;
        this.db.prepare(`DELETE FROM archive_manifests WHERE manifest_id = ?`).run(manifestId);
        return true;
      }).immediate(),
    );
  }
}
