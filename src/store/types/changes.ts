// The change log: every records change stamps one entry, which incremental backfill processes.

export interface ChangeStamp {
  /** Client-chosen id: retries and later batches of the same import extend the same entry. */
  readonly changeId: string;
  readonly changeType: ChangeType;
  readonly at: string;
}

export const CHANGE_TYPES = ['import', 'update', 'delete', 'archive', 'restore'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

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
