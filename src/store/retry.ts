import { StoreError } from './errors.js';

// The one retry policy of every store call, on both adapters: ConvexStore applies it to each function
// call it makes, SqliteStore to each of its operations (one SQLite transaction or statement). Nothing
// above the adapters retries again, so `--retries N` means N retries of a call, not N times N.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** The default of `--retries`: retries after the first attempt. */
export const DEFAULT_RETRIES = 5;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: DEFAULT_RETRIES + 1,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  random: Math.random,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The policy for `--retries N`: N retries after the first attempt, the default backoff. */
export function retryPolicy(retries: number, base: RetryPolicy = DEFAULT_RETRY_POLICY): RetryPolicy {
  return { ...base, attempts: retries + 1 };
}

/** The wait before retry number `retry` (1-based): full jitter under an exponential ceiling. */
export function backoffMs(retry: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(policy.random() * ceiling);
}

export interface RetryStats {
  calls: number;
  retries: number;
}

export function isTransient(error: unknown): error is StoreError {
  return error instanceof StoreError && error.kind === 'transient';
}

/**
 * Runs `operation`, retrying transient StoreErrors with exponential backoff and full jitter. Anything
 * else (permanent errors, bugs) is thrown at once; a transient failure that outlasts the attempts
 * becomes a permanent one. Safe only for idempotent operations, which is why every mutation agg calls
 * is idempotent.
 */
export async function withRetry<T>(operation: () => Promise<T> | T, policy: RetryPolicy, stats?: RetryStats): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (stats) stats.calls++;
    try {
      return await operation();
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (attempt >= policy.attempts) {
        throw new StoreError(`${error.message} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`, 'permanent', error.scope);
      }
      if (stats) stats.retries++;
      await policy.sleep(backoffMs(attempt, policy));
    }
  }
}
