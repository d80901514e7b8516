import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A heavy user's computation makes garbage in bursts: every filter set builds views of 100,000 records
// that outlive a few scavenges, get promoted, and are dead by the next set. V8 lets the old generation
// grow to about twice its live size before it collects, which on such a user is 50 MiB of garbage on top
// of a 40 MiB dataset. Collecting between filter sets, only when the heap has grown well past what the
// last collection left, keeps the peak near the live size for the price of a few full collections.

/** Below this the heap is left to V8. */
const FLOOR_BYTES = 48 * 1024 * 1024;
/**
 * Datasets smaller than this are left to V8 too: their views are small, and a run of many such users at
 * once (backfill --all) would pay a full collection every few filter sets for nothing (1.2× → 1.4× its
 * latency bound in bench:backfill).
 */
const HEAVY_RECORDS = 25_000;
/** Collect when the used heap is this many times what the last collection left. */
const GROWTH = 1.6;

let collect: (() => void) | null | undefined;
let leftByLastCollection = 0;

/** V8's gc(), enabled at run time (node needs no --expose-gc flag); null where the engine refuses. */
function collector(): (() => void) | null {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** A full collection, for a heavy dataset, when the heap has grown well past what the last one left. */
export function collectGarbageIfGrown(datasetRecords: number): void {
  if (datasetRecords < HEAVY_RECORDS) return;
  const used = process.memoryUsage().heapUsed;
  if (used < FLOOR_BYTES || used < leftByLastCollection * GROWTH) return;
  const gc = collector();
  if (gc === null) return;
  gc();
  leftByLastCollection = process.memoryUsage().heapUsed;
}

/** The results as they come, collecting (when grown) before each new filter set's first result. */
export function* collectingBetweenFilterSets<T extends { readonly filterHash: string }>(results: Iterable<T>, datasetRecords: number): Generator<T> {
  let previous: string | null = null;
  for (const result of results) {
    if (previous !== null && result.filterHash !== previous) collectGarbageIfGrown(datasetRecords);
    previous = result.filterHash;
    yield result;
  }
}
