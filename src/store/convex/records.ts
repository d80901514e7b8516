import type { InputRecord } from '../../core/record.js';
import { batchBySize } from '../batching.js';
import { fromStoredRecord, toStoredRecord } from '../record-codec.js';
import type {
  ChangeStamp,
  GridFreshnessFloor,
  GridFreshnessOutcome,
  Page,
  PageRequest,
  RecordWrite,
  RecordWriteOutcome,
  UserDeletionStep,
  UserSummary,
} from '../types.js';
import { countAnswer, nullAnswer, raiseAnswer, recordWriteAnswer, storedRecordAnswer, userAnswer, userDeletionStepAnswer } from './answers.js';
import { DELETE_RECORD_BY_ID_COST, ITEMS_BYTES_BUDGET, RAISE_FRESHNESS_COST, putRecordCost } from './call-costs.js';
import { KEYS_PER_CALL, RECORDS_PER_WRITE } from './call-counts.js';
import type { ConvexCalls } from './convex-calls.js';

// Users and their records over a Convex deployment (records:*, ingest:deleteUserBatch).

export function listUsers(calls: ConvexCalls, request: PageRequest): Promise<Page<UserSummary>> {
  return calls.page('records:listUsers', {}, userAnswer, request, 1000);
}

export function getUser(calls: ConvexCalls, userId: string): Promise<UserSummary | null> {
  return calls.query('records:getUser', { userId }, userAnswer.nullable());
}

export async function setGridFreshness(calls: ConvexCalls, userId: string, freshUntil: string | null): Promise<void> {
  await calls.mutation('records:setGridFreshness', { userId, freshUntil }, nullAnswer);
}

export async function raiseGridFreshness(calls: ConvexCalls, floors: readonly GridFreshnessFloor[], now: string): Promise<GridFreshnessOutcome> {
  let raised = 0;
  const refused: string[] = [];
  // Each floor reads and maybe patches one user_stats row (small): many users per call.
  for (const batch of batchBySize(floors, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, () => RAISE_FRESHNESS_COST)) {
    const outcome = await calls.mutation('records:raiseGridFreshness', { users: batch.map(({ userId, atLeast }) => ({ userId, atLeast })), now }, raiseAnswer);
    raised += outcome.raised;
    refused.push(...outcome.refused);
  }
  return { raised, refused };
}

export async function putRecords(calls: ConvexCalls, write: RecordWrite): Promise<RecordWriteOutcome> {
  const totals = { inserted: 0, updated: 0, unchanged: 0 };
  const stored = write.records.map(toStoredRecord);
  for (const batch of batchBySize(stored, RECORDS_PER_WRITE, ITEMS_BYTES_BUDGET, (record) => putRecordCost(write.userId, record))) {
    const outcome = await calls.mutation('records:putBatch', { userId: write.userId, records: batch, change: write.change }, recordWriteAnswer);
    totals.inserted += outcome.inserted;
    totals.updated += outcome.updated;
    totals.unchanged += outcome.unchanged;
  }
  return totals;
}

export async function pageRecords(calls: ConvexCalls, userId: string, request: PageRequest): Promise<Page<InputRecord>> {
  const page = await calls.page('records:page', { userId }, storedRecordAnswer, request, 8000);
  return { ...page, items: page.items.map(fromStoredRecord) };
}

export async function deleteRecords(calls: ConvexCalls, userId: string, recordIds: readonly string[], change: ChangeStamp, recordBytes?: (recordId: string) => number): Promise<number> {
  let deleted = 0;
  // A delete reads the document twice (the lookup and the delete): twice its size (the record's JSON
  // and a generous allowance for the user id and system fields), when the caller knows it.
  const cost = recordBytes ? (recordId: string) => 2 * (recordBytes(recordId) + 1024) : () => DELETE_RECORD_BY_ID_COST;
  for (const batch of batchBySize(recordIds, RECORDS_PER_WRITE, ITEMS_BYTES_BUDGET, cost)) {
    deleted += await calls.mutation('records:deleteBatch', { userId, recordIds: batch, change }, countAnswer);
  }
  return deleted;
}

export function deleteUserStep(calls: ConvexCalls, userId: string): Promise<UserDeletionStep> {
  return calls.mutation('ingest:deleteUserBatch', { userId }, userDeletionStepAnswer);
}
