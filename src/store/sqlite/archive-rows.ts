import type Database from 'better-sqlite3';
import type { Filters } from '../../core/filters.js';
import { canonicalJson, utf8Length } from '../../core/json.js';
import {
  type ArchiveChange,
  type ArchiveRowOf,
  type ArchiveTable,
  type ArchivedRecord,
  type ConditionalDeleteOutcome,
  type RestoreOutcome,
  aggregationHeaderText,
  archiveChangeId,
  groupByUser,
  indexesByUser,
} from '../maintenance.js';
import { type StoredRecord, fromStoredRecord, storedRecordText, toStoredRecord } from '../record-codec.js';
import type { ChangeEntry, Page, PageRequest, RunRecord, StoredAggregation } from '../types.js';
import { putContent, releaseContent } from './contents.js';
import { recordChange } from './records-change.js';
import { RUN_COLUMNS, type Row, afterKey, changeOf, decodeCursor, digestOf, page, runOf, runValues } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// The rows `agg archive` moves out of the embedded store and back: paged for export, deleted only while
// the store holds exactly the archived copy, restored where their key is free. Records keep user_stats
// exact and extend the archive's change-log entry of each user.

type Outcome = { deleted: number; changed: number; changedRows: number[]; missing: number; bytesFreed: number };

/** Filters as the embedded store writes them (the field order of canonicalFilters). */
function filtersText(filters: Filters): string {
  return JSON.stringify({ timeframe: filters.timeframe, product: filters.product, topics: [...filters.topics], channels: [...filters.channels] });
}

function storedOf(record: ArchivedRecord): StoredRecord {
  const { userId, ...stored } = record;
  // Through the codec, so the body text is the one putRecords would have written.
  return toStoredRecord(fromStoredRecord(stored));
}

export async function pageArchivableRecords(store: SqliteContext, userId: string, before: string, request: PageRequest): Promise<Page<ArchivedRecord>> {
  return store.run(() => {
    const limit = request.limit ?? 4000;
    const key = afterKey(['watched_at', 'record_id'], request.cursor === null ? null : decodeCursor(request.cursor, 2));
    const rows = store.db
      .prepare(
        `SELECT record_id, watched_at, body FROM watch_records
         WHERE user_id = ? AND watched_at IS NOT NULL AND watched_at < ?${key.and}
         ORDER BY watched_at, record_id LIMIT ?`,
      )
      .all(userId, before, ...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.watched_at, row.record_id] as string[], (row) => ({ userId, ...(JSON.parse(row.body as string) as StoredRecord) }));
  });
}

