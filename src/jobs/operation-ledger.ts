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

/**
 * A one-shot command (cleanup) in the run ledger, so that `agg runs` and `agg status` show when it ran
 * and what it did: a running row first, then its status and counts. A failure is recorded as failed
 * (best effort: the store may be what failed) and rethrown.
 */
export async function withLedgerRow<T>(
  store: Store,
  fields: { runId: string; command: string; args: readonly string[]; target: string; spec: JsonValue },
  now: () => number,
  work: () => Promise<OperationOutcome<T>>,
): Promise<T> {
  const ledger = await RunLedger.start(store, { ...fields, progress: EMPTY_CHECKPOINT }, now);
  let outcome: OperationOutcome<T>;
  try {
    outcome = await work();
  } catch (error) {
    await ledger.finish('failed', {}, EMPTY_CHECKPOINT).catch(() => undefined);
    throw error;
  }
  await ledger.finish(outcome.status, outcome.counts, EMPTY_CHECKPOINT);
  return outcome.value;
}
