import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Filters } from '../../core/filters.js';
import type { InputRecord } from '../../core/record.js';
import { StoreError, StoreNotFoundError } from '../errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from '../retry.js';
import type {
  GridFreshnessFloor,
  GridFreshnessOutcome,
  UserDeletionStep,
  AggregationDigest,
  AggregationKey,
  AggregationWrite,
  ChangeEntry,
  ChangeStamp,
  ChangeVersion,
  DeleteOutcome,
  DeletionKey,
  FilterCombination,
  FlagChange,
  FlagChangeOutcome,
  Lease,
  LeaseOutcome,
  LeaseRequest,
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
  StoredAggregation,
  UpsertOptions,
  UpsertOutcome,
  UserSummary,
  UserValidation,
} from '../types.js';
import type { Store } from '../store.js';
import * as aggregations from './aggregations.js';
import * as changeLog from './change-log.js';
import * as filterCombinations from './filter-combinations.js';
import * as leases from './leases.js';
import * as records from './records.js';
import * as rollout from './rollout.js';
import * as runs from './runs.js';
import * as validations from './validations.js';
import { QUICK_CHECK_MAX_BYTES, SCHEMA_VERSION, checkTables, migrate, quickCheck, schemaVersion } from './schema-state.js';
import type { SqliteContext } from './sqlite-context.js';
import { sqliteStoreError } from './sqlite-errors.js';
import { StoreFileGuard, createStoreFile, inspectStoreFile } from './store-file.js';
import { SqliteMaintenance } from './sqlite-maintenance.js';

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

/**
 * mkdir -p, one level at a time: Node's recursive mkdir loops forever under a parent that refuses new
 * directories with ENOENT (/proc), where this fails at once.
 */