export async function deleteArchivedRows<T extends ArchiveTable>(store: SqliteContext, table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange): Promise<ConditionalDeleteOutcome> {
  return store.run(() =>
    store.db.transaction((): ConditionalDeleteOutcome => {
      switch (table) {
        case 'watch_records':
          return deleteRecords(store.db, rows as readonly ArchivedRecord[], change);
        case 'precomputed_aggregations':
          return deleteMatching(
            store.db,
            rows as readonly StoredAggregation[],
            (row) => [`SELECT * FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`, [row.userId, row.aggregationType, row.filterHash]],
            (stored, row) => aggregationHeaderText({ ...digestOf(stored), filters: JSON.parse(stored.filters as string) as Filters }) === aggregationHeaderText(row),
            (stored) => stored.bytes as number,
            `DELETE FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
            (stored) => releaseContent(store.db, stored.user_id as string, stored.data_hash as string),
          );
        case 'data_change_log':
          return deleteMatching(
            store.db,
            rows as readonly ChangeEntry[],
            (row) => [`SELECT * FROM data_change_log WHERE change_id = ?`, [row.changeId]],
            (stored, row) => canonicalJson(changeOf(stored)) === canonicalJson(row),
            (stored) => utf8Length(JSON.stringify(changeOf(stored))),
            `DELETE FROM data_change_log WHERE change_id = ?`,
          );
        case 'agg_runs':
          return deleteMatching(
            store.db,
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

function deleteMatching<R>(
  db: Database.Database,
  rows: readonly R[],
  find: (row: R) => [string, unknown[]],
  same: (stored: Row, row: R) => boolean,
  bytes: (stored: Row) => number,
  removeSql: string,
  afterDelete?: (stored: Row) => void,
): Outcome {
  const outcome: Outcome = { deleted: 0, changed: 0, changedRows: [], missing: 0, bytesFreed: 0 };
  for (const [index, row] of rows.entries()) {
    const [sql, key] = find(row);
    const stored = db.prepare(sql).get(...key) as Row | undefined;
    if (!stored) outcome.missing++;
    else if (!same(stored, row)) {
      outcome.changed++;
      outcome.changedRows.push(index);
    } else {
      db.prepare(removeSql).run(...key);
      afterDelete?.(stored);
      outcome.deleted++;
      outcome.bytesFreed += bytes(stored);
    }
  }
  return outcome;
}

function deleteRecords(db: Database.Database, records: readonly ArchivedRecord[], change: ArchiveChange): Outcome {
  const select = db.prepare(`SELECT body FROM watch_records WHERE user_id = ? AND record_id = ?`);
  const remove = db.prepare(`DELETE FROM watch_records WHERE user_id = ? AND record_id = ?`);
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
      recordChange(db, userId, -deleted, { changeId: archiveChangeId('archive', change.manifestId, userId), changeType: 'archive', at: change.at }, deleted);
    }
    outcome.deleted += deleted;
  }
  outcome.changedRows.sort((a, b) => a - b);
  return outcome;
}

export async function restoreArchivedRows<T extends ArchiveTable>(store: SqliteContext, table: T, rows: readonly ArchiveRowOf[T][], change: ArchiveChange, options: { dryRun?: boolean } = {}): Promise<RestoreOutcome> {
  const write = options.dryRun !== true;
  return store.run(() =>
    store.db.transaction((): RestoreOutcome => {
      switch (table) {
        case 'watch_records':
          return restoreRecords(store.db, rows as readonly ArchivedRecord[], change, write);
        case 'precomputed_aggregations':
          return restoreMatching(
            store.db,
            rows as readonly StoredAggregation[],
            (row) => [`SELECT * FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`, [row.userId, row.aggregationType, row.filterHash]],
            (stored, row) => aggregationHeaderText({ ...digestOf(stored), filters: JSON.parse(stored.filters as string) as Filters }) === aggregationHeaderText(row),
            write
              ? (row) => {
                  // The archived data is the content its dataHash names (restore only where the key is free).
                  putContent(store.db, row.userId, row.dataHash, canonicalJson(row.data));
                  store.db
                    .prepare(
                      `INSERT INTO precomputed_aggregations (user_id, aggregation_type, filter_hash, version, filters, data_hash, as_of,
                         time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                    )
                    .run(
                      row.userId,
                      row.aggregationType,
                      row.filterHash,
                      row.version,
                      filtersText(row.filters),
                      row.dataHash,
                      row.asOf,
                      row.timeZone,
                      row.computedAt,
                      row.expiresAt,
                      row.metadata.recordCount,
                      row.metadata.computeMs,
                      row.metadata.bytes,
                      row.recordsRevision ?? null,
                    );
                }
              : null,
          );
        case 'data_change_log':
          return restoreMatching(
            store.db,
            rows as readonly ChangeEntry[],
            (row) => [`SELECT * FROM data_change_log WHERE change_id = ?`, [row.changeId]],
            (stored, row) => canonicalJson(changeOf(stored)) === canonicalJson(row),
            write
              ? (row) =>
                  store.db
                    .prepare(
                      `INSERT INTO data_change_log (change_id, user_id, change_type, record_count, changed_at, processed, processed_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
                    )
                    .run(row.changeId, row.userId, row.changeType, row.recordCount, row.changedAt, row.processed ? 1 : 0, row.processedAt, row.revision ?? null)
              : null,
          );
        case 'agg_runs':
          return restoreMatching(
            store.db,
            rows as readonly RunRecord[],
            (row) => [`SELECT * FROM agg_runs WHERE run_id = ?`, [row.runId]],
            (stored, row) => canonicalJson(runOf(stored)) === canonicalJson(row),
            write
              ? (row) => store.db.prepare(`INSERT INTO agg_runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...runValues(row))
              : null,
          );
        default:
          throw new Error(`not an archivable table: ${String(table)}`);
      }
    }).immediate(),
  );
}

function restoreMatching<R>(db: Database.Database, rows: readonly R[], find: (row: R) => [string, unknown[]], same: (stored: Row, row: R) => boolean, insert: ((row: R) => void) | null): RestoreOutcome {
  let inserted = 0;
  let identical = 0;
  let conflicting = 0;
  for (const row of rows) {
    const [sql, key] = find(row);
    const stored = db.prepare(sql).get(...key) as Row | undefined;
    if (!stored) {
      insert?.(row);
      inserted++;
    } else if (same(stored, row)) identical++;
    else conflicting++;
  }
  return { inserted, identical, conflicting };
}

function restoreRecords(db: Database.Database, records: readonly ArchivedRecord[], change: ArchiveChange, write: boolean): RestoreOutcome {
  const select = db.prepare(`SELECT body FROM watch_records WHERE user_id = ? AND record_id = ?`);
  const insert = db.prepare(`INSERT INTO watch_records (user_id, record_id, watched_at, body) VALUES (?, ?, ?, ?)`);
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
      recordChange(db, userId, added, { changeId: archiveChangeId('restore', change.manifestId, userId), changeType: 'restore', at: change.at }, added);
    }
    inserted += added;
  }
  return { inserted, identical, conflicting };
}
