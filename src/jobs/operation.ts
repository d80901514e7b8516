import type { JsonValue } from '../core/json.js';
import type { Lease, RunStatus } from '../store/types.js';
import type { Store } from '../store/store.js';
import type { JobContext } from './events.js';
import { describeTakeover, LeaseHolder } from './lease.js';
import { type RecordCounts, withLedgerRow } from './operation-ledger.js';
import { newRunId } from './task.js';

// A one-shot command (cleanup, delete-user, import, archive and its restore) as a task: it declares its lease, its ledger row and its
// work in steps; this module owns the lease, the ledger row, the stop signal and the progress events,
// as runTask does for the commands that go user by user.

/** Why the steps stopped before the end: Ctrl-C / SIGTERM, or another run took the lease over. */
export type OperationStop = 'interrupted' | 'lease-lost';

export interface OperationSteps {
  /** Aborted by Ctrl-C, SIGTERM or a lost lease: stop after the current step. */
  readonly signal: AbortSignal;
  /** The progress line: `done` so far, of `total` when it is known. */
  progress(done: number, unit: string, total?: number | null): void;
  /**
   * Stores the counts so far in the ledger row (a dry run has none), once per completed batch: after
   * kill -9 the row says what was done. Rejects when the store does (the batch is then not counted).
   */
  record(counts: Record<string, number>): Promise<void>;
  /** Who took the lease over, once another run has (the signal is then aborted too); null before, and in a dry run. */
  lostTo(): Lease | null;
}

/** The one-shot commands that run as operations, each with its own run-id prefix (task.ts). */
export type OperationCommand = 'cleanup' | 'delete-user' | 'import' | 'archive';

export interface Operation<T> {
  readonly command: OperationCommand;
  readonly leaseName: string;
  /** What the ledger row says the run was about (`expired,orphans`, a user id). */
  readonly target: string;
  readonly spec: JsonValue;
  /** The progress line's label. */
  readonly label: string;
  /** The work, in steps that each check `steps.signal`; returns its value and the ledger's counts. */
  run(steps: OperationSteps): Promise<{ readonly value: T; readonly counts: Record<string, number>; readonly complete: boolean }>;
}

export interface OperationOptions {
  readonly store: Store;
  readonly context: JobContext;
  /** The command line as the ledger records it (secrets redacted). */
  readonly args: readonly string[];
  /** A dry run leaves no trace: no lease, no ledger row. */
  readonly dryRun: boolean;
}

export type OperationResult<T> =
  | { readonly kind: 'lease-held'; readonly heldBy: Lease; readonly leaseName: string }
  | { readonly kind: 'ran'; readonly runId: string | null; readonly value: T; readonly status: RunStatus; readonly stoppedBy: OperationStop | null; readonly ms: number };

export async function runOperation<T>(operation: Operation<T>, options: OperationOptions): Promise<OperationResult<T>> {
  const { store, context } = options;
  const started = context.now();
  const runId = newRunId(operation.command, started);
  const lost = new AbortController();
  let lostTo: Lease | null = null;
  let lease: LeaseHolder | null = null;
  if (!options.dryRun) {
    const onLost = (by: Lease) => {
      lostTo = by;
      lost.abort();
    };
    const acquired = await LeaseHolder.acquire(store, { name: operation.leaseName, runId, now: context.now, force: false, onLost });
    if ('heldBy' in acquired) return { kind: 'lease-held', heldBy: acquired.heldBy, leaseName: operation.leaseName };
    lease = acquired.lease;
    if (acquired.tookOver) context.emit({ kind: 'notice', message: describeTakeover(operation.leaseName, acquired.tookOver) });
  }
  const signal = context.signal ? AbortSignal.any([context.signal, lost.signal]) : lost.signal;
  const progress = (done: number, unit: string, total: number | null = null) => context.emit({ kind: 'progress', done, total, unit });
  const stoppedBy = (complete: boolean): OperationStop | null => (complete ? null : context.signal?.aborted ? 'interrupted' : lost.signal.aborted ? 'lease-lost' : null);
  const statusOf = (stop: OperationStop | null): RunStatus => (stop === 'interrupted' ? 'interrupted' : stop === 'lease-lost' ? 'partial' : 'succeeded');
  context.emit({ kind: 'started', label: operation.label });
  try {
    const ended: { stop: OperationStop | null } = { stop: null };
    const work = async (record: RecordCounts = async () => undefined) => {
      const outcome = await operation.run({ signal, progress, record, lostTo: () => lostTo });
      ended.stop = stoppedBy(outcome.complete);
      return { value: outcome.value, status: statusOf(ended.stop), counts: outcome.counts };
    };
    const value = options.dryRun
      ? (await work()).value
      : await withLedgerRow(store, { runId, command: operation.command, args: options.args, target: operation.target, spec: operation.spec }, context.now, work);
    return { kind: 'ran', runId: options.dryRun ? null : runId, value, status: statusOf(ended.stop), stoppedBy: ended.stop, ms: context.now() - started };
  } finally {
    context.emit({ kind: 'finished' });
    await lease?.release();
  }
}
