import type { Filters } from '../../core/filters.js';

// The filter combinations the app has used.

export interface FilterCombination {
  readonly userId: string;
  readonly filters: Filters;
  readonly filterHash: string;
  readonly lastUsed: string;
  readonly usageCount: number;
}
