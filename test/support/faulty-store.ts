import { StoreError } from '../../src/store/errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from '../../src/store/retry.js';
import type { Store } from '../../src/store/store.js';
import { Random } from '../../fixtures/random.js';

/**
 * Thrown by `crashAfter`: stands for the process dying mid-run (nothing after it runs). To the jobs it
 * is what a store that is gone looks like, a permanent store-wide failure, so they stop the run
 * instead of failing one user and going on; no test-only path in the code under test.
 */
export class SimulatedCrash extends StoreError {
  constructor(readonly call: number) {
    super(`simulated crash at store call ${call}`, 'permanent', 'store');
    this.name = 'SimulatedCrash';
  }
}

export interface FaultPlan {
  /** Fail this share of calls (0–1) with a transient StoreError, from a seeded sequence. */
  readonly transientRate?: number;
  /** Of the transient failures, the share that happen after the call took effect (a lost answer). */
  readonly afterCommitShare?: number;
  /** Throw SimulatedCrash on this call number (1-based) and on every call after it. */
  readonly crashAfter?: number;
  readonly seed?: string;
}

/** The store's own retry policy, without the waits. */
const FAULT_RETRY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, sleep: async () => undefined };

/**
 * Wraps a Store so its calls fail as a plan says: transient failures before or after the call takes
 * effect (so retries must be idempotent), or a crash after which every call fails. `close` never fails.
 * The injected failures sit beneath a retry layer like the adapters' own (the one policy of
 * src/store/retry.ts, without waits): as a real adapter's calls fail, not past its retries.
 */
export function faultyStore<S extends Store>(inner: S, plan: FaultPlan): S & { readonly injected: { transient: number; afterCommit: number; calls: number } } {
  const random = new Random(plan.seed ?? 'faults');
  const injected = { transient: 0, afterCommit: 0, calls: 0 };
  let crashed = false;
  const wrap = (name: string, method: (...args: unknown[]) => unknown, target: object = inner) =>
    function (this: unknown, ...args: unknown[]): unknown {
      return withRetry(() => attempt(name, method, target, args), FAULT_RETRY);
    };
  const attempt = (name: string, method: (...args: unknown[]) => unknown, target: object, args: unknown[]): unknown => {
    injected.calls++;
    const call = injected.calls;
    if (crashed || (plan.crashAfter !== undefined && call >= plan.crashAfter)) {
      crashed = true;
      throw new SimulatedCrash(call);
    }
    const fail = plan.transientRate !== undefined && random.next() < plan.transientRate;
    const afterCommit = fail && random.next() < (plan.afterCommitShare ?? 0);
    if (fail && !afterCommit) {
      injected.transient++;
      return Promise.reject(new StoreError(`injected transient failure in ${name}`, 'transient'));
    }
    const result = method.apply(target, args);
    if (afterCommit && result instanceof Promise) {
      injected.afterCommit++;
      return result.then(() => Promise.reject(new StoreError(`injected lost answer after ${name}`, 'transient')));
    }
    return result;
  };
  // The maintenance facet's calls count and fail like the store's own.
  let maintenance: object | null = null;
  const facet = (target: object): object =>
    (maintenance ??= new Proxy(target, {
      get(facetTarget, property, receiver) {
        const value = Reflect.get(facetTarget, property, receiver);
        if (typeof value !== 'function' || property === 'constructor') return value;
        return wrap(`maintenance.${String(property)}`, value as (...args: unknown[]) => unknown, facetTarget);
      },
    }));
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'injected') return injected;
      const value = Reflect.get(target, property, receiver);
      if (property === 'maintenance' && value !== null && typeof value === 'object') return facet(value);
      if (typeof value !== 'function' || property === 'constructor') return value;
      if (property === 'close') return (value as (...a: unknown[]) => unknown).bind(target);
      // Async iterables (pendingUsers) are passed through unwrapped: their pages are real calls inside.
      if (property === 'pendingUsers') return value.bind(target);
      return wrap(String(property), value as (...args: unknown[]) => unknown);
    },
  }) as S & { readonly injected: { transient: number; afterCommit: number; calls: number } };
}
