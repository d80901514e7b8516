import { StoreError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  random: Math.random,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryStats {
  calls: number;
  retries: number;
}

/**
 * Runs `operation`, retrying transient StoreErrors with exponential backoff and full jitter. Anything
 * else (permanent errors, bugs) is thrown at once. Safe only for idempotent operations, which is why
 * every mutation agg calls is idempotent.
 */
export async function withRetry<T>(operation: () => Promise<T>, policy: RetryPolicy, stats?: RetryStats): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (stats) stats.calls++;
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof StoreError) || error.kind !== 'transient' || attempt >= policy.attempts) {
        if (error instanceof StoreError && error.kind === 'transient') {
          throw new StoreError(`${error.message} (gave up after ${attempt} attempts)`, 'permanent', error.scope);
        }
        throw error;
      }
      if (stats) stats.retries++;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await policy.sleep(Math.floor(policy.random() * ceiling));
    }
  }
}
