import { canonicalJson } from './json.js';

// The identity of a stored result but its data (pinned by dataHash): what archive compares before it
// deletes a row, shared by the component and the stores.

export interface AggregationHeaderView {
  userId: string;
  aggregationType: string;
  filterHash: string;
  version: number;
  dataHash: string;
  asOf: string;
  timeZone: string;
  computedAt: string;
  expiresAt: string;
  metadata: { recordCount: number; computeMs: number; bytes: number };
  filters: unknown;
  /** Absent and null both mean: written before agg kept revisions. */
  recordsRevision?: string | null;
}

/** Everything that identifies a stored result but its data (the data is pinned by dataHash). */
export function headerText(header: AggregationHeaderView): string {
  return canonicalJson({
    userId: header.userId,
    aggregationType: header.aggregationType,
    filterHash: header.filterHash,
    version: header.version,
    dataHash: header.dataHash,
    asOf: header.asOf,
    timeZone: header.timeZone,
    computedAt: header.computedAt,
    expiresAt: header.expiresAt,
    metadata: { recordCount: header.metadata.recordCount, computeMs: header.metadata.computeMs, bytes: header.metadata.bytes },
    filters: header.filters,
    recordsRevision: header.recordsRevision ?? null,
  });
}

