import type { InputRecord } from '../../core/record.js';
import type { ChangeStamp } from './changes.js';

// Users and their watch records: the summary kept per user, record writes, and how long a user's
// default grid stays fresh.

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

export interface RecordWriteOutcome {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
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
