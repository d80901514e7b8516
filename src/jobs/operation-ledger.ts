import type { JsonValue } from '../core/json.js';
import type { RunStatus } from '../store/types.js';
import type { Store } from '../store/store.js';
import { EMPTY_CHECKPOINT } from './checkpoint.js';
import { RunLedger } from './ledger.js';

export interface OperationOutcome<T> {
  readonly value: T;
  readonly status: RunStatus;
  readonly counts: Record<string, number>;
}

/** Records the counts so far in the running row; resolves once they (or later ones) are stored. */
export type RecordCounts = (counts: Record<string, number>) => Promise<void>;

/**
 * A one-shot command (cleanup) in the run ledger, so that `agg runs` and `agg status` show when it ran
 * and what it did: a running row first, its counts as the work records them (after each batch, so a
 * row left by kill -9 says what was done up to its last batch), then its status and final counts. A
 * failure is recorded as failed (best effort: the store may be what failed) and rethrown.
 */
export async function withLedgerRow<T>(
  store: Store,
  fields: { runId: string; command: string; args: readonly string[]; target: string; spec: JsonValue },
  now: () => number,
  work: (record: RecordCounts) => Promise<OperationOutcome<T>>,
): Promise<T> {
  const ledger = await RunLedger.start(store, { ...fields, progress: EMPTY_CHECKPOINT }, now);
  let outcome: OperationOutcome<T>;
  try {
    outcome = await work((counts) => ledger.update(counts, EMPTY_CHECKPOINT));
  } catch (error) {
    await ledger.finish('failed', {}, EMPTY_CHECKPOINT).catch(() => undefined);
    throw error;
  }
  await ledger.finish(outcome.status, outcome.counts, EMPTY_CHECKPOINT);
  return outcome.value;
}
