import { InterruptedError } from '../errors.js';
import type { Store } from '../store/store.js';
import { LeaseHeldError, LeaseHolder, describeTakeover } from '../jobs/lease.js';
import type { JobContext } from '../jobs/events.js';
import type { ArchiveDestination } from './destination.js';

// What every step of an archive or restore run is given, and the two things each checks: the lease
// (one archive or restore at a time per store) and the interruption signal.

/** Rows per deleting or restoring call from this side (the adapter splits further within Convex's limits). */
export const ROWS_PER_CALL = 500;
export const LEASE_NAME = 'archive';

export interface ArchiveEnvironment {
  readonly store: Store;
  /** The clock, the stop signal, and where progress and the takeover notice go. */
  readonly context: JobContext;
  /** Opens the destination a manifest row names (null: this agg cannot). */
  readonly open: (location: string) => ArchiveDestination | null;
  /** Rows the run will handle, when known ahead (a restore: the manifest's count). */
  readonly total?: number | null;
}

/** Rows done so far in a phase (`exported`, `deleted`, `restored`). */
export function reportProgress(env: ArchiveEnvironment, phase: string, done: number): void {
  env.context.emit({ kind: 'progress', done, total: env.total ?? null, unit: `rows ${phase}` });
}

/** The run's progress display from start to end, whatever the outcome. */
export async function withProgress<T>(env: ArchiveEnvironment, label: string, work: () => Promise<T>): Promise<T> {
  env.context.emit({ kind: 'started', label });
  try {
    return await work();
  } finally {
    env.context.emit({ kind: 'finished' });
  }
}

class Interrupted extends InterruptedError {
  constructor(what: string, signal: AbortSignal) {
    super(`interrupted: ${what}; run the same command again to finish`, signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  }
}

export function checkSignal(env: ArchiveEnvironment, what: string): void {
  if (env.context.signal?.aborted) throw new Interrupted(what, env.context.signal);
}

// The lease: one archive or restore at a time per store.

/**
 * Takes the archive lease (the same LeaseHolder every leased command uses: renewed while the run works,
 * taken over at once from a dead run on this host); a live holder is a LeaseHeldError (exit 75).
 */
export async function takeLease(env: ArchiveEnvironment): Promise<LeaseHolder> {
  const acquired = await LeaseHolder.acquire(env.store, { name: LEASE_NAME, runId: null, now: env.context.now, force: false });
  if ('heldBy' in acquired) throw new LeaseHeldError(LEASE_NAME, acquired.heldBy);
  if (acquired.tookOver) env.context.emit({ kind: 'notice', message: describeTakeover(LEASE_NAME, acquired.tookOver) });
  return acquired.lease;
}
