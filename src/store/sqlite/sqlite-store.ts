import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Filters } from '../../core/filters.js';
import { canonicalFilters, filterHash } from '../../core/filters.js';
import type { JsonValue } from '../../core/json.js';
import type { InputRecord } from '../../core/record.js';
import { nextRecordsRevision } from '../../core/records-revision.js';
import { StoreError, StoreIntegrityError, StoreNotFoundError } from '../errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from '../retry.js';
import { type StoredRecord, fromStoredRecord, toStoredRecord } from '../record-codec.js';
import type {
  GridFreshnessFloor,
  GridFreshnessOutcome,
  UserDeletionStep,
  AggregationDigest,
  AggregationKey,
  AggregationWrite,
  ChangeEntry,
  ChangeStamp,
  ChangeType,
  ChangeVersion,
  DeleteOutcome,
  DeletionKey,
  FilterCombination,
  FlagChange,
  FlagChangeOutcome,
  Lease,
  LeaseOutcome,
  LeaseRequest,
  OverrideMode,
  Page,
  PageRequest,
  PendingUser,
  RecordWrite,
  RefreshItem,
  RefreshOutcome,
  RecordWriteOutcome,
  RolloutEvent,
  RolloutFlag,
  RolloutOverride,
  RunRecord,
  RunStatus,
  StoredAggregation,
  UpsertOptions,
  UpsertOutcome,
  UserSummary,
  UserValidation,
} from '../types.js';
import type { Store } from '../store.js';
import { aggregationDigestSchema } from '../types.js';
import { QUICK_CHECK_MAX_BYTES, SCHEMA_VERSION, checkTables, migrate, quickCheck, schemaVersion } from './schema-state.js';
import { sqliteStoreError } from './sqlite-errors.js';
import { StoreFileGuard, createStoreFile, inspectStoreFile } from './store-file.js';
import { SqliteMaintenance } from './sqlite-maintenance.js';
import { type Row, changeOf, decodeCursor, digestOf, encodeCursor, eventOf, flagOf, leaseOf, runOf, runValues, userOf, RUN_COLUMNS } from './rows.js';

export const LOCAL_DB_FILE = 'agg.db';

/**
 * How long one call waits for another process's write lock before it fails as busy (and is retried under
 * the retry policy). The wait blocks the event loop, so it is kept short; the retries wait asynchronously.
 */
export const BUSY_TIMEOUT_MS = 5_000;

export interface SqliteOpenOptions {
  /** Commands that only read: no database is a StoreNotFoundError, nothing is created. */
  readonly mustExist?: boolean;
  /** Retries of a busy call (`--retries`); default DEFAULT_RETRY_POLICY. */
  readonly retry?: RetryPolicy;
  /** Default BUSY_TIMEOUT_MS. */
  readonly busyTimeoutMs?: number;
}

/** WAL (readers never wait for the writer), the store's durability, and the schema brought up to date. */
function prepareDatabase(db: Database.Database, path: string | null): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  migrate(db, path);
}

/** The tables holding a user's data, in deletion order (results before the stats that serve them). */
const USER_TABLES = [
  { table: 'watch_records', key: 'user_id, record_id' },
  { table: 'precomputed_aggregations', key: 'user_id, aggregation_type, filter_hash' },
  { table: 'filter_combinations', key: 'user_id, filter_hash' },
  { table: 'data_change_log', key: 'change_id' },
  { table: 'rollout_overrides', key: 'flag, user_id' },
  { table: 'user_validations', key: 'user_id' },
  { table: 'user_stats', key: 'user_id' },
] as const;
const USER_DELETE_STEP = 2000;

