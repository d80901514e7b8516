import pLimit from 'p-limit';
import type { z } from 'zod';
import type { Filters } from '../../core/filters.js';
import { CALL_BYTES_BUDGET, CONVEX_LIMITS } from '../../core/convex-limits.js';
import { sha256Hex } from '../../core/hash/sha256.js';
import type { JsonValue } from '../../core/json.js';
import type { InputRecord } from '../../core/record.js';
import { batchBySize, jsonBytes } from '../batching.js';
import { StoreIntegrityError } from '../errors.js';
import { fromStoredRecord, toStoredRecord } from '../record-codec.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryStats, withRetry } from '../retry.js';
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
import { CHUNK_CHARS, fitsInline, splitText } from '../value-limits.js';
import {
  booleanAnswer,
  changeEntryAnswer,
  chunkKeyAnswer,
  chunkTextAnswer,
  countAnswer,
  deleteChunksAnswer,
  digestAnswer,
  eventAnswer,
  expectAnswer,
  filterUseAnswer,
  filterCombinationAnswer,
  flagAnswer,
  flagChangeAnswer,
  leaseAnswer,
  leaseOutcomeAnswer,
  nullAnswer,
  overrideAnswer,
  pageOf,
  readAnswer,
  recordWriteAnswer,
  raiseAnswer,
  refreshAnswer,
  removeAnswer,
  runAnswer,
  storedRecordAnswer,
  upsertAnswer,
  userDeletionStepAnswer,
  userAnswer,
  validationAnswer,
} from './answers.js';
import type { ConvexCaller } from './caller.js';
import {
  CHUNKS_PER_DELETE,
  DELETE_RECORD_BY_ID_COST,
  RAISE_FRESHNESS_COST,
  ITEMS_BYTES_BUDGET,
  aggregationDocBytes,
  markProcessedCost,
  putChunkCost,
  putRecordCost,
  refreshCost,
  removeCost,
  upsertCost,
  validationCost,
} from './call-costs.js';
import { ConvexMaintenance } from './convex-maintenance.js';

/**
 * Per-call budgets that keep every function well inside Convex's transaction limits: counts here, and
 * bytes read plus written (call-costs.ts) for every batched call. A page stops once it has read
 * PAGE_BYTES; the document that crosses the line is at most 1 MiB more.
 */
const PAGE_BYTES = CALL_BYTES_BUDGET - CONVEX_LIMITS.documentBytes;
const RECORDS_PER_WRITE = 1000;
const KEYS_PER_CALL = 500;
const HEADERS_PER_WRITE = 100;
const CHUNKS_PER_WRITE = 64;
/** Mutations on disjoint keys one call sends at once. */
const PARALLEL_WRITES = 4;

type ChunkKey = z.infer<typeof chunkKeyAnswer>;

export interface ConvexStoreOptions {
  readonly description: string;
  readonly retry?: RetryPolicy;
}

/** The Store over a Convex deployment: internal functions called through ConvexHttpClient (or convex-test). */
export class ConvexStore implements Store {
  readonly kind = 'convex' as const;
  readonly description: string;
  readonly stats: RetryStats = { calls: 0, retries: 0 };
  private readonly retry: RetryPolicy;
  readonly maintenance: ConvexMaintenance;

  constructor(
    private readonly caller: ConvexCaller,
    options: ConvexStoreOptions,
  ) {
    this.description = options.description;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.maintenance = new ConvexMaintenance({
      query: (name, args, schema) => this.query(name, args, schema),
      mutation: (name, args, schema) => this.mutation(name, args, schema),
      page: (name, args, item, request, defaultLimit) => this.page(name, args, item, request, defaultLimit),
      all: (name, args, item, pageSize) => this.all(name, args, item, pageSize),
    });
  }

