import { z } from 'zod';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import type { Filters } from '../core/filters.js';
import { filtersSchema } from '../core/filters.js';
import type { JsonValue } from '../core/json.js';
import { type InputRecord, inputRecordSchema } from '../core/record.js';

// The one persistence contract every command uses; SqliteStore and ConvexStore implement it and one
// contract suite holds both to it. Instants are ISO strings; nothing here is a Date.

export interface PageRequest {
  readonly cursor: string | null;
  /** Upper bound on items; adapters may return fewer (byte budgets), never more. */
  readonly limit?: number;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back to continue; null once `isDone`. */
  readonly cursor: string | null;
  readonly isDone: boolean;
}

export interface UserDeletionStep {
  readonly deleted: number;
  readonly done: boolean;
  /** The table this step deleted from (null once nothing is left). */
  readonly table: string | null;
}

export interface UserSummary {
  readonly userId: string;
  readonly recordCount: number;
  readonly firstWatchedAt: string | null;
  readonly lastWatchedAt: string | null;
  /** When a record of this user last changed (import, edit, delete). */
  readonly lastChangeAt: string | null;
  /** The earliest expiresAt of the user's default-grid aggregations (all types), kept by backfill; null when incomplete. */
  readonly gridFreshUntil: string | null;
  /** Names the current state of the user's records: every record write makes a new one (null: never written since agg kept it). */
  readonly recordsRevision: string | null;
}

/** One batch of a user's records; `change` becomes (or extends) one change-log entry if anything changed. */
export interface RecordWrite {
  readonly userId: string;
  readonly records: readonly InputRecord[];
  readonly change: ChangeStamp;
}

export interface ChangeStamp {
  /** Client-chosen id: retries and later batches of the same import extend the same entry. */
  readonly changeId: string;
  readonly changeType: ChangeType;
  readonly at: string;
}

