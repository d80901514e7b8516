import type { Filters } from '../../core/filters.js';
import type { InputRecord } from '../../core/record.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryStats } from '../retry.js';
import type {
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
  GridFreshnessFloor,
  GridFreshnessOutcome,
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
import type { ConvexCaller } from './caller.js';
import * as changeLog from './change-log.js';
import { type ConvexCalls, RetriedConvexCalls } from './convex-calls.js';
import { ConvexMaintenance } from './convex-maintenance.js';
import * as filterCombinations from './filter-combinations.js';
import * as leases from './leases.js';
import * as records from './records.js';
import * as rollout from './rollout.js';
import * as runs from './runs.js';
import * as validations from './validations.js';

export interface ConvexStoreOptions {
  readonly description: string;
  readonly retry?: RetryPolicy;
}

/**
 * The Store over a Convex deployment: internal functions called through ConvexHttpClient (or convex-test).
 * Every call goes through RetriedConvexCalls (convex-calls.ts); the calls of each concern are in their
 * module (records.ts, change-log.ts, aggregations.ts, filter-combinations.ts, rollout.ts, validations.ts,
 * runs.ts, leases.ts), sized by call-counts.ts and call-costs.ts.
 */
export class ConvexStore implements Store {
  readonly kind = 'convex' as const;
  readonly description: string;
  readonly stats: RetryStats = { calls: 0, retries: 0 };
  private readonly retry: RetryPolicy;
  private readonly calls: ConvexCalls;
  readonly maintenance: ConvexMaintenance;

  constructor(caller: ConvexCaller, options: ConvexStoreOptions) {
    this.description = options.description;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.calls = new RetriedConvexCalls(caller, this.retry, this.stats);
    this.maintenance = new ConvexMaintenance(this.calls);
  }

  listUsers(request: PageRequest): Promise<Page<UserSummary>> {
    return records.listUsers(this.calls, request);
  }

  getUser(userId: string): Promise<UserSummary | null> {
    return records.getUser(this.calls, userId);
  }

  setGridFreshness(userId: string, freshUntil: string | null): Promise<void> {
    return records.setGridFreshness(this.calls, userId, freshUntil);
  }

  raiseGridFreshness(floors: readonly GridFreshnessFloor[], now: string): Promise<GridFreshnessOutcome> {
    return records.raiseGridFreshness(this.calls, floors, now);
  }

  putRecords(write: RecordWrite): Promise<RecordWriteOutcome> {
    return records.putRecords(this.calls, write);
  }

  pageRecords(userId: string, request: PageRequest): Promise<Page<InputRecord>> {
    return records.pageRecords(this.calls, userId, request);
  }

  deleteRecords(userId: string, recordIds: readonly string[], change: ChangeStamp, recordBytes?: (recordId: string) => number): Promise<number> {
    return records.deleteRecords(this.calls, userId, recordIds, change, recordBytes);
  }

  deleteUserStep(userId: string): Promise<UserDeletionStep> {
    return records.deleteUserStep(this.calls, userId);
  }

  // Change log

  pendingUsers(): AsyncIterable<PendingUser> {
    return changeLog.pendingUsers(this.calls);
  }

  listChanges(userId: string): Promise<ChangeEntry[]> {
    return changeLog.listChanges(this.calls, userId);
  }

  markChangesProcessed(userId: string, changes: readonly ChangeVersion[], at: string): Promise<number> {
    return changeLog.markChangesProcessed(this.calls, userId, changes, at);
  }

  // Aggregations

  listDigests(userId: string): Promise<AggregationDigest[]> {
    return aggregations.listDigests(this.calls, userId);
  }

  upsertAggregations(items: readonly AggregationWrite[], options: UpsertOptions = {}): Promise<UpsertOutcome> {
    return aggregations.upsertAggregations(this.calls, items, options);
  }

  refreshAggregations(items: readonly RefreshItem[]): Promise<RefreshOutcome> {
    return aggregations.refreshAggregations(this.calls, items);
  }

  pageAllDigests(request: PageRequest): Promise<Page<AggregationDigest>> {
    return aggregations.pageAllDigests(this.calls, request);
  }

  readAggregation(key: AggregationKey): Promise<StoredAggregation | null> {
    return aggregations.readAggregation(this.calls, key);
  }

  pageUserAggregations(userId: string, request: PageRequest): Promise<Page<StoredAggregation>> {
    return aggregations.pageUserAggregations(this.calls, userId, request);
  }

  deleteAggregations(keys: readonly DeletionKey[]): Promise<DeleteOutcome> {
    return aggregations.deleteAggregations(this.calls, keys);
  }

  pageExpired(before: string, request: PageRequest): Promise<Page<AggregationDigest>> {
    return aggregations.pageExpired(this.calls, before, request);
  }

  // Filter combinations

  listFilterCombinations(userId: string): Promise<FilterCombination[]> {
    return filterCombinations.listFilterCombinations(this.calls, userId);
  }

  recordFilterUse(userId: string, filters: Filters, at: string): Promise<void> {
    return filterCombinations.recordFilterUse(this.calls, userId, filters, at);
  }

  // Rollout

  getFlag(flag: string): Promise<RolloutFlag | null> {
    return rollout.getFlag(this.calls, flag);
  }

  listFlags(): Promise<RolloutFlag[]> {
    return rollout.listFlags(this.calls);
  }

  listOverrides(flag: string): Promise<RolloutOverride[]> {
    return rollout.listOverrides(this.calls, flag);
  }

  applyFlagChange(change: FlagChange): Promise<FlagChangeOutcome> {
    return rollout.applyFlagChange(this.calls, change);
  }

  listFlagEvents(flag: string, limit: number): Promise<RolloutEvent[]> {
    return rollout.listFlagEvents(this.calls, flag, limit);
  }

  // Validation outcomes

  putValidations(rows: readonly UserValidation[]): Promise<void> {
    return validations.putValidations(this.calls, rows);
  }

  getValidations(userIds: readonly string[]): Promise<UserValidation[]> {
    return validations.getValidations(this.calls, userIds);
  }

  // Run ledger and leases

  putRun(run: RunRecord): Promise<void> {
    return runs.putRun(this.calls, run);
  }

  getRun(runId: string): Promise<RunRecord | null> {
    return runs.getRun(this.calls, runId);
  }

  listRuns(limit: number, command?: string): Promise<RunRecord[]> {
    return runs.listRuns(this.calls, limit, command);
  }

  acquireLease(request: LeaseRequest): Promise<LeaseOutcome> {
    return leases.acquireLease(this.calls, request);
  }

  listLeases(): Promise<Lease[]> {
    return leases.listLeases(this.calls);
  }

  releaseLease(name: string, holder: string): Promise<boolean> {
    return leases.releaseLease(this.calls, name, holder);
  }

  async close(): Promise<void> {
    // ConvexHttpClient holds no connection to close.
  }
}
