import { StoreError } from './errors.js';
import type { Store } from './types.js';

export interface ResilienceOptions {
  readonly attempts: number;
  readonly sleep: (ms: number) => Promise<void>;
}

const DEFAULT_RESILIENCE: ResilienceOptions = { attempts: 4, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/**
 * Every Store operation is idempotent, so any call that fails transiently (a busy embedded store, a
 * failure that escaped an adapter's own retries) is retried here with backoff, for the ledger, leases
 * and listings as much as for per-user work. Permanent failures pass straight through.
 */
export function withTransientRetries<S extends Store>(store: S, options: ResilienceOptions = DEFAULT_RESILIENCE): S {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'constructor') return value;
      // Streams and close run on the real store, so its internal calls never pass through here.
      if (property === 'close' || property === 'pendingUsers') return (value as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (error) {
            if (!(error instanceof StoreError) || error.kind !== 'transient' || attempt >= options.attempts) throw error;
            await options.sleep(100 * 2 ** (attempt - 1));
          }
        }
      };
    },
  });
}
