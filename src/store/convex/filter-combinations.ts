import type { Filters } from '../../core/filters.js';
import type { FilterCombination } from '../types.js';
import { filterCombinationAnswer, filterUseAnswer } from './answers.js';
import type { ConvexCalls } from './convex-calls.js';

// The filter combinations the app has used, over a Convex deployment (filterCombinations:*).

export function listFilterCombinations(calls: ConvexCalls, userId: string): Promise<FilterCombination[]> {
  return calls.all('filterCombinations:forUser', { userId }, filterCombinationAnswer, 1000);
}

export async function recordFilterUse(calls: ConvexCalls, userId: string, filters: Filters, at: string): Promise<void> {
  await calls.mutation(
    'filterCombinations:recordUse',
    { userId, filters: { timeframe: filters.timeframe, product: filters.product, topics: [...filters.topics], channels: [...filters.channels] }, at },
    filterUseAnswer,
  );
}
