import type { InputRecord } from '../core/record.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { paginate } from '../store/paginate.js';
import { storedRecordText, toStoredRecord } from '../store/record-codec.js';
import type { Store } from '../store/store.js';
import type { OperationSteps } from './operation.js';

// `agg import`'s work: a user's records written in batches under one change-log entry, between which a
// signal may stop it (what is written stays, and the same import again finishes it: records are keyed
// by id), and with --replace the stored records the file no longer has deleted last. It runs as an
// operation (runOperation): the lease import:<user>, the ledger row and the stop signal are its.

/** Records per store call from the command's point of view: the unit of progress. */
const IMPORT_BATCH = 2000;

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  /** With replace: stored records the file no longer has, deleted (or, in a dry run, to delete). */
  deleted: number;
  /** Without replace: stored records of the user the file does not have, kept (--replace would delete them). */
  storedNotInFile: number;
}

export interface ImportRequest {
  readonly store: Store;
  readonly now: () => number;
  readonly userId: string;
  readonly records: readonly InputRecord[];
  readonly changeId: string;
  readonly replace: boolean;
}

/** The user's stored records as their texts, by id. */
async function storedTexts(store: Store, userId: string): Promise<Map<string, string>> {
  const stored = new Map<string, string>();
  for await (const record of paginate((request) => store.pageRecords(userId, { cursor: request.cursor }))) stored.set(record.id, storedRecordText(toStoredRecord(record)));
  return stored;
}

/** What an import would do, without writing: compares the file with the user's stored records. */
export async function planImport(store: Store, userId: string, records: readonly InputRecord[], replace: boolean): Promise<ImportCounts> {
  const stored = await storedTexts(store, userId);
  const counts = { inserted: 0, updated: 0, unchanged: 0, deleted: 0, storedNotInFile: 0 };
  for (const record of records) {
    const existing = stored.get(record.id);
    if (existing === undefined) counts.inserted++;
    else if (existing === storedRecordText(toStoredRecord(record))) counts.unchanged++;
    else counts.updated++;
    stored.delete(record.id);
  }
  if (replace) counts.deleted = stored.size;
  else counts.storedNotInFile = stored.size;
  return counts;
}

/** The ledger row's counts: the file's records, and what was done with them so far. */
export function importLedgerCounts(records: number, counts: ImportCounts): Record<string, number> {
  return { records, inserted: counts.inserted, updated: counts.updated, unchanged: counts.unchanged, deleted: counts.deleted, storedNotInFile: counts.storedNotInFile };
}

/** Writes the records; `interruptedAt` is the number written when the steps' signal stopped it, else null. */
export async function importRecords(request: ImportRequest, steps: OperationSteps): Promise<{ counts: ImportCounts; interruptedAt: number | null }> {
  const { store, userId, records, changeId } = request;
  const counts = { inserted: 0, updated: 0, unchanged: 0, deleted: 0, storedNotInFile: 0 };
  let interruptedAt: number | null = null;
  for (let i = 0; i < records.length; i += IMPORT_BATCH) {
    if (steps.signal.aborted) {
      interruptedAt = i;
      break;
    }
    const outcome = await store.putRecords({ userId, records: records.slice(i, i + IMPORT_BATCH), change: { changeId, changeType: 'import', at: formatIsoInstant(request.now()) } });
    counts.inserted += outcome.inserted;
    counts.updated += outcome.updated;
    counts.unchanged += outcome.unchanged;
    steps.progress(Math.min(i + IMPORT_BATCH, records.length), 'records', records.length);
    // The ledger row follows every batch, so a kill -9 leaves true counts.
    await steps.record(importLedgerCounts(records.length, counts));
  }
  if (request.replace && interruptedAt === null) counts.deleted = await deleteMissing(request);
  else if (interruptedAt === null) {
    // Every record of the file is stored now: what the user holds beyond them, the file lacks (one call).
    const stored = (await store.getUser(userId))?.recordCount ?? 0;
    counts.storedNotInFile = Math.max(0, stored - new Set(records.map((record) => record.id)).size);
  }
  return { counts, interruptedAt };
}

/**
 * Deletes the stored records the file does not have, under the import's own change-log entry. Runs
 * after the file's records are written, so the user is never without the records both versions share.
 */
async function deleteMissing({ store, now, userId, records, changeId }: ImportRequest): Promise<number> {
  const inFile = new Set(records.map((record) => record.id));
  const stored = await storedTexts(store, userId);
  const missing = [...stored.keys()].filter((id) => !inFile.has(id));
  if (missing.length === 0) return 0;
  return store.deleteRecords(userId, missing, { changeId, changeType: 'import', at: formatIsoInstant(now()) }, (id) => Buffer.byteLength(stored.get(id) ?? '', 'utf8'));
}
