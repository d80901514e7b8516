import { createHash } from 'node:crypto';
import type { Filters } from '../../core/filters.js';
import type { JsonValue } from '../../core/json.js';
import { StoreIntegrityError } from '../errors.js';
import type {
  AggregationDigest,
  AggregationKey,
  AggregationWrite,
  DeleteOutcome,
  DeletionKey,
  Page,
  PageRequest,
  RefreshItem,
  RefreshOutcome,
  StoredAggregation,
  UpsertOptions,
  UpsertOutcome,
} from '../types.js';
import { HEADER_WITH_DATA, putContent, releaseContent } from './contents.js';
import { type Row, afterKey, decodeCursor, digestOf, page } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// Stored aggregations in the embedded store: every result is one header row; its data lives once per
// (user, dataHash) in aggregation_contents (contents.ts), written and released in the header's transaction.

export async function listDigests(store: SqliteContext, userId: string): Promise<AggregationDigest[]> {
  return store.run(() =>
    (
      store.db
        .prepare(
          `SELECT user_id, aggregation_type, filter_hash, version, data_hash, as_of, time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision
           FROM precomputed_aggregations WHERE user_id = ? ORDER BY aggregation_type, filter_hash`,
        )
        .all(userId) as Row[]
    ).map(digestOf),
  );
}

export async function upsertAggregations(store: SqliteContext, items: readonly AggregationWrite[], options: UpsertOptions = {}): Promise<UpsertOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(
        `SELECT version, data_hash, expires_at, records_revision, computed_at FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
      );
      const refresh = store.db.prepare(`UPDATE precomputed_aggregations SET expires_at = ? WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
      // Recomputed and equal: the row is now this revision's, verified at computedAt.
      const verified = store.db.prepare(
        `UPDATE precomputed_aggregations SET expires_at = ?, records_revision = ?, computed_at = ? WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
      );
      const write = store.db.prepare(
        `INSERT OR REPLACE INTO precomputed_aggregations (user_id, aggregation_type, filter_hash, version, filters, data_hash, as_of,
           time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      let written = 0;
      let unchanged = 0;
      let bytesWritten = 0;
      for (const item of items) {
        const existing = select.get(item.userId, item.aggregationType, item.filterHash) as Row | undefined;
        if (existing && options.force !== true && existing.data_hash === item.dataHash && existing.version === item.version) {
          if (item.recordsRevision != null && (existing.records_revision !== item.recordsRevision || existing.computed_at !== item.computedAt)) {
            verified.run(item.expiresAt, item.recordsRevision, item.computedAt, item.userId, item.aggregationType, item.filterHash);
          } else if (existing.expires_at !== item.expiresAt) refresh.run(item.expiresAt, item.userId, item.aggregationType, item.filterHash);
          unchanged++;
          continue;
        }
        // Data another header of the user already holds is not written again: only the header is.
        putContent(store.db, item.userId, item.dataHash, item.json, options.force === true);
        write.run(
          item.userId,
          item.aggregationType,
          item.filterHash,
          item.version,
          JSON.stringify(item.filters),
          item.dataHash,
          item.asOf,
          item.timeZone,
          item.computedAt,
          item.expiresAt,
          item.metadata.recordCount,
          item.metadata.computeMs,
          item.metadata.bytes,
          item.recordsRevision ?? null,
        );
        if (existing && existing.data_hash !== item.dataHash) releaseContent(store.db, item.userId, existing.data_hash as string);
        written++;
        bytesWritten += item.metadata.bytes;
      }
      return { written, unchanged, bytesWritten };
    }).immediate(),
  );
}

