import { InterruptedError, UnavailableError } from '../errors.js';
import type { Store } from '../store/store.js';
import { describeHolder } from '../jobs/lease.js';
import type { Lease } from '../store/types.js';
import type { JobContext } from '../jobs/events.js';
import type { ArchiveDestination } from './destination.js';

// What every step of an archive or restore run is given, and the two things each checks: the lease
// (one archive or restore at a time per store, held by runOperation) and the interruption signal.

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
  /** Who took the run's lease over, once another run has (runOperation's steps.lostTo); absent: no lease. */
  readonly lostTo?: () => Lease | null;
}

/** Rows done so far in a phase (`exported`, `deleted`, `restored`). */
export function reportProgress(env: ArchiveEnvironment, phase: string, done: number): void {
  env.context.emit({ kind: 'progress', done, total: env.total ?? null, unit: `rows ${phase}` });
}

class Interrupted extends InterruptedError {
  constructor(what: string, signal: AbortSignal) {
    super(`interrupted: ${what}; run the same command again to finish`, signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  }
}

export function checkSignal(env: ArchiveEnvironment, what: string): void {
  if (env.context.signal?.aborted) throw new Interrupted(what, env.context.signal);
}

/** Stops the run (exit 75, as a lease held at the start) once another run has taken its lease over. */
export function checkLease(env: ArchiveEnvironment): void {
  const by = env.lostTo?.() ?? null;
  // Unavailable: nothing is wrong with the store.
  if (by !== null) throw new UnavailableError(`${describeHolder(by)} took over the lease ${LEASE_NAME}; stopped (run the same command again to finish)`);
}
