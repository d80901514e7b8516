import { z } from 'zod';
import { sha256Hex } from './hash/sha256.js';
import { canonicalJson } from './json.js';
import { PRODUCTS } from './record.js';

export const TIMEFRAMES = ['MTD', 'QTD', 'YTD', 'Last6M', 'Last12M', 'All'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

export const PRODUCT_FILTERS = ['All', ...PRODUCTS] as const;
export type ProductFilter = (typeof PRODUCT_FILTERS)[number];

export const filtersSchema = z.object({
  timeframe: z.enum(TIMEFRAMES).default('All'),
  product: z.enum(PRODUCT_FILTERS).default('All'),
  topics: z.array(z.string().min(1)).default([]),
  channels: z.array(z.string().min(1)).default([]),
});

/** Filters as callers give them: any field may be missing, lists in any order, with repeats. */
export interface FiltersInput {
  readonly timeframe?: Timeframe;
  readonly product?: ProductFilter;
  readonly topics?: readonly string[];
  readonly channels?: readonly string[];
}

/** Filters in canonical form: every field present, lists de-duplicated and sorted (UTF-16 order). */
export interface Filters {
  readonly timeframe: Timeframe;
  readonly product: ProductFilter;
  readonly topics: readonly string[];
  readonly channels: readonly string[];
}

export const DEFAULT_FILTERS: Filters = Object.freeze({ timeframe: 'All', product: 'All', topics: [], channels: [] });

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

export function canonicalFilters(input: FiltersInput): Filters {
  const parsed = filtersSchema.parse({
    ...input,
    topics: input.topics === undefined ? undefined : [...input.topics],
    channels: input.channels === undefined ? undefined : [...input.channels],
  });
  return {
    timeframe: parsed.timeframe,
    product: parsed.product,
    topics: sortedUnique(parsed.topics),
    channels: sortedUnique(parsed.channels),
  };
}

/** Hex SHA-256 of the canonical filters' JSON (keys sorted). */
export function filterHash(filters: Filters): string {
  return sha256Hex(canonicalJson(filters));
}

/** The grid every user gets: 6 timeframes × 3 products = 18 filter sets, in a fixed order. */
export const DEFAULT_GRID: readonly Filters[] = Object.freeze(
  PRODUCT_FILTERS.flatMap((product) =>
    TIMEFRAMES.map((timeframe): Filters => Object.freeze({ timeframe, product, topics: [], channels: [] })),
  ),
);