export async function refreshAggregations(store: SqliteContext, items: readonly RefreshItem[]): Promise<RefreshOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(
        `SELECT a.version, a.data_hash, a.records_revision, a.computed_at, u.records_revision AS current_revision
         FROM precomputed_aggregations a LEFT JOIN user_stats u ON u.user_id = a.user_id
         WHERE a.user_id = ? AND a.aggregation_type = ? AND a.filter_hash = ?`,
      );
      const refresh = store.db.prepare(
        `UPDATE precomputed_aggregations SET expires_at = ?, records_revision = ?, computed_at = ? WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
      );
      let refreshed = 0;
      const mismatched: AggregationKey[] = [];
      for (const item of items) {
        const row = select.get(item.userId, item.aggregationType, item.filterHash) as Row | undefined;
        // A renewal holds only while the row is still computed from the user's current records.
        const current = row !== undefined && row.records_revision !== null && row.records_revision === row.current_revision;
        if (!row || row.version !== item.version || row.data_hash !== item.dataHash || (item.renewal === true && !current)) {
          mismatched.push({ userId: item.userId, aggregationType: item.aggregationType, filterHash: item.filterHash });
          continue;
        }
        refresh.run(item.expiresAt, item.recordsRevision ?? row.records_revision, item.computedAt ?? row.computed_at, item.userId, item.aggregationType, item.filterHash);
        refreshed++;
      }
      return { refreshed, mismatched };
    }).immediate(),
  );
}

export async function pageAllDigests(store: SqliteContext, request: PageRequest): Promise<Page<AggregationDigest>> {
  return store.run(() => {
    const limit = request.limit ?? 2000;
    const key = afterKey(['user_id', 'aggregation_type', 'filter_hash'], request.cursor === null ? null : decodeCursor(request.cursor, 3));
    const rows = store.db
      .prepare(
        `SELECT user_id, aggregation_type, filter_hash, version, data_hash, as_of, time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision
         FROM precomputed_aggregations
         WHERE TRUE${key.and}
         ORDER BY user_id, aggregation_type, filter_hash LIMIT ?`,
      )
      .all(...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.user_id, row.aggregation_type, row.filter_hash] as string[], digestOf);
  });
}

export async function readAggregation(store: SqliteContext, key: AggregationKey): Promise<StoredAggregation | null> {
  return store.run(() => {
    const row = store.db
      .prepare(`${HEADER_WITH_DATA} WHERE a.user_id = ? AND a.aggregation_type = ? AND a.filter_hash = ?`)
      .get(key.userId, key.aggregationType, key.filterHash) as Row | undefined;
    return row ? storedOf(row) : null;
  });
}

export async function pageUserAggregations(store: SqliteContext, userId: string, request: PageRequest): Promise<Page<StoredAggregation>> {
  return store.run(() => {
    const limit = request.limit ?? 500;
    const key = afterKey(['a.aggregation_type', 'a.filter_hash'], request.cursor === null ? null : decodeCursor(request.cursor, 2));
    const rows = store.db
      .prepare(`${HEADER_WITH_DATA} WHERE a.user_id = ?${key.and} ORDER BY a.aggregation_type, a.filter_hash LIMIT ?`)
      .all(userId, ...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.aggregation_type, row.filter_hash] as string[], (row) => storedOf(row));
  });
}

/** A header row joined with its content (HEADER_WITH_DATA) as the stored aggregation. */
export function storedOf(row: Row): StoredAggregation {
  if (row.data === null || row.data === undefined) {
    throw new StoreIntegrityError(`stored data of ${String(row.aggregation_type)} for user ${String(row.user_id)} is missing (no content for its dataHash)`);
  }
  // One content serves every header of the user with its dataHash: it must be what the hash names.
  if (createHash('sha256').update(row.data as string, 'utf8').digest('hex') !== row.data_hash) {
    throw new StoreIntegrityError(`stored data of ${String(row.aggregation_type)} for user ${String(row.user_id)} does not match its dataHash`);
  }
  let data: JsonValue;
  try {
    data = JSON.parse(row.data as string) as JsonValue;
  } catch {
    throw new StoreIntegrityError(`stored data of ${String(row.aggregation_type)} for user ${String(row.user_id)} is not valid JSON`);
  }
  return { ...digestOf(row), filters: JSON.parse(row.filters as string) as Filters, data };
}

export async function deleteAggregations(store: SqliteContext, keys: readonly DeletionKey[]): Promise<DeleteOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(
        `SELECT data_hash, expires_at, bytes FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
      );
      const remove = store.db.prepare(`DELETE FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
      let deleted = 0;
      let missing = 0;
      let bytesFreed = 0;
      for (const key of keys) {
        const row = select.get(key.userId, key.aggregationType, key.filterHash) as Row | undefined;
        if (!row) {
          missing++;
          continue;
        }
        if (key.onlyIfExpiresBefore !== undefined && !((row.expires_at as string) < key.onlyIfExpiresBefore)) continue;
        if (key.onlyIfDataHash !== undefined && row.data_hash !== key.onlyIfDataHash) continue;
        remove.run(key.userId, key.aggregationType, key.filterHash);
        releaseContent(store.db, key.userId, row.data_hash as string);
        deleted++;
        bytesFreed += row.bytes as number;
      }
      return { deleted, missing, bytesFreed };
    }).immediate(),
  );
}

export async function pageExpired(store: SqliteContext, before: string, request: PageRequest): Promise<Page<AggregationDigest>> {
  return store.run(() => {
    const limit = request.limit ?? 2000;
    const key = afterKey(['expires_at', 'user_id', 'aggregation_type', 'filter_hash'], request.cursor === null ? null : decodeCursor(request.cursor, 4));
    const rows = store.db
      .prepare(
        `SELECT user_id, aggregation_type, filter_hash, version, data_hash, as_of, time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision
         FROM precomputed_aggregations
         WHERE expires_at < ?${key.and}
         ORDER BY expires_at, user_id, aggregation_type, filter_hash LIMIT ?`,
      )
      .all(before, ...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.expires_at, row.user_id, row.aggregation_type, row.filter_hash] as string[], digestOf);
  });
}
