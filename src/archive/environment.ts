import { InterruptedError } from '../errors.js';
import type { Store } from '../store/store.js';
import { LeaseHeldError, LeaseHolder, describeTakeover } from '../jobs/lease.js';
import type { ArchiveDestination } from './destination.js';

// What every step of an archive or restore run is given, and the two things each checks: the lease
// (one archive or restore at a time per store) and the interruption signal.

/** Rows per deleting or restoring call from this side (the adapter splits further within Convex's limits). */
export const ROWS_PER_CALL = 500;
export const LEASE_NAME = 'archive';

export interface ArchiveEnvironment {
  readonly store: Store;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** Opens the destination a manifest row names (null: this agg cannot). */
  readonly open: (location: string) => ArchiveDestination | null;
  readonly onProgress?: (phase: string, done: number) => void;
  /** Told when the lease of a dead archive run was taken over (one line). */
  readonly onTakeover?: (line: string) => void;
}

class Interrupted extends InterruptedError {
  constructor(what: string, signal: AbortSignal) {
    super(`interrupted: ${what}; run the same command again to finish`, signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  }
}

export function checkSignal(env: ArchiveEnvironment, what: string): void {
  if (env.signal?.aborted) throw new Interrupted(what, env.signal);
}

// The lease: one archive or restore at a time per store.

/**
 * Takes the archive lease (the same LeaseHolder every leased command uses: renewed while the run works,
 * taken over at once from a dead run on this host); a live holder is a LeaseHeldError (exit 75).
 */
export async function takeLease(env: ArchiveEnvironment): Promise<LeaseHolder> {
  const acquired = await LeaseHolder.acquire(env.store, { name: LEASE_NAME, runId: null, now: env.now, force: false });
  if ('heldBy' in acquired) throw new LeaseHeldError(LEASE_NAME, acquired.heldBy);
  if (acquired.tookOver) env.onTakeover?.(describeTakeover(LEASE_NAME, acquired.tookOver));
  return acquired.lease;
}
