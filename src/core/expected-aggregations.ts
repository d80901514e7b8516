import { AGGREGATION_TYPES, type AggregationType } from './aggregations/definition.js';
import { DEFAULT_GRID, type Filters, filterHash } from './filters.js';

// Which aggregations a user should have: every type for the default grid and for every filter
// combination the app recorded for the user. Rollout's --require-validated, cleanup's orphan rule and
// the Convex functions that re-check that rule all read it from here.

let gridHashes: ReadonlySet<string> | null = null;

/** filterHash of every filter set of the default grid. */
export function defaultGridHashes(): ReadonlySet<string> {
  gridHashes ??= new Set(DEFAULT_GRID.map(filterHash));
  return gridHashes;
}

/** The grid first, then the user's other combinations in the order given; one entry per filterHash. */
export function expectedFilterSets(combinations: readonly { readonly filters: Filters; readonly filterHash: string }[]): { filters: Filters; filterHash: string }[] {
  const out = DEFAULT_GRID.map((filters) => ({ filters, filterHash: filterHash(filters) }));
  const seen = new Set(out.map((entry) => entry.filterHash));
  for (const combination of combinations) {
    if (seen.has(combination.filterHash)) continue;
    seen.add(combination.filterHash);
    out.push({ filters: combination.filters, filterHash: combination.filterHash });
  }
  return out;
}

export interface ExpectedAggregation {
  readonly aggregationType: AggregationType;
  readonly filterHash: string;
}

export function expectedAggregations(combinations: readonly { readonly filters: Filters; readonly filterHash: string }[]): ExpectedAggregation[] {
  return expectedFilterSets(combinations).flatMap(({ filterHash: hash }) => AGGREGATION_TYPES.map((aggregationType) => ({ aggregationType, filterHash: hash })));
}

export type OrphanReason = 'user-gone' | 'filter-unused';

/**
 * Why a stored aggregation is no longer needed, or null when it is: its user has no records any more,
 * or its filter set is neither in the default grid nor among the user's recorded combinations.
 */
export function orphanReason(input: { readonly userExists: boolean; readonly filterHash: string; readonly combinationHashes: ReadonlySet<string> }): OrphanReason | null {
  if (!input.userExists) return 'user-gone';
  if (defaultGridHashes().has(input.filterHash) || input.combinationHashes.has(input.filterHash)) return null;
  return 'filter-unused';
}
