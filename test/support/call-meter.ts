import { TransactionMetricsTracker } from 'convex-test/dist/transactionMetrics.js';
import type { ConvexCaller } from '../../src/store/convex/caller.js';
import type { TestConvex } from './convex-test-store.js';
import { testCaller } from './convex-test-store.js';

// What each call to the component really read and wrote, as convex-test counts it for Convex's
// transaction limits (Convex's own document sizes, every read and write of every document). The meter
// listens to convex-test's per-transaction tracker; the metered caller runs calls one at a time, so
// every call is exactly the transactions that ended while it ran.

export interface MeteredCall {
  readonly name: string;
  readonly kind: 'query' | 'mutation';
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly documentsRead: number;
  readonly documentsWritten: number;
  /** The call threw (a limit it hit, or a function error). */
  readonly failed: boolean;
}

interface Metrics {
  bytesRead: number;
  bytesWritten: number;
  documentsRead: number;
  documentsWritten: number;
}

type TrackerInternals = { _layers: { metrics: Metrics }[] };

const ended: Metrics[] = [];
let installs = 0;
let original: { commit: () => void; rollback: () => void } | null = null;

/** Starts recording every top-level transaction's totals; the returned function stops it. */
export function installMeter(): () => void {
  if (installs++ === 0) {
    const proto = TransactionMetricsTracker.prototype as unknown as { commit: () => void; rollback: () => void };
    if (typeof proto.commit !== 'function' || typeof proto.rollback !== 'function') throw new Error('convex-test changed: TransactionMetricsTracker has no commit/rollback to meter');
    original = { commit: proto.commit, rollback: proto.rollback };
    const record = (tracker: TrackerInternals): void => {
      // The root layer ending is the end of a top-level transaction (nested ones fold into it).
      if (tracker._layers.length === 1) ended.push({ ...tracker._layers[0]!.metrics });
    };
    proto.commit = function (this: TrackerInternals) {
      record(this);
      original!.commit.call(this);
    };
    proto.rollback = function (this: TrackerInternals) {
      record(this);
      original!.rollback.call(this);
    };
  }
  return () => {
    if (--installs === 0 && original) {
      const proto = TransactionMetricsTracker.prototype as unknown as { commit: () => void; rollback: () => void };
      proto.commit = original.commit;
      proto.rollback = original.rollback;
      original = null;
      ended.length = 0;
    }
  };
}

/** A caller over convex-test that runs one call at a time and records what each read and wrote. */
export function meteredCaller(t: TestConvex): ConvexCaller & { readonly calls: MeteredCall[] } {
  const inner = testCaller(t);
  const calls: MeteredCall[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  const metered = (kind: 'query' | 'mutation') => (name: string, args: Record<string, unknown>) => {
    const run = queue.then(async () => {
      const from = ended.length;
      let failed = false;
      try {
        return await inner[kind](name, args);
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        const total = ended.slice(from).reduce<Metrics>(
          (sum, m) => ({ bytesRead: sum.bytesRead + m.bytesRead, bytesWritten: sum.bytesWritten + m.bytesWritten, documentsRead: sum.documentsRead + m.documentsRead, documentsWritten: sum.documentsWritten + m.documentsWritten }),
          { bytesRead: 0, bytesWritten: 0, documentsRead: 0, documentsWritten: 0 },
        );
        calls.push({ name, kind, ...total, failed });
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
  return { query: metered('query'), mutation: metered('mutation'), calls };
}

/** The call that read plus wrote the most. */
export function largestCall(calls: readonly MeteredCall[]): MeteredCall | null {
  let largest: MeteredCall | null = null;
  for (const call of calls) if (!largest || call.bytesRead + call.bytesWritten > largest.bytesRead + largest.bytesWritten) largest = call;
  return largest;
}
