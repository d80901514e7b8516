import { DEFAULT_GRID, type Filters, filterHash } from '../core/filters.js';
import type { Store } from '../store/store.js';

/** asOf for a user without --as-of and without a dated watch: a fixed instant keeps results (and their hashes) stable from run to run. */
export const NO_DATED_RECORDS_AS_OF = '1970-01-01T00:00:00.000Z';

export interface FilterSet {
  readonly filters: Filters;
  readonly filterHash: string;
}

/** The grid followed by the user's own filter combinations, each filter set once. */
export async function userFilterSets(store: Store, userId: string, grid: readonly Filters[] = DEFAULT_GRID): Promise<FilterSet[]> {
  const sets = new Map<string, Filters>();
  for (const filters of grid) sets.set(filterHash(filters), filters);
  const combinations = await store.listFilterCombinations(userId);
  for (const combination of [...combinations].sort((a, b) => (a.filterHash < b.filterHash ? -1 : 1))) {
    if (!sets.has(combination.filterHash)) sets.set(combination.filterHash, combination.filters);
  }
  return [...sets].map(([hash, filters]) => ({ filters, filterHash: hash }));
}

export function aggregationKeyString(key: { aggregationType: string; filterHash: string }): string {
  return `${key.aggregationType}|${key.filterHash}`;
}
