import type { Filters } from '../core/filters.js';
import type { InputRecord } from '../core/record.js';
import type { MaintenanceStore } from './maintenance.js';
import type {
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
  GridFreshnessFloor,
  GridFreshnessOutcome,
  Lease,
  LeaseOutcome,
  LeaseRequest,
  Page,
  PageRequest,
  PendingUser,
  RecordWrite,
  RecordWriteOutcome,
  RefreshItem,
  RefreshOutcome,
  RolloutEvent,
  RolloutFlag,
  RolloutOverride,
  RunRecord,
  StoredAggregation,
  UpsertOptions,
  UpsertOutcome,
  UserDeletionStep,
  UserSummary,
  UserValidation,
} from './types.js';

// The one persistence contract every command uses; SqliteStore and ConvexStore implement it and one
// contract suite holds both to it. The values it speaks are in types.ts.

export interface Store {
  readonly kind: 'sqlite' | 'convex';
  /** Where the data lives, for the one line every command prints (never contains a secret). */
  readonly description: string;
  /** Calls made to the store so far (retries included) and how many were retries. */
  readonly stats: { readonly calls: number; readonly retries: number };

  // Users and records
  listUsers(page: PageRequest): Promise<Page<UserSummary>>;
  getUser(userId: string): Promise<UserSummary | null>;
  /** Records how long the user's default-grid aggregations stay fresh (null: incomplete). No-op without records. */
  setGridFreshness(userId: string, freshUntil: string | null): Promise<void>;
  /**
   * Raises gridFreshUntil to each floor where it is set, not yet past at `now`, and lower; never lowers
   * it. A floor for a user whose gridFreshUntil is unknown or past is refused (its grid may have lost a
   * row since): the caller recomputes that user instead.
   */
  raiseGridFreshness(floors: readonly GridFreshnessFloor[], now: string): Promise<GridFreshnessOutcome>;
  putRecords(write: RecordWrite): Promise<RecordWriteOutcome>;
  pageRecords(userId: string, page: PageRequest): Promise<Page<InputRecord>>;
  /**
   * Deletes records by id (missing ones are fine), with the change-log entry. `recordBytes` (the JSON
   * bytes of each stored record), when the caller read them, sizes each deleting call by what it
   * deletes instead of the worst case.
   */
  deleteRecords(userId: string, recordIds: readonly string[], change: ChangeStamp, recordBytes?: (recordId: string) => number): Promise<number>;
  /**
   * One bounded step of removing everything held for a user (records, results, chunks, filter sets,
   * change log, overrides, validations, stats), table by table; call again until `done`. Idempotent.
   */
  deleteUserStep(userId: string): Promise<UserDeletionStep>;

  // Change log
  /** Users with unprocessed change-log entries, in userId order, each with all its pending entries. */
  pendingUsers(): AsyncIterable<PendingUser>;
  listChanges(userId: string): Promise<ChangeEntry[]>;
  markChangesProcessed(userId: string, changes: readonly ChangeVersion[], at: string): Promise<number>;

  // Aggregations
  listDigests(userId: string): Promise<AggregationDigest[]>;
  upsertAggregations(items: readonly AggregationWrite[], options?: UpsertOptions): Promise<UpsertOutcome>;
  refreshAggregations(items: readonly RefreshItem[]): Promise<RefreshOutcome>;
  /** Every stored aggregation of every user, in (userId, type, filterHash) order. */
  pageAllDigests(page: PageRequest): Promise<Page<AggregationDigest>>;
  readAggregation(key: AggregationKey): Promise<StoredAggregation | null>;
  /** A user's stored aggregations with their data, a page at a time (chunked data reassembled). */
  pageUserAggregations(userId: string, page: PageRequest): Promise<Page<StoredAggregation>>;
  deleteAggregations(keys: readonly DeletionKey[]): Promise<DeleteOutcome>;
  pageExpired(before: string, page: PageRequest): Promise<Page<AggregationDigest>>;

  // Filter combinations the app has used
  listFilterCombinations(userId: string): Promise<FilterCombination[]>;
  recordFilterUse(userId: string, filters: Filters, at: string): Promise<void>;

  // Rollout flags, overrides and their audit log
  getFlag(flag: string): Promise<RolloutFlag | null>;
  listFlags(): Promise<RolloutFlag[]>;
  listOverrides(flag: string): Promise<RolloutOverride[]>;
  applyFlagChange(change: FlagChange): Promise<FlagChangeOutcome>;
  listFlagEvents(flag: string, limit: number): Promise<RolloutEvent[]>;

  // Validation outcomes (one row per user, replaced by each validate run)
  putValidations(rows: readonly UserValidation[]): Promise<void>;
  getValidations(userIds: readonly string[]): Promise<UserValidation[]>;

  // Run ledger and leases
  putRun(run: RunRecord): Promise<void>;
  getRun(runId: string): Promise<RunRecord | null>;
  listRuns(limit: number, command?: string): Promise<RunRecord[]>;
  acquireLease(request: LeaseRequest): Promise<LeaseOutcome>;
  releaseLease(name: string, holder: string): Promise<boolean>;
  /** Every lease row, live or expired. */
  listLeases(): Promise<Lease[]>;

  /** Cleanup and archive persistence (src/store/maintenance.ts). */
  readonly maintenance: MaintenanceStore;

  close(): Promise<void>;
}
