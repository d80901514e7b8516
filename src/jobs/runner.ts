import pLimit from 'p-limit';
import { StoreError } from '../store/errors.js';

export type StopReason = 'interrupted' | 'deadline' | 'lease-lost' | 'fatal';

/**
 * Thrown by a user's work that stopped partway on request (Ctrl-C, SIGTERM) after its current write
 * batch: the user is not settled, so the checkpoint keeps it pending and --resume does it again.
 */
export class StoppedMidUser extends Error {
  constructor(readonly userId: string) {
    super(`stopped partway through user ${userId}`);
    this.name = 'StoppedMidUser';
  }
}

export type Settlement<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

export interface JobOptions<T> {
  /** In run order. */
  readonly users: readonly string[];
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  /** Epoch ms after which no new user starts (--max-runtime). */
  readonly deadline: number | null;
  readonly now: () => number;
  /** The per-user work; must be idempotent, since a user may be retried or redone after a crash. */
  process(userId: string): Promise<T>;
  /** Called once per user that ran, in completion order; the run's ledger and counts live here. */
  settled(userId: string, settlement: Settlement<T>): Promise<void>;
}

export interface JobOutcome {
  /** Null when every user ran. */
  readonly stoppedBy: StopReason | null;
  /** The error that stopped the run (a store error no user can get past). */
  readonly fatal: Error | null;
  readonly started: number;
}

/**
 * True for errors that condemn the whole run, not one user: a permanent store-wide failure (wrong key,
 * missing functions, gave up retrying, a store that is gone). Transient ones are retried.
 */
export function isFatal(error: unknown): boolean {
  return error instanceof StoreError && error.kind === 'permanent' && error.scope === 'store';
}

/**
 * Walks the users with bounded concurrency (p-limit). Stops starting new users on Ctrl-C (the signal),
 * at the deadline, when the lease is lost, or on a fatal error; users already running finish first (on
 * Ctrl-C a heavy one may stop partway instead: StoppedMidUser), so the checkpoint is exact. Per-user
 * failures are settled and the run goes on. There is no retry here: the store retries each of its calls
 * under the one policy (src/store/retry.ts), and a call that gives up fails for good.
 */
export async function runJob<T>(options: JobOptions<T>, stopSignal?: { reason: StopReason | null }): Promise<JobOutcome> {
  const limit = pLimit(Math.max(1, options.concurrency));
  const control = stopSignal ?? { reason: null };
  let fatal: Error | null = null;
  let started = 0;

  // Queued users return at once once stopped (p-limit's clearQueue would leave their promises pending).
  const stop = (reason: StopReason): void => {
    if (control.reason === null) control.reason = reason;
  };
  const onAbort = (): void => stop('interrupted');
  options.signal?.addEventListener('abort', onAbort);
  if (options.signal?.aborted) stop('interrupted');

  /** One user's work under the concurrency limit; null when the run stopped first. */
  const work = async (userId: string): Promise<Settlement<T> | null> => {
    if (control.reason !== null) return null;
    if (options.deadline !== null && options.now() >= options.deadline) {
      stop('deadline');
      return null;
    }
    started++;
    try {
      return { ok: true, value: await options.process(userId) };
    } catch (error) {
      if (error instanceof StoppedMidUser) return null;
      if (isFatal(error)) {
        fatal ??= error as Error;
        stop('fatal');
        return null;
      }
      return { ok: false, error: error as Error };
    }
  };

  // Settling (the checkpoint write) happens outside the limit: the slot goes to the next user at once,
  // while this one counts as done only when its checkpoint is stored.
  const settle = async (userId: string, settlement: Settlement<T> | null): Promise<void> => {
    if (settlement === null) return;
    try {
      await options.settled(userId, settlement);
    } catch (error) {
      fatal ??= error as Error;
      stop('fatal');
    }
  };

  try {
    await Promise.all(options.users.map((userId) => limit(() => work(userId)).then((settlement) => settle(userId, settlement))));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { stoppedBy: control.reason, fatal, started };
}
