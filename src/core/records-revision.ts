import { sha256Hex } from './hash/sha256.js';

// A user's records revision names one state of the user's records: every write that changes a record
// makes a new one, in the same transaction. A stored result carries the revision it was computed from,
// so "is this result still the data's?" is an equality test, whatever the clocks say.
//
// A counter alone would repeat after a user's last record is deleted (the stats row goes with it) and
// new records arrive; the change that made the revision is folded in, so a revision is never reused.

/** The revision after `change` on top of `previous` (null: the user had none). */
export function nextRecordsRevision(previous: string | null | undefined, change: { readonly changeId: string; readonly at: string }): string {
  const counter = previous ? Number.parseInt(previous, 10) : 0;
  const next = (Number.isSafeInteger(counter) && counter >= 0 ? counter : 0) + 1;
  return `${next}.${sha256Hex(`${previous ?? ''}|${change.changeId}|${change.at}`).slice(0, 10)}`;
}