/**
 * The embedded store: one SQLite file (WAL mode), a transaction per batch, schema migrations on open.
 * Same contract as ConvexStore; used whenever no deployment is configured. Other agg processes may use
 * the file at once: every write transaction begins IMMEDIATE (takes the write lock before it reads, so
 * a reader turning writer never fails on a stale snapshot), waits out another's lock for the busy
 * timeout, and is retried under the one retry policy beyond that.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly description: string;
  readonly stats = { calls: 0, retries: 0 };
  private readonly db: Database.Database;
  readonly maintenance: SqliteMaintenance;

  private readonly path: string | null;
  private readonly guard: StoreFileGuard | null;
  private readonly retry: RetryPolicy;

  private constructor(db: Database.Database, description: string, path: string | null, retry: RetryPolicy) {
    this.db = db;
    this.description = description;
    this.path = path;
    this.retry = retry;
    this.guard = path === null ? null : new StoreFileGuard(path);
    this.maintenance = new SqliteMaintenance(db, {
      run: (operation) => this.run(operation),
      recordChange: (userId, countDelta, change, recordCount) => this.recordChange(userId, countDelta, change, recordCount),
    });
  }

  /**
   * Opens the store file in `dir`, creating it when there is none; ':memory:' gives a private in-memory
   * store. A file that is empty or not SQLite is refused, never initialized over; a damaged one (a
   * failed quick_check, a missing table) too. With `mustExist` (commands that only read) nothing is
   * created: no database is a StoreNotFoundError.
   */
  static open(dir: string, options: SqliteOpenOptions = {}): SqliteStore {
    const retry = options.retry ?? DEFAULT_RETRY_POLICY;
    if (dir === ':memory:') {
      const db = new Database(':memory:');
      prepareDatabase(db, null);
      return new SqliteStore(db, 'in-memory embedded store', null, retry);
    }
    const directory = resolve(dir);
    const path = join(directory, LOCAL_DB_FILE);
    let db: Database.Database;
    try {
      if (inspectStoreFile(path) === 'missing') {
        if (options.mustExist) throw new StoreNotFoundError(directory);
        mkdirSync(directory, { recursive: true });
        createStoreFile(path, (created) => prepareDatabase(created, path));
      }
      // Never created by SQLite itself: a file that vanished since is an error, not a new empty store.
      db = new Database(path, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS, fileMustExist: true });
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(`cannot open the embedded store at ${path}: ${(error as Error).message}`, 'permanent');
    }
    try {
      const version = schemaVersion(db);
      // Every page is read when that is cheap, and always before another agg version's store is migrated.
      if (version !== SCHEMA_VERSION || statSync(path).size <= QUICK_CHECK_MAX_BYTES) quickCheck(db, path);
      prepareDatabase(db, path);
      checkTables(db, path);
      return new SqliteStore(db, `embedded store at ${path}`, path, retry);
    } catch (error) {
      db.close();
      throw sqliteStoreError(error, path) ?? new StoreError(`cannot prepare the embedded store at ${path}: ${(error as Error).message}`, 'permanent');
    }
  }

  /**
   * Runs one store operation (one statement or one transaction) under the retry policy: each attempt
   * first checks that the file is still the one opened, and SQLite's failures become StoreErrors
   * (busy: transient; damaged, deleted, unwritable: permanent).
   */
  private run<T>(operation: () => T): Promise<T> {
    return withRetry(() => this.attempt(operation), this.retry, this.stats);
  }

  private attempt<T>(operation: () => T): T {
    try {
      this.guard?.check();
      const result = operation();
      // A write that landed in a file deleted meanwhile is lost: the caller must not count it as saved.
      this.guard?.check();
      return result;
    } catch (error) {
      throw sqliteStoreError(error, this.path) ?? error;
    }
  }

  private page<T>(rows: Row[], limit: number, keyOf: (row: Row) => string[], map: (row: Row) => T): Page<T> {
    const isDone = rows.length <= limit;
    const kept = rows.slice(0, limit);
    return { items: kept.map(map), cursor: isDone || kept.length === 0 ? null : encodeCursor(keyOf(kept[kept.length - 1]!)), isDone };
  }

  // Users and records

  async listUsers(request: PageRequest): Promise<Page<UserSummary>> {
    return this.run(() => {
      const limit = request.limit ?? 1000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 1)[0]!;
      const rows = this.db
        .prepare(`SELECT * FROM user_stats WHERE (? IS NULL OR user_id > ?) ORDER BY user_id LIMIT ?`)
        .all(after, after, limit + 1) as Row[];
      return this.page(rows, limit, (row) => [row.user_id as string], userOf);
    });
  }

  async getUser(userId: string): Promise<UserSummary | null> {
    return this.run(() => {
      const row = this.db.prepare(`SELECT * FROM user_stats WHERE user_id = ?`).get(userId) as Row | undefined;
      return row ? userOf(row) : null;
    });
  }

  /** Keeps user_stats exact and makes a new records revision, which it returns (for the change-log entry). */
  private touchStats(userId: string, countDelta: number, change: { changeId: string; at: string }): string {
    const at = change.at;
    const current = this.db.prepare(`SELECT record_count, records_revision FROM user_stats WHERE user_id = ?`).get(userId) as Row | undefined;
    const revision = nextRecordsRevision((current?.records_revision as string | null | undefined) ?? null, change);
    const recordCount = ((current?.record_count as number | undefined) ?? 0) + countDelta;
    if (recordCount <= 0) {
      this.db.prepare(`DELETE FROM user_stats WHERE user_id = ?`).run(userId);
      return revision;
    }
    const bounds = this.db
      .prepare(`SELECT MIN(watched_at) AS first, MAX(watched_at) AS last FROM watch_records WHERE user_id = ? AND watched_at IS NOT NULL`)
      .get(userId) as Row;
    this.db
      .prepare(
        `INSERT INTO user_stats (user_id, record_count, first_watched_at, last_watched_at, last_change_at, records_revision) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET record_count = excluded.record_count, first_watched_at = excluded.first_watched_at,
           last_watched_at = excluded.last_watched_at, last_change_at = excluded.last_change_at, records_revision = excluded.records_revision`,
      )
      .run(userId, recordCount, bounds.first ?? null, bounds.last ?? null, at, revision);
    return revision;
  }

  private extendChange(userId: string, change: ChangeStamp, recordCount: number, revision: string): void {
    this.db
      .prepare(
        `INSERT INTO data_change_log (change_id, user_id, change_type, record_count, changed_at, processed, processed_at, revision)
         VALUES (?, ?, ?, ?, ?, 0, NULL, ?)
         ON CONFLICT (change_id) DO UPDATE SET record_count = record_count + excluded.record_count,
           changed_at = excluded.changed_at, processed = 0, processed_at = NULL, revision = excluded.revision`,
      )
      .run(change.changeId, userId, change.changeType, recordCount, change.at, revision);
  }

  /** A records change: the new revision in user_stats and in the change-log entry, in the caller's transaction. */
  private recordChange(userId: string, countDelta: number, change: ChangeStamp, recordCount: number): void {
    this.extendChange(userId, change, recordCount, this.touchStats(userId, countDelta, change));
  }

  async raiseGridFreshness(floors: readonly GridFreshnessFloor[], now: string): Promise<GridFreshnessOutcome> {
    if (floors.length === 0) return { raised: 0, refused: [] };
    return this.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(`SELECT grid_fresh_until FROM user_stats WHERE user_id = ?`);
        const raise = this.db.prepare(`UPDATE user_stats SET grid_fresh_until = ? WHERE user_id = ?`);
        let raised = 0;
        const refused: string[] = [];
        for (const floor of floors) {
          const current = ((select.get(floor.userId) as Row | undefined)?.grid_fresh_until as string | null | undefined) ?? null;
          if (current === null || current < now) refused.push(floor.userId);
          else if (current < floor.atLeast) raised += raise.run(floor.atLeast, floor.userId).changes;
        }
        return { raised, refused };
      }).immediate(),
    );
  }

  async setGridFreshness(userId: string, freshUntil: string | null): Promise<void> {
    await this.run(() => this.db.prepare(`UPDATE user_stats SET grid_fresh_until = ? WHERE user_id = ?`).run(freshUntil, userId));
  }

  async putRecords(write: RecordWrite): Promise<RecordWriteOutcome> {
    return this.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(`SELECT body FROM watch_records WHERE user_id = ? AND record_id = ?`);
        const upsert = this.db.prepare(
          `INSERT INTO watch_records (user_id, record_id, watched_at, body) VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id, record_id) DO UPDATE SET watched_at = excluded.watched_at, body = excluded.body`,
        );
        let inserted = 0;
        let updated = 0;
        let unchanged = 0;
        for (const record of write.records) {
          const stored = toStoredRecord(record);
          const body = JSON.stringify(stored);
          const existing = select.get(write.userId, stored.recordId) as Row | undefined;
          if (existing && existing.body === body) {
            unchanged++;
            continue;
          }
          upsert.run(write.userId, stored.recordId, stored.watchedAt, body);
          if (existing) updated++;
          else inserted++;
        }
        if (inserted + updated > 0) {
          this.recordChange(write.userId, inserted, write.change, inserted + updated);
        }
        return { inserted, updated, unchanged };
      }).immediate(),
    );
  }

  async pageRecords(userId: string, request: PageRequest): Promise<Page<InputRecord>> {
    return this.run(() => {
      const limit = request.limit ?? 8000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 1)[0]!;
      const rows = this.db
        .prepare(`SELECT record_id, body FROM watch_records WHERE user_id = ? AND (? IS NULL OR record_id > ?) ORDER BY record_id LIMIT ?`)
        .all(userId, after, after, limit + 1) as Row[];
      return this.page(rows, limit, (row) => [row.record_id as string], (row) => fromStoredRecord(JSON.parse(row.body as string) as StoredRecord));
    });
  }

  async deleteRecords(userId: string, recordIds: readonly string[], change: ChangeStamp): Promise<number> {
    return this.run(() =>
      this.db.transaction(() => {
        const remove = this.db.prepare(`DELETE FROM watch_records WHERE user_id = ? AND record_id = ?`);
        let deleted = 0;
        for (const recordId of recordIds) deleted += remove.run(userId, recordId).changes;
        if (deleted > 0) {
          this.recordChange(userId, -deleted, change, deleted);
        }
        return deleted;
      }).immediate(),
    );
  }

  async deleteUserStep(userId: string): Promise<UserDeletionStep> {
    return this.run(() =>
      this.db.transaction((): UserDeletionStep => {
        for (const { table, key } of USER_TABLES) {
          // A bounded step: at most USER_DELETE_STEP rows, by primary key (the tables have no rowid).
          const deleted = this.db
            .prepare(`DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE user_id = ? LIMIT ${USER_DELETE_STEP})`)
            .run(userId).changes;
          if (deleted > 0) return { deleted, done: false, table };
        }
        return { deleted: 0, done: true, table: null };
      }).immediate(),
    );
  }

  // Change log

  async *pendingUsers(): AsyncIterable<PendingUser> {
    let after: string | null = null;
    for (;;) {
      const users = await this.run(
        () =>
          this.db
            .prepare(`SELECT DISTINCT user_id FROM data_change_log WHERE processed = 0 AND (? IS NULL OR user_id > ?) ORDER BY user_id LIMIT 500`)
            .all(after, after) as Row[],
      );
      if (users.length === 0) return;
      for (const { user_id: userId } of users) {
        const rows = await this.run(
          () => this.db.prepare(`SELECT change_id, changed_at, revision FROM data_change_log WHERE processed = 0 AND user_id = ? ORDER BY changed_at, change_id`).all(userId) as Row[],
        );
        if (rows.length === 0) continue;
        yield {
          userId: userId as string,
          changes: rows.map((row) => ({ changeId: row.change_id as string, changedAt: row.changed_at as string, revision: (row.revision as string | null) ?? null })),
          oldestChangedAt: rows[0]!.changed_at as string,
        };
      }
      after = users[users.length - 1]!.user_id as string;
    }
  }

  async listChanges(userId: string): Promise<ChangeEntry[]> {
    return this.run(() =>
      (this.db.prepare(`SELECT * FROM data_change_log WHERE user_id = ? ORDER BY changed_at, change_id`).all(userId) as Row[]).map(changeOf),
    );
  }

  async markChangesProcessed(userId: string, changes: readonly ChangeVersion[], at: string): Promise<number> {
    return this.run(() =>
      this.db.transaction(() => {
        const mark = this.db.prepare(
          `UPDATE data_change_log SET processed = 1, processed_at = ?
           WHERE change_id = ? AND user_id = ? AND processed = 0 AND changed_at = ? AND (? IS NULL OR revision IS ?)`,
        );
        let marked = 0;
        for (const change of changes) marked += mark.run(at, change.changeId, userId, change.changedAt, change.revision ?? null, change.revision ?? null).changes;
        return marked;
      }).immediate(),
    );
  }

  // Aggregations

  async listDigests(userId: string): Promise<AggregationDigest[]> {
    return this.run(() =>
      (
        this.db
          .prepare(
            `SELECT user_id, aggregation_type, filter_hash, version, data_hash, as_of, time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision
             FROM precomputed_aggregations WHERE user_id = ? ORDER BY aggregation_type, filter_hash`,
          )
          .all(userId) as Row[]
      ).map(digestOf),
    );
  }

  async upsertAggregations(items: readonly AggregationWrite[], options: UpsertOptions = {}): Promise<UpsertOutcome> {
    return this.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(
          `SELECT version, data_hash, expires_at, records_revision, computed_at FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
        );
        const refresh = this.db.prepare(`UPDATE precomputed_aggregations SET expires_at = ? WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
        // Recomputed and equal: the row is now this revision's, verified at computedAt.
        const verified = this.db.prepare(
          `UPDATE precomputed_aggregations SET expires_at = ?, records_revision = ?, computed_at = ? WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
        );
        const write = this.db.prepare(
          `INSERT OR REPLACE INTO precomputed_aggregations (user_id, aggregation_type, filter_hash, version, filters, data, data_hash, as_of,
             time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
          write.run(
            item.userId,
            item.aggregationType,
            item.filterHash,
            item.version,
            JSON.stringify(item.filters),
            item.json,
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
          written++;
          bytesWritten += item.metadata.bytes;
        }
        return { written, unchanged, bytesWritten };
      }).immediate(),
    );
  }

  async refreshAggregations(items: readonly RefreshItem[]): Promise<RefreshOutcome> {
    return this.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(
          `SELECT a.version, a.data_hash, a.records_revision, a.computed_at, u.records_revision AS current_revision
           FROM precomputed_aggregations a LEFT JOIN user_stats u ON u.user_id = a.user_id
           WHERE a.user_id = ? AND a.aggregation_type = ? AND a.filter_hash = ?`,
        );
        const refresh = this.db.prepare(
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

  async pageAllDigests(request: PageRequest): Promise<Page<AggregationDigest>> {
    return this.run(() => {
      const limit = request.limit ?? 2000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 3);
      const rows = this.db
        .prepare(
          `SELECT user_id, aggregation_type, filter_hash, version, data_hash, as_of, time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision
           FROM precomputed_aggregations
           WHERE (? IS NULL OR (user_id, aggregation_type, filter_hash) > (?, ?, ?))
           ORDER BY user_id, aggregation_type, filter_hash LIMIT ?`,
        )
        .all(after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, limit + 1) as Row[];
      return this.page(rows, limit, (row) => [row.user_id, row.aggregation_type, row.filter_hash] as string[], digestOf);
    });
  }

  async readAggregation(key: AggregationKey): Promise<StoredAggregation | null> {
    return this.run(() => {
      const row = this.db
        .prepare(`SELECT * FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`)
        .get(key.userId, key.aggregationType, key.filterHash) as Row | undefined;
      return row ? this.storedOf(row) : null;
    });
  }

  async pageUserAggregations(userId: string, request: PageRequest): Promise<Page<StoredAggregation>> {
    return this.run(() => {
      const limit = request.limit ?? 500;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 2);
      const rows = this.db
        .prepare(
          `SELECT * FROM precomputed_aggregations WHERE user_id = ? AND (? IS NULL OR (aggregation_type, filter_hash) > (?, ?))
           ORDER BY aggregation_type, filter_hash LIMIT ?`,
        )
        .all(userId, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1) as Row[];
      return this.page(rows, limit, (row) => [row.aggregation_type, row.filter_hash] as string[], (row) => this.storedOf(row));
    });
  }

  private storedOf(row: Row): StoredAggregation {
    let data: JsonValue;
    try {
      data = JSON.parse(row.data as string) as JsonValue;
    } catch {
      throw new StoreIntegrityError(`stored data of ${String(row.aggregation_type)} for user ${String(row.user_id)} is not valid JSON`);
    }
    return { ...digestOf(row), filters: JSON.parse(row.filters as string) as Filters, data };
  }

  async deleteAggregations(keys: readonly DeletionKey[]): Promise<DeleteOutcome> {
    return this.run(() =>
      this.db.transaction(() => {
        const select = this.db.prepare(
          `SELECT data_hash, expires_at, bytes FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`,
        );
        const remove = this.db.prepare(`DELETE FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
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
          deleted++;
          bytesFreed += row.bytes as number;
        }
        return { deleted, missing, bytesFreed };
      }).immediate(),
    );
  }

  async pageExpired(before: string, request: PageRequest): Promise<Page<AggregationDigest>> {
    return this.run(() => {
      const limit = request.limit ?? 2000;
      const after = request.cursor === null ? null : decodeCursor(request.cursor, 4);
      const rows = this.db
        .prepare(
          `SELECT user_id, aggregation_type, filter_hash, version, data_hash, as_of, time_zone, computed_at, expires_at, record_count, compute_ms, bytes, records_revision
           FROM precomputed_aggregations
           WHERE expires_at < ? AND (? IS NULL OR (expires_at, user_id, aggregation_type, filter_hash) > (?, ?, ?, ?))
           ORDER BY expires_at, user_id, aggregation_type, filter_hash LIMIT ?`,
        )
        .all(before, after?.[0] ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, after?.[3] ?? null, limit + 1) as Row[];
      return this.page(rows, limit, (row) => [row.expires_at, row.user_id, row.aggregation_type, row.filter_hash] as string[], digestOf);
    });
  }

  // Filter combinations

  async listFilterCombinations(userId: string): Promise<FilterCombination[]> {
    return this.run(() =>
      (this.db.prepare(`SELECT * FROM filter_combinations WHERE user_id = ? ORDER BY filter_hash`).all(userId) as Row[]).map((row) => ({
        userId: row.user_id as string,
        filters: JSON.parse(row.filters as string) as Filters,
        filterHash: row.filter_hash as string,
        lastUsed: row.last_used as string,
        usageCount: row.usage_count as number,
      })),
    );
  }

  async recordFilterUse(userId: string, filters: Filters, at: string): Promise<void> {
    const canonical = canonicalFilters(filters);
    await this.run(() =>
      this.db
        .prepare(
          `INSERT INTO filter_combinations (user_id, filter_hash, filters, last_used, usage_count) VALUES (?, ?, ?, ?, 1)
           ON CONFLICT (user_id, filter_hash) DO UPDATE SET usage_count = usage_count + 1, last_used = MAX(last_used, excluded.last_used)`,
        )
        .run(userId, filterHash(canonical), JSON.stringify(canonical), at),
    );
  }

  // Rollout

  async getFlag(flag: string): Promise<RolloutFlag | null> {
    return this.run(() => {
      const row = this.db.prepare(`SELECT * FROM rollout_flags WHERE flag = ?`).get(flag) as Row | undefined;
      return row ? flagOf(row) : null;
    });
  }

  async listFlags(): Promise<RolloutFlag[]> {
    return this.run(() => (this.db.prepare(`SELECT * FROM rollout_flags ORDER BY flag`).all() as Row[]).map(flagOf));
  }

  async listOverrides(flag: string): Promise<RolloutOverride[]> {
    return this.run(() =>
      (this.db.prepare(`SELECT * FROM rollout_overrides WHERE flag = ? ORDER BY user_id`).all(flag) as Row[]).map((row) => ({
        flag: row.flag as string,
        userId: row.user_id as string,
        mode: row.mode as OverrideMode,
      })),
    );
  }

  async applyFlagChange(change: FlagChange): Promise<FlagChangeOutcome> {
    return this.run(() =>
      this.db.transaction((): FlagChangeOutcome => {
        if (this.db.prepare(`SELECT 1 FROM rollout_events WHERE event_id = ?`).get(change.event.eventId)) return { applied: true };
        const current = this.db.prepare(`SELECT updated_at FROM rollout_flags WHERE flag = ?`).get(change.flag.flag) as Row | undefined;
        if (((current?.updated_at as string | undefined) ?? null) !== change.expectedUpdatedAt) return { applied: false, reason: 'conflict' };
        const { flag } = change;
        this.db
          .prepare(
            `INSERT OR REPLACE INTO rollout_flags (flag, basis_points, salt, rolled_back, min_records, require_fresh_grid, updated_at, updated_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(flag.flag, flag.basisPoints, flag.salt, flag.rolledBack ? 1 : 0, flag.minRecords, flag.requireFreshGrid ? 1 : 0, flag.updatedAt, flag.updatedBy);
        const clear = this.db.prepare(`DELETE FROM rollout_overrides WHERE flag = ? AND user_id = ?`);
        for (const userId of change.clearOverrides) clear.run(flag.flag, userId);
        const set = this.db.prepare(`INSERT OR REPLACE INTO rollout_overrides (flag, user_id, mode) VALUES (?, ?, ?)`);
        for (const override of change.setOverrides) set.run(override.flag, override.userId, override.mode);
        const { event } = change;
        this.db
          .prepare(
            `INSERT INTO rollout_events (event_id, flag, at, actor, action, from_basis_points, to_basis_points, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(event.eventId, event.flag, event.at, event.actor, event.action, event.fromBasisPoints, event.toBasisPoints, event.reason, JSON.stringify(event.details));
        return { applied: true };
      }).immediate(),
    );
  }

  async listFlagEvents(flag: string, limit: number): Promise<RolloutEvent[]> {
    return this.run(() =>
      (this.db.prepare(`SELECT * FROM rollout_events WHERE flag = ? ORDER BY at DESC, event_id DESC LIMIT ?`).all(flag, limit) as Row[]).map(eventOf),
    );
  }

  // Validation outcomes

  async putValidations(rows: readonly UserValidation[]): Promise<void> {
    await this.run(() =>
      this.db.transaction(() => {
        const put = this.db.prepare(`INSERT OR REPLACE INTO user_validations (user_id, run_id, validated_at, clean, counts) VALUES (?, ?, ?, ?, ?)`);
        for (const row of rows) put.run(row.userId, row.runId, row.validatedAt, row.clean ? 1 : 0, JSON.stringify(row.counts));
      }).immediate(),
    );
  }

  async getValidations(userIds: readonly string[]): Promise<UserValidation[]> {
    return this.run(() => {
      const get = this.db.prepare(`SELECT * FROM user_validations WHERE user_id = ?`);
      const out: UserValidation[] = [];
      for (const userId of userIds) {
        const row = get.get(userId) as Row | undefined;
        if (row) {
          out.push({
            userId: row.user_id as string,
            runId: row.run_id as string,
            validatedAt: row.validated_at as string,
            clean: row.clean === 1,
            counts: JSON.parse(row.counts as string) as UserValidation['counts'],
          });
        }
      }
      return out;
    });
  }

  // Run ledger and leases

  async putRun(run: RunRecord): Promise<void> {
    await this.run(() => this.db.prepare(`INSERT OR REPLACE INTO agg_runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...runValues(run)),
    );
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    return this.run(() => {
      const row = this.db.prepare(`SELECT * FROM agg_runs WHERE run_id = ?`).get(runId) as Row | undefined;
      return row ? runOf(row) : null;
    });
  }

  async listRuns(limit: number, command?: string): Promise<RunRecord[]> {
    return this.run(() =>
      (
        (command === undefined
          ? this.db.prepare(`SELECT * FROM agg_runs ORDER BY started_at DESC, run_id DESC LIMIT ?`).all(limit)
          : this.db.prepare(`SELECT * FROM agg_runs WHERE command = ? ORDER BY started_at DESC, run_id DESC LIMIT ?`).all(command, limit)) as Row[]
      ).map(runOf),
    );
  }

  async acquireLease(request: LeaseRequest): Promise<LeaseOutcome> {
    return this.run(() =>
      this.db.transaction((): LeaseOutcome => {
        const row = this.db.prepare(`SELECT * FROM agg_leases WHERE name = ?`).get(request.name) as Row | undefined;
        const existing = row ? leaseOf(row) : null;
        const other = existing !== null && existing.holder !== request.holder;
        if (other && existing.expiresAt > request.now && request.force !== true && existing.holder !== request.takeOverFrom) {
          return { acquired: false, heldBy: existing };
        }
        const lease: Lease = {
          name: request.name,
          holder: request.holder,
          runId: request.runId,
          acquiredAt: existing !== null && !other ? existing.acquiredAt : request.now,
          expiresAt: new Date(Date.parse(request.now) + request.ttlMs).toISOString(),
          renewedAt: request.now,
          host: request.host ?? null,
          pid: request.pid ?? null,
        };
        this.db
          .prepare(`INSERT OR REPLACE INTO agg_leases (name, holder, run_id, acquired_at, expires_at, renewed_at, host, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(lease.name, lease.holder, lease.runId, lease.acquiredAt, lease.expiresAt, lease.renewedAt, lease.host, lease.pid);
        return { acquired: true, lease, replaced: other ? existing : null };
      }).immediate(),
    );
  }

  async listLeases(): Promise<Lease[]> {
    return this.run(() => (this.db.prepare(`SELECT * FROM agg_leases ORDER BY name`).all() as Row[]).map(leaseOf));
  }

  async releaseLease(name: string, holder: string): Promise<boolean> {
    return this.run(() => this.db.prepare(`DELETE FROM agg_leases WHERE name = ? AND holder = ?`).run(name, holder).changes > 0);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