export const CHANGE_TYPES = ['import', 'update', 'delete', 'archive', 'restore'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export interface RecordWriteOutcome {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
}

export interface ChangeEntry {
  readonly changeId: string;
  readonly userId: string;
  readonly changeType: ChangeType;
  readonly recordCount: number;
  readonly changedAt: string;
  readonly processed: boolean;
  readonly processedAt: string | null;
  /** The user's records revision after this entry's latest change (null in older rows). */
  readonly revision: string | null;
}

/** A user with unprocessed change-log entries, as incremental backfill sees them. */
export interface PendingUser {
  readonly userId: string;
  /** The entries as read: marking them processed later succeeds only for those still unchanged. */
  readonly changes: ChangeVersion[];
  readonly oldestChangedAt: string;
}

export interface ChangeVersion {
  readonly changeId: string;
  readonly changedAt: string;
  /** When known, the entry must still hold it: tells an extension within the same millisecond. */
  readonly revision?: string | null;
}

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

export interface GridFreshnessOutcome {
  readonly raised: number;
  /** Users whose gridFreshUntil was unknown or already past (or who are gone). */
  readonly refused: string[];
}

/** A bound proven by the caller: every default-grid result of the user expires no earlier. */
export interface GridFreshnessFloor {
  readonly userId: string;
  readonly atLeast: string;
}

export interface RefreshOutcome {
  /** Rows whose expiresAt now equals the requested one. */
  readonly refreshed: number;
  /** Rows missing, or holding another version or data: the caller must write them in full. */
  readonly mismatched: AggregationKey[];
}

export const VALIDATION_STATUSES = ['match', 'drift', 'stale', 'missing', 'orphan', 'outdated', 'expired'] as const;
export type ValidationStatus = (typeof VALIDATION_STATUSES)[number];

/** The latest validation of one user: what `rollout --require-validated` and `status` read. */
export interface UserValidation {
  readonly userId: string;
  readonly runId: string;
  readonly validatedAt: string;
  /** True when every aggregation in scope matched (statuses other than `match` all count against it). */
  readonly clean: boolean;
  readonly counts: Readonly<Partial<Record<ValidationStatus, number>>>;
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

export interface FilterCombination {
  readonly userId: string;
  readonly filters: Filters;
  readonly filterHash: string;
  readonly lastUsed: string;
  readonly usageCount: number;
}

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'partial', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A row of the run ledger (`agg_runs`). */
export interface RunRecord {
  readonly runId: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: RunStatus;
  readonly counts: Readonly<Record<string, number>>;
  readonly checkpoint: JsonValue;
  /** Last sign of life, so a crashed run can be told from a running one. */
  readonly heartbeatAt: string;
}

export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly runId: string | null;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** The holder's last renewal (its heartbeat); null in rows written before agg recorded it. */
  readonly renewedAt: string | null;
  /** Where the holder runs (os.hostname()) and its process id, so that a dead holder can be told at once; null in older rows. */
  readonly host: string | null;
  readonly pid: number | null;
}

export interface LeaseRequest {
  readonly name: string;
  readonly holder: string;
  readonly runId: string | null;
  readonly now: string;
  readonly ttlMs: number;
  /** Take the lease from a live holder too. */
  readonly force?: boolean;
  /** Also take the lease if exactly this holder has it (one the caller found dead); never any other live holder. */
  readonly takeOverFrom?: string;
  readonly host?: string | null;
  readonly pid?: number | null;
}

export type LeaseOutcome =
  | {
      readonly acquired: true;
      readonly lease: Lease;
      /** The other holder's row this call replaced (expired, dead, forced), if any. */
      readonly replaced: Lease | null;
    }
  | { readonly acquired: false; readonly heldBy: Lease };

export interface RolloutFlag {
  readonly flag: string;
  /** Hundredths of a percent, 0–10,000 (so 12.34 % is 1234): exact, no float drift. */
  readonly basisPoints: number;
  readonly salt: string;
  /** Kill switch: while set, nobody is in, whatever the overrides say. */
  readonly rolledBack: boolean;
  /** Eligibility policy (from agg.config.json when the flag last changed): the deployment applies it too. */
  readonly minRecords: number;
  readonly requireFreshGrid: boolean;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export const OVERRIDE_MODES = ['allow', 'deny'] as const;
export type OverrideMode = (typeof OVERRIDE_MODES)[number];

export interface RolloutOverride {
  readonly flag: string;
  readonly userId: string;
  readonly mode: OverrideMode;
}

export interface RolloutEvent {
  readonly eventId: string;
  readonly flag: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly fromBasisPoints: number | null;
  readonly toBasisPoints: number | null;
  readonly reason: string | null;
  readonly details: JsonValue;
}

/** One atomic change of a flag: the new flag state, override changes, and its audit event. */
export interface FlagChange {
  readonly flag: RolloutFlag;
  readonly setOverrides: readonly RolloutOverride[];
  readonly clearOverrides: readonly string[];
  readonly event: RolloutEvent;
  /** The flag's updatedAt the change was planned against (null: the flag must not exist yet). */
  readonly expectedUpdatedAt: string | null;
}

export type FlagChangeOutcome = { readonly applied: true } | { readonly applied: false; readonly reason: 'conflict' };


// Validation of what adapters read back (a server answer is input like any other).

const isoInstant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected an ISO instant');

export const aggregationDigestSchema = z.object({
  userId: z.string(),
  aggregationType: z.enum(AGGREGATION_TYPES),
  filterHash: z.string().regex(/^[0-9a-f]{64}$/),
  version: z.number().int().nonnegative(),
  dataHash: z.string().regex(/^[0-9a-f]{64}$/),
  asOf: isoInstant,
  timeZone: z.string(),
  computedAt: isoInstant,
  expiresAt: isoInstant,
  metadata: z.object({ recordCount: z.number().int().nonnegative(), computeMs: z.number().nonnegative(), bytes: z.number().int().nonnegative() }),
  recordsRevision: z.string().min(1).max(100).nullable().default(null),
});

export const storedFiltersSchema = filtersSchema.transform((filters): Filters => filters);

export const storedRecordSchema = inputRecordSchema;

export const userSummarySchema = z.object({
  userId: z.string(),
  recordCount: z.number().int().nonnegative(),
  firstWatchedAt: isoInstant.nullable(),
  lastWatchedAt: isoInstant.nullable(),
  lastChangeAt: isoInstant.nullable(),
  gridFreshUntil: isoInstant.nullable().default(null),
  recordsRevision: z.string().min(1).max(100).nullable().default(null),
});
