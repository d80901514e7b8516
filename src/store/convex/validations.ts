import { batchBySize } from '../batching.js';
import type { UserValidation } from '../types.js';
import { nullAnswer, validationAnswer } from './answers.js';
import { ITEMS_BYTES_BUDGET, validationCost } from './call-costs.js';
import { KEYS_PER_CALL } from './call-counts.js';
import type { ConvexCalls } from './convex-calls.js';

// Validation outcomes over a Convex deployment (validations:*): one row per user, replaced by each validate run.

export async function putValidations(calls: ConvexCalls, rows: readonly UserValidation[]): Promise<void> {
  for (const batch of batchBySize(rows, KEYS_PER_CALL, ITEMS_BYTES_BUDGET, validationCost)) {
    await calls.mutation('validations:put', { rows: batch.map((row) => ({ ...row, counts: { ...row.counts } })) }, nullAnswer);
  }
}

export async function getValidations(calls: ConvexCalls, userIds: readonly string[]): Promise<UserValidation[]> {
  const rows: UserValidation[] = [];
  for (let i = 0; i < userIds.length; i += KEYS_PER_CALL) {
    rows.push(...(await calls.query('validations:get', { userIds: userIds.slice(i, i + KEYS_PER_CALL) }, validationAnswer.array())));
  }
  return rows;
}
