import type { AggregationWrite } from '../../src/store/types.js';
import { makeConvexTestStore, makeTestConvex } from '../../test/support/convex-test-store.js';

// What the agg component stores for one user's results, measured in process on convex-test: data
// inline in headers, and the pieces of shared contents (each distinct data once per user).

export interface ConvexStoredBytes {
  /** Headers holding their data inline, and the UTF-8 bytes of that data (canonical JSON). */
  readonly inline: number;
  readonly inlineBytes: number;
  /** Shared contents and the UTF-8 bytes of their pieces. */
  readonly contents: number;
  readonly contentBytes: number;
}

export async function convexStoredBytes(writes: readonly AggregationWrite[]): Promise<ConvexStoredBytes> {
  const t = makeTestConvex();
  const store = makeConvexTestStore(t);
  await store.upsertAggregations(writes);
  return t.run(async (ctx) => {
    const encoder = new TextEncoder();
    let inline = 0;
    let inlineBytes = 0;
    for await (const header of ctx.db.query('precomputed_aggregations')) {
      if (header.shared === true || header.chunkCount > 0) continue;
      inline++;
      inlineBytes += encoder.encode(JSON.stringify(header.data ?? null)).length;
    }
    let contents = 0;
    for await (const _head of ctx.db.query('aggregation_contents')) contents++;
    let contentBytes = 0;
    for await (const chunk of ctx.db.query('aggregation_content_chunks')) contentBytes += encoder.encode(chunk.text).length;
    return { inline, inlineBytes, contents, contentBytes };
  });
}
