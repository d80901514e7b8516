import type { InputRecord } from '../core/record.js';
import type { UserSummary } from '../store/types.js';
import type { Store } from '../store/store.js';
import { pagesOf } from '../store/paginate.js';

/** Reads that found the records changing under them before one came out whole. */
const READ_ATTEMPTS = 3;

export interface RecordsSnapshot {
  readonly user: UserSummary | null;
  readonly records: InputRecord[];
  /** The revision the records are known to be at least as old as; null when the store kept none. */
  readonly revision: string | null;
  /**
   * False when every attempt saw the revision move (a long import in flight): the records mix two
   * states, and a result from them must be labelled with the older revision, so validate calls it
   * stale, never drift.
   */
  readonly consistent: boolean;
}

/** Where the pages of one read go; a new one for each attempt. */
export interface RecordSink<T> {
  add(page: readonly InputRecord[]): void;
  finish(): T;
}

/**
 * A user's records at one state: the revision read before and after the pages must agree (records
 * come in several calls, between which an import may write). A few attempts, then the mixed read with
 * the revision from before it.
 */
export async function readConsistentRecords(store: Store, userId: string): Promise<RecordsSnapshot> {
  const { value, ...rest } = await readConsistently(store, userId, () => {
    const records: InputRecord[] = [];
    return { add: (page) => void records.push(...page), finish: () => records };
  });
  return { ...rest, records: value };
}

/**
 * As readConsistentRecords, but each page goes to a sink as it arrives (a dataset builder, say), so
 * the records need never be held all at once.
 */
export async function readConsistently<T>(store: Store, userId: string, begin: () => RecordSink<T>): Promise<Omit<RecordsSnapshot, 'records'> & { value: T }> {
  let snapshot: (Omit<RecordsSnapshot, 'records'> & { value: T }) | null = null;
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const before = await store.getUser(userId);
    const sink = begin();
    if (before) for await (const page of pagesOf((request) => store.pageRecords(userId, request))) sink.add(page);
    const value = sink.finish();
    const after = before ? await store.getUser(userId) : before;
    const revision = before?.recordsRevision ?? null;
    if ((after?.recordsRevision ?? null) === revision && (after === null) === (before === null)) return { user: after, value, revision, consistent: true };
    snapshot = { user: before, value, revision, consistent: false };
  }
  return snapshot!;
}
