import { describe, expect, it } from 'vitest';
import { INGEST_LIMITS } from '../../src/component/limits.js';
import { makeTestConvex } from '../support/convex-test-store.js';

// The component's own check of a batch's size, for apps that call it without the client: bytes are
// UTF-8 bytes, as Convex counts them, not UTF-16 characters.

describe("the component's ingestion limits", () => {
  it('refuses a batch of multi-byte text over the limit in bytes though under it in characters', async () => {
    const t = makeTestConvex();
    // 3 bytes a character: ~3.8 MB of characters, ~11.5 MB of UTF-8; each record valid on its own.
    const title = '視聴履歴'.repeat(2_000);
    const records = Array.from({ length: 480 }, (_, i) => ({ id: `r${i}`, watchedAt: null, videoTitle: title }));
    expect(JSON.stringify(records).length).toBeLessThan(INGEST_LIMITS.bytesPerCall);
    await expect(t.mutation('ingest:recordWatches' as never, { userId: 'u1', records } as never)).rejects.toThrow(
      new RegExp(`agg: records of \\d+ bytes in one call; at most ${INGEST_LIMITS.bytesPerCall} bytes per call`),
    );
    const ids = Array.from({ length: 900 }, (_, i) => `${'識'.repeat(2_000)}${i}`);
    expect(JSON.stringify(ids).length).toBeLessThan(INGEST_LIMITS.bytesPerCall);
    await expect(t.mutation('ingest:deleteWatches' as never, { userId: 'u1', ids } as never)).rejects.toThrow(/agg: record ids of \d+ bytes in one call/);
  });

  it('takes a batch under the limit in bytes (2.4 MB of UTF-8)', async () => {
    const t = makeTestConvex();
    const records = Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, watchedAt: null, videoTitle: '視'.repeat(8_000) }));
    await expect(t.mutation('ingest:recordWatches' as never, { userId: 'u1', records } as never)).resolves.toMatchObject({ inserted: 100 });
  });
});