  private query<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    return withRetry(async () => expectAnswer(schema, await this.caller.query(name, args), name), this.retry, this.stats);
  }

  private mutation<T>(name: string, args: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    return withRetry(async () => expectAnswer(schema, await this.caller.mutation(name, args), name), this.retry, this.stats);
  }

  private async page<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, request: PageRequest, defaultLimit: number): Promise<Page<T>> {
    const answer = await this.query(
      name,
      { ...args, paginationOpts: { numItems: request.limit ?? defaultLimit, cursor: request.cursor, maximumBytesRead: PAGE_BYTES } },
      pageOf(item),
    );
    return { items: answer.page, cursor: answer.isDone ? null : answer.continueCursor, isDone: answer.isDone };
  }

  private async all<T>(name: string, args: Record<string, unknown>, item: z.ZodType<T>, pageSize: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page: Page<T> = await this.page(name, args, item, { cursor, limit: pageSize }, pageSize);
      items.push(...page.items);
      if (page.isDone) return items;
      cursor = page.cursor;
    }
  }

  // Users and records

  listUsers(request: PageRequest): Promise<Page<UserSummary>> {
    return this.page('records:listUsers', {}, userAnswer, request, 1000);
  }

  getUser(userId: string): Promise<UserSummary | null> {
    return this.query('records:getUser', { userId }, userAnswer.nullable());
  }

  async setGridFreshness(userId: string, freshUntil: string | null): Promise<void> {
    await this.mutation('records:setGridFreshness', { userId, freshUntil }, nullAnswer);
  }

  async raiseGridFreshness(floors: readonly GridFreshnessFloor[], now: string): Promise<GridFreshnessOutcome> {
    let raised = 0;
    const refused: string[] = [];
    // Each floor reads and maybe patches one user_stats row (small): many users per call.
    for (const batch of batchBySize(floors, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, () => RAISE_FRESHNESS_COST)) {
      const outcome = await this.mutation('records:raiseGridFreshness', { users: batch.map(({ userId, atLeast }) => ({ userId, atLeast })), now }, raiseAnswer);
      raised += outcome.raised;
      refused.push(...outcome.refused);
    }
    return { raised, refused };
  }

  async putRecords(write: RecordWrite): Promise<RecordWriteOutcome> {
    const totals = { inserted: 0, updated: 0, unchanged: 0 };
    const stored = write.records.map(toStoredRecord);
    for (const batch of batchBySize(stored, RECORDS_PER_WRITE, ITEMS_BYTES_BUDGET, (record) => putRecordCost(write.userId, record))) {
      const outcome = await this.mutation('records:putBatch', { userId: write.userId, records: batch, change: write.change }, recordWriteAnswer);
      totals.inserted += outcome.inserted;
      totals.updated += outcome.updated;
      totals.unchanged += outcome.unchanged;
    }
    return totals;
  }

  async pageRecords(userId: string, request: PageRequest): Promise<Page<InputRecord>> {
    const page = await this.page('records:page', { userId }, storedRecordAnswer, request, 8000);
    return { ...page, items: page.items.map(fromStoredRecord) };
  }

  async deleteRecords(userId: string, recordIds: readonly string[], change: ChangeStamp, recordBytes?: (recordId: string) => number): Promise<number> {
    let deleted = 0;
    // A delete reads the document twice (the lookup and the delete): twice its size (the record's JSON
    // and a generous allowance for the user id and system fields), when the caller knows it.
    const cost = recordBytes ? (recordId: string) => 2 * (recordBytes(recordId) + 1024) : () => DELETE_RECORD_BY_ID_COST;
    for (const batch of batchBySize(recordIds, RECORDS_PER_WRITE, ITEMS_BYTES_BUDGET, cost)) {
      deleted += await this.mutation('records:deleteBatch', { userId, recordIds: batch, change }, countAnswer);
    }
    return deleted;
  }

  deleteUserStep(userId: string): Promise<UserDeletionStep> {
    return this.mutation('ingest:deleteUserBatch', { userId }, userDeletionStepAnswer);
  }

  // Change log

  async *pendingUsers(): AsyncIterable<PendingUser> {
    let current: { userId: string; changes: ChangeVersion[]; oldestChangedAt: string } | null = null;
    let cursor: string | null = null;
    for (;;) {
      const page: Page<ChangeEntry> = await this.page('changes:pending', {}, changeEntryAnswer, { cursor, limit: 4000 }, 4000);
      for (const entry of page.items) {
        if (current && current.userId !== entry.userId) {
          yield current;
          current = null;
        }
        current ??= { userId: entry.userId, changes: [], oldestChangedAt: entry.changedAt };
        current.changes.push({ changeId: entry.changeId, changedAt: entry.changedAt, revision: entry.revision });
        if (entry.changedAt < current.oldestChangedAt) current.oldestChangedAt = entry.changedAt;
      }
      if (page.isDone) break;
      cursor = page.cursor;
    }
    if (current) yield current;
  }

  listChanges(userId: string): Promise<ChangeEntry[]> {
    return this.all('changes:forUser', { userId }, changeEntryAnswer, 4000);
  }

  async markChangesProcessed(userId: string, changes: readonly ChangeVersion[], at: string): Promise<number> {
    let marked = 0;
    for (const batch of batchBySize(changes, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (change) => markProcessedCost(change.changeId))) {
      const versions = batch.map(({ changeId, changedAt, revision }) => (revision ? { changeId, changedAt, revision } : { changeId, changedAt }));
      marked += await this.mutation('changes:markProcessed', { userId, changes: versions, at }, countAnswer);
    }
    return marked;
  }

  // Aggregations

  async listDigests(userId: string): Promise<AggregationDigest[]> {
    const digests = await this.all('aggregations:digests', { userId }, digestAnswer, 2000);
    return digests.map(({ chunkCount, ...digest }) => digest);
  }

  async upsertAggregations(items: readonly AggregationWrite[], options: UpsertOptions = {}): Promise<UpsertOutcome> {
    const totals = { written: 0, unchanged: 0, bytesWritten: 0 };
    const headers: { args: Record<string, unknown>; cost: number }[] = [];
    for (const item of items) {
      const header = {
        userId: item.userId,
        aggregationType: item.aggregationType,
        filterHash: item.filterHash,
        version: item.version,
        filters: { timeframe: item.filters.timeframe, product: item.filters.product, topics: [...item.filters.topics], channels: [...item.filters.channels] },
        dataHash: item.dataHash,
        asOf: item.asOf,
        timeZone: item.timeZone,
        computedAt: item.computedAt,
        expiresAt: item.expiresAt,
        metadata: item.metadata,
        ...(item.recordsRevision ? { recordsRevision: item.recordsRevision } : {}),
      };
      const inline = fitsInline({ bytes: item.metadata.bytes, longestArray: item.longestArray, widestObject: item.widestObject, depth: item.depth });
      // The call reads the row stored at the key (same key, same filters: a header of the same size) and writes the new one.
      const headerBytes = jsonBytes(header) + 32;
      const cost = upsertCost(aggregationDocBytes(inline ? item.metadata.bytes : 0, headerBytes), aggregationDocBytes(item.replacedBytes, headerBytes));
      if (inline) {
        headers.push({ args: { ...header, chunkCount: 0, dataJson: item.json }, cost });
      } else {
        // Chunks first, keyed by dataHash, so the header never points at data that is not there yet.
        const pieces = splitText(item.json, CHUNK_CHARS);
        const chunks = pieces.map((text, seq) => ({ userId: item.userId, aggregationType: item.aggregationType, filterHash: item.filterHash, dataHash: item.dataHash, seq, text }));
        for (const batch of batchBySize(chunks, CHUNKS_PER_WRITE, ITEMS_BYTES_BUDGET, (chunk) => putChunkCost(chunk.text))) {
          await this.mutation('aggregations:putChunks', { chunks: batch }, countAnswer);
        }
        headers.push({ args: { ...header, chunkCount: pieces.length }, cost });
      }
    }
    // Batches touch disjoint keys, so they go out together: one round trip for a user's results, not one per batch.
    const limit = pLimit(PARALLEL_WRITES);
    await Promise.all(
      batchBySize(headers, HEADERS_PER_WRITE, ITEMS_BYTES_BUDGET, (header) => header.cost).map((batch) =>
        limit(async () => {
          const outcome = await this.mutation('aggregations:upsert', { items: batch.map((header) => header.args), force: options.force === true }, upsertAnswer);
          totals.written += outcome.written;
          totals.unchanged += outcome.unchanged;
          totals.bytesWritten += outcome.bytesWritten;
          await this.deleteChunkSets(outcome.staleChunks);
        }),
      ),
    );
    return totals;
  }

  private async deleteChunkSets(keys: readonly ChunkKey[]): Promise<void> {
    for (const key of keys) {
      for (;;) {
        const outcome = await this.mutation('aggregations:deleteChunks', { ...key, limit: CHUNKS_PER_DELETE }, deleteChunksAnswer);
        if (outcome.done) break;
      }
    }
  }

  async refreshAggregations(items: readonly RefreshItem[]): Promise<RefreshOutcome> {
    let refreshed = 0;
    const mismatched: AggregationKey[] = [];
    for (const batch of batchBySize(items, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (item) => refreshCost(item.storedBytes))) {
      const args = batch.map(({ userId, aggregationType, filterHash, version, dataHash, expiresAt, recordsRevision, computedAt, renewal }) => ({
        userId,
        aggregationType,
        filterHash,
        version,
        dataHash,
        expiresAt,
        ...(recordsRevision != null ? { recordsRevision } : {}),
        ...(computedAt !== undefined ? { computedAt } : {}),
        ...(renewal ? { renewal: true } : {}),
      }));
      const outcome = await this.mutation('aggregations:refresh', { items: args }, refreshAnswer);
      refreshed += outcome.refreshed;
      mismatched.push(...outcome.mismatched);
    }
    return { refreshed, mismatched };
  }

  async pageAllDigests(request: PageRequest): Promise<Page<AggregationDigest>> {
    const page = await this.page('aggregations:allDigests', {}, digestAnswer, request, 2000);
    return { ...page, items: page.items.map(({ chunkCount, ...digest }) => digest) };
  }

  async readAggregation(key: AggregationKey): Promise<StoredAggregation | null> {
    const answer = await this.query('aggregations:read', { userId: key.userId, aggregationType: key.aggregationType, filterHash: key.filterHash }, readAnswer);
    return answer && this.assemble(answer);
  }

  /** Inline data as it is; chunked data read back, checked against its hash, and parsed. */
  private async assemble(answer: NonNullable<z.infer<typeof readAnswer>>): Promise<StoredAggregation> {
    const { chunkCount, data, ...rest } = answer;
    if (chunkCount === 0) return { ...rest, data: data as JsonValue };
    const chunks = await this.all(
      'aggregations:readChunks',
      { userId: answer.userId, aggregationType: answer.aggregationType, filterHash: answer.filterHash, dataHash: answer.dataHash },
      chunkTextAnswer,
      64,
    );
    const text = chunks.map((chunk) => chunk.text).join('');
    if (chunks.length !== chunkCount || sha256Hex(text) !== answer.dataHash) {
      throw new StoreIntegrityError(`stored chunks of ${answer.aggregationType} for user ${answer.userId} do not match their dataHash`);
    }
    return { ...rest, data: JSON.parse(text) as JsonValue };
  }

  async pageUserAggregations(userId: string, request: PageRequest): Promise<Page<StoredAggregation>> {
    const page = await this.page('aggregations:forUser', { userId }, readAnswer.unwrap(), request, 500);
    const items: StoredAggregation[] = [];
    for (const answer of page.items) items.push(await this.assemble(answer));
    return { ...page, items };
  }

  async deleteAggregations(keys: readonly DeletionKey[]): Promise<DeleteOutcome> {
    const totals = { deleted: 0, missing: 0, bytesFreed: 0 };
    for (const batch of batchBySize(keys, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, (key) => removeCost(key.storedBytes))) {
      const args = batch.map((key) => ({
        userId: key.userId,
        aggregationType: key.aggregationType,
        filterHash: key.filterHash,
        ...(key.onlyIfExpiresBefore !== undefined ? { onlyIfExpiresBefore: key.onlyIfExpiresBefore } : {}),
        ...(key.onlyIfDataHash !== undefined ? { onlyIfDataHash: key.onlyIfDataHash } : {}),
      }));
      const outcome = await this.mutation('aggregations:remove', { keys: args }, removeAnswer);
      totals.deleted += outcome.deleted;
      totals.missing += outcome.missing;
      totals.bytesFreed += outcome.bytesFreed;
      await this.deleteChunkSets(outcome.staleChunks);
    }
    return totals;
  }

  async pageExpired(before: string, request: PageRequest): Promise<Page<AggregationDigest>> {
    const page = await this.page('aggregations:pageExpired', { before }, digestAnswer, request, 2000);
    return { ...page, items: page.items.map(({ chunkCount, ...digest }) => digest) };
  }

  // Filter combinations

  listFilterCombinations(userId: string): Promise<FilterCombination[]> {
    return this.all('filterCombinations:forUser', { userId }, filterCombinationAnswer, 1000);
  }

  async recordFilterUse(userId: string, filters: Filters, at: string): Promise<void> {
    await this.mutation(
      'filterCombinations:recordUse',
      { userId, filters: { timeframe: filters.timeframe, product: filters.product, topics: [...filters.topics], channels: [...filters.channels] }, at },
      filterUseAnswer,
    );
  }

  // Rollout

  getFlag(flag: string): Promise<RolloutFlag | null> {
    return this.query('rollout:getFlag', { flag }, flagAnswer.nullable());
  }

  listFlags(): Promise<RolloutFlag[]> {
    return this.query('rollout:listFlags', {}, flagAnswer.array());
  }

  listOverrides(flag: string): Promise<RolloutOverride[]> {
    return this.all('rollout:listOverrides', { flag }, overrideAnswer, 4000);
  }

  applyFlagChange(change: FlagChange): Promise<FlagChangeOutcome> {
    return this.mutation(
      'rollout:applyChange',
      {
        flag: change.flag,
        setOverrides: change.setOverrides,
        clearOverrides: change.clearOverrides,
        event: change.event,
        expectedUpdatedAt: change.expectedUpdatedAt,
      },
      flagChangeAnswer,
    );
  }

  async listFlagEvents(flag: string, limit: number): Promise<RolloutEvent[]> {
    const events = await this.query('rollout:listEvents', { flag, limit }, eventAnswer.array());
    return events.map((event) => ({ ...event, details: (event.details ?? null) as JsonValue }));
  }

  // Validation outcomes

  async putValidations(rows: readonly UserValidation[]): Promise<void> {
    for (const batch of batchBySize(rows, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, validationCost)) {
      await this.mutation('validations:put', { rows: batch.map((row) => ({ ...row, counts: { ...row.counts } })) }, nullAnswer);
    }
  }

  async getValidations(userIds: readonly string[]): Promise<UserValidation[]> {
    const rows: UserValidation[] = [];
    for (let i = 0; i < userIds.length; i += KEYS_PER_CALL) {
      rows.push(...(await this.query('validations:get', { userIds: userIds.slice(i, i + KEYS_PER_CALL) }, validationAnswer.array())));
    }
    return rows;
  }

  // Run ledger and leases

  async putRun(run: RunRecord): Promise<void> {
    await this.mutation('runs:putRun', { run }, nullAnswer);
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const run = await this.query('runs:getRun', { runId }, runAnswer.nullable());
    return run && { ...run, checkpoint: (run.checkpoint ?? null) as JsonValue };
  }

  async listRuns(limit: number, command?: string): Promise<RunRecord[]> {
    const runs = await this.query('runs:listRuns', { limit, ...(command !== undefined ? { command } : {}) }, runAnswer.array());
    return runs.map((run) => ({ ...run, checkpoint: (run.checkpoint ?? null) as JsonValue }));
  }

  acquireLease(request: LeaseRequest): Promise<LeaseOutcome> {
    return this.mutation(
      'runs:acquireLease',
      {
        name: request.name,
        holder: request.holder,
        runId: request.runId,
        now: request.now,
        expiresAt: new Date(Date.parse(request.now) + request.ttlMs).toISOString(),
        force: request.force === true,
        ...(request.takeOverFrom !== undefined ? { takeOverFrom: request.takeOverFrom } : {}),
        ...(request.host !== undefined && request.host !== null ? { host: request.host } : {}),
        ...(request.pid !== undefined && request.pid !== null ? { pid: request.pid } : {}),
      },
      leaseOutcomeAnswer,
    );
  }

  listLeases(): Promise<Lease[]> {
    return this.query('runs:listLeases', {}, leaseAnswer.array());
  }

  releaseLease(name: string, holder: string): Promise<boolean> {
    return this.mutation('runs:releaseLease', { name, holder }, booleanAnswer);
  }

  async close(): Promise<void> {
    // ConvexHttpClient holds no connection to close.
  }
}
