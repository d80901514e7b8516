import { yieldIfBusy } from '../runtime/yield.js';
import type { Store } from './store.js';

/**
 * The embedded store does its work synchronously (better-sqlite3): a run of calls would otherwise
 * never let the event loop turn, so Ctrl-C, SIGTERM, the lease's renewal and the progress display
 * would all wait for the end of the run. Every call through this wrapper gives the loop a turn when
 * more than a few milliseconds of work have passed, and so does every item of a stream.
 */
export function withEventLoopTurns<S extends Store>(store: S): S {
  return wrap(store, new Set(['close', 'constructor']));
}

function wrap<T extends object>(target: T, passThrough: ReadonlySet<PropertyKey>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (property === 'maintenance' && value !== null && typeof value === 'object') return wrap(value as object, new Set(['constructor']));
      if (typeof value !== 'function' || passThrough.has(property)) return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (result instanceof Promise) return result.then(async (answer) => (await yieldIfBusy(), answer));
        if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) return turning(result as AsyncIterable<unknown>);
        return result;
      };
    },
  });
}

async function* turning<T>(items: AsyncIterable<T>): AsyncIterable<T> {
  for await (const item of items) {
    await yieldIfBusy();
    yield item;
  }
}
