import type { AggregationType } from '../../core/aggregations/definition.js';
import type { Filters } from '../../core/filters.js';
import type { JsonValue } from '../../core/json.js';

// Stored aggregations: their keys, digests and data, and the writes, refreshes and deletions of them.

export interface AggregationKey {
  readonly userId: string;
  readonly aggregationType: AggregationType;
  readonly filterHash: string;
}

export interface AggregationMetadata {
  readonly recordCount: number;
  readonly computeMs: number;
  readonly bytes: number;
}

/** Everything about a stored aggregation except its data. */
export interface AggregationDigest extends AggregationKey {
  readonly version: number;
  readonly dataHash: string;
  readonly asOf: string;
  readonly timeZone: string;
  readonly computedAt: string;
  readonly expiresAt: string;
  readonly metadata: AggregationMetadata;
  /** The user's records revision the data was computed from (absent or null in rows written before agg kept it). */
  readonly recordsRevision?: string | null;
}

export interface StoredAggregation extends AggregationDigest {
  readonly filters: Filters;
  readonly data: JsonValue;
}

/** A computed result on its way in: `json` is the canonical text of the data, `dataHash` its SHA-256. */
export interface AggregationWrite extends AggregationDigest {
  readonly filters: Filters;
  readonly json: string;
  readonly longestArray: number;
  readonly widestObject: number;
  readonly depth: number;
  /**
   * The data bytes of the row this write replaces, as the caller last saw it (its digest's
   * metadata.bytes), null when there was none: the write reads that row, and the Convex store sizes
   * its calls by it. Left out, the largest inline row is assumed.
   */
  readonly replacedBytes?: number | null;
}

/** A key with, where the caller knows it, the size of the row stored there. */
export interface SizedAggregationKey extends AggregationKey {
  /**
   * The stored row's data bytes (its digest's metadata.bytes): calls that delete or refresh a row read
   * it, and the Convex store sizes them by it. Left out, the largest inline row is assumed.
   */
  readonly storedBytes?: number;
}

/** Extends the life of a stored result known to be unchanged (same version and data). */
export interface RefreshItem extends SizedAggregationKey {
  readonly version: number;
  readonly dataHash: string;
  readonly expiresAt: string;
  /** Recomputed and found equal: the row becomes this revision's, computed at `computedAt`. */
  readonly recordsRevision?: string | null;
  readonly computedAt?: string;
  /**
   * A renewal without recomputation: applies only while the row's recordsRevision is the user's
   * current one, checked in the same transaction as the write.
   */
  readonly renewal?: boolean;
}

export interface RefreshOutcome {
  /** Rows whose expiresAt now equals the requested one. */
  readonly refreshed: number;
  /** Rows missing, or holding another version or data: the caller must write them in full. */
  readonly mismatched: AggregationKey[];
}

export interface UpsertOptions {
  /** Rewrite even when version and dataHash are unchanged. */
  readonly force?: boolean;
}

export interface UpsertOutcome {
  readonly written: number;
  /** Same version and dataHash: only expiresAt was refreshed. */
  readonly unchanged: number;
  readonly bytesWritten: number;
}

/** A key, optionally with conditions re-checked inside the deleting transaction. */
export interface DeletionKey extends SizedAggregationKey {
  /** Delete only if the row still expires before this instant (it was not refreshed meanwhile). */
  readonly onlyIfExpiresBefore?: string;
  /** Delete only if the row still holds this data. */
  readonly onlyIfDataHash?: string;
}

export interface DeleteOutcome {
  /** Deleted by this call. */
  readonly deleted: number;
  /** Already gone when the call looked: deleted by an earlier attempt whose answer was lost, or by someone else. */
  readonly missing: number;
  /** Bytes of what this call deleted. */
  readonly bytesFreed: number;
}