function makeDirectories(dir: string): void {
  const parent = dirname(dir);
  if (parent !== dir && !existsSync(parent)) makeDirectories(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** WAL (readers never wait for the writer), the store's durability, and the schema brought up to date. */
function prepareDatabase(db: Database.Database, path: string | null): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // SQLite's own default page cache (2 MiB), not better-sqlite3's 16 MiB: a heavy user's results are
  // written once and read through the OS's cache, and the larger cache was 8 MiB of a 200 MiB budget.
  db.pragma('cache_size = -2000');
  migrate(db, path);
}

/**
 * The embedded store: one SQLite file (WAL mode), a transaction per batch, schema migrations on open.
 * Same contract as ConvexStore; used whenever no deployment is configured. Other agg processes may use
 * the file at once: every write transaction begins IMMEDIATE (takes the write lock before it reads, so
 * a reader turning writer never fails on a stale snapshot), waits out another's lock for the busy
 * timeout, and is retried under the one retry policy beyond that. This class opens the file and runs
 * each operation; the operations themselves live one module per concern (records.ts, change-log.ts,
 * aggregations.ts, filter-combinations.ts, rollout.ts, validations.ts, runs.ts, leases.ts).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly description: string;
  readonly stats = { calls: 0, retries: 0 };
  private readonly db: Database.Database;
  readonly maintenance: SqliteMaintenance;
  /** What the modules get: the database and `run`. */
  private readonly context: SqliteContext;

  private readonly path: string | null;
  private readonly guard: StoreFileGuard | null;
  private readonly retry: RetryPolicy;

  private constructor(db: Database.Database, description: string, path: string | null, retry: RetryPolicy) {
    this.db = db;
    this.description = description;
    this.path = path;
    this.retry = retry;
    this.guard = path === null ? null : new StoreFileGuard(path);
    this.context = { db, run: (operation) => this.run(operation) };
    this.maintenance = new SqliteMaintenance(this.context);
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
        makeDirectories(directory);
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

  // Users and records

  listUsers(request: PageRequest): Promise<Page<UserSummary>> {
    return records.listUsers(this.context, request);
  }

  getUser(userId: string): Promise<UserSummary | null> {
    return records.getUser(this.context, userId);
  }

  raiseGridFreshness(floors: readonly GridFreshnessFloor[], now: string): Promise<GridFreshnessOutcome> {
    return records.raiseGridFreshness(this.context, floors, now);
  }

  setGridFreshness(userId: string, freshUntil: string | null): Promise<void> {
    return records.setGridFreshness(this.context, userId, freshUntil);
  }

  putRecords(write: RecordWrite): Promise<RecordWriteOutcome> {
    return records.putRecords(this.context, write);
  }

  pageRecords(userId: string, request: PageRequest): Promise<Page<InputRecord>> {
    return records.pageRecords(this.context, userId, request);
  }

  deleteRecords(userId: string, recordIds: readonly string[], change: ChangeStamp): Promise<number> {
    return records.deleteRecords(this.context, userId, recordIds, change);
  }

  deleteUserStep(userId: string): Promise<UserDeletionStep> {
    return records.deleteUserStep(this.context, userId);
  }

  // Change log

  pendingUsers(): AsyncIterable<PendingUser> {
    return changeLog.pendingUsers(this.context);
  }

  listChanges(userId: string): Promise<ChangeEntry[]> {
    return changeLog.listChanges(this.context, userId);
  }

  markChangesProcessed(userId: string, changes: readonly ChangeVersion[], at: string): Promise<number> {
    return changeLog.markChangesProcessed(this.context, userId, changes, at);
  }

  // Aggregations

  listDigests(userId: string): Promise<AggregationDigest[]> {
    return aggregations.listDigests(this.context, userId);
  }

  upsertAggregations(items: readonly AggregationWrite[], options: UpsertOptions = {}): Promise<UpsertOutcome> {
    return aggregations.upsertAggregations(this.context, items, options);
  }

  refreshAggregations(items: readonly RefreshItem[]): Promise<RefreshOutcome> {
    return aggregations.refreshAggregations(this.context, items);
  }

  pageAllDigests(request: PageRequest): Promise<Page<AggregationDigest>> {
    return aggregations.pageAllDigests(this.context, request);
  }

  readAggregation(key: AggregationKey): Promise<StoredAggregation | null> {
    return aggregations.readAggregation(this.context, key);
  }

  pageUserAggregations(userId: string, request: PageRequest): Promise<Page<StoredAggregation>> {
    return aggregations.pageUserAggregations(this.context, userId, request);
  }

  deleteAggregations(keys: readonly DeletionKey[]): Promise<DeleteOutcome> {
    return aggregations.deleteAggregations(this.context, keys);
  }

  pageExpired(before: string, request: PageRequest): Promise<Page<AggregationDigest>> {
    return aggregations.pageExpired(this.context, before, request);
  }

  // Filter combinations

  listFilterCombinations(userId: string): Promise<FilterCombination[]> {
    return filterCombinations.listFilterCombinations(this.context, userId);
  }

  recordFilterUse(userId: string, filters: Filters, at: string): Promise<void> {
    return filterCombinations.recordFilterUse(this.context, userId, filters, at);
  }

  // Rollout

  getFlag(flag: string): Promise<RolloutFlag | null> {
    return rollout.getFlag(this.context, flag);
  }

  listFlags(): Promise<RolloutFlag[]> {
    return rollout.listFlags(this.context);
  }

  listOverrides(flag: string): Promise<RolloutOverride[]> {
    return rollout.listOverrides(this.context, flag);
  }

  applyFlagChange(change: FlagChange): Promise<FlagChangeOutcome> {
    return rollout.applyFlagChange(this.context, change);
  }

  listFlagEvents(flag: string, limit: number): Promise<RolloutEvent[]> {
    return rollout.listFlagEvents(this.context, flag, limit);
  }

  // Validation outcomes

  putValidations(rows: readonly UserValidation[]): Promise<void> {
    return validations.putValidations(this.context, rows);
  }

  getValidations(userIds: readonly string[]): Promise<UserValidation[]> {
    return validations.getValidations(this.context, userIds);
  }

  // Run ledger and leases

  putRun(run: RunRecord): Promise<void> {
    return runs.putRun(this.context, run);
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return runs.getRun(this.context, runId);
  }

  listRuns(limit: number, command?: string): Promise<RunRecord[]> {
    return runs.listRuns(this.context, limit, command);
  }

  acquireLease(request: LeaseRequest): Promise<LeaseOutcome> {
    return leases.acquireLease(this.context, request);
  }

  listLeases(): Promise<Lease[]> {
    return leases.listLeases(this.context);
  }

  releaseLease(name: string, holder: string): Promise<boolean> {
    return leases.releaseLease(this.context, name, holder);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
