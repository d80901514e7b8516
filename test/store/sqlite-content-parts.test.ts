// Long result texts in the embedded store go in parts (src/store/sqlite/contents.ts): what is read back
// is the text written, to the byte, and every part goes with its content.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { canonicalJson, measureJson } from '../../src/core/json.js';
import { PART_CHARS, splitIntoParts } from '../../src/store/sqlite/contents.js';
import { LOCAL_DB_FILE, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AggregationWrite } from '../../src/store/types.js';

const YOUTUBE = canonicalFilters({ ...DEFAULT_FILTERS, product: 'YouTube' });

function write(userId: string, data: unknown, filters = DEFAULT_FILTERS): AggregationWrite {
  const json = JSON.stringify(data);
  const shape = measureJson(data, json);
  return {
    userId,
    aggregationType: 'session_analysis',
    filterHash: filterHash(filters),
    version: 1,
    filters,
    json,
    dataHash: createHash('sha256').update(json, 'utf8').digest('hex'),
    asOf: '2026-11-30T00:00:00.000Z',
    timeZone: 'UTC',
    computedAt: '2026-11-30T00:00:00.000Z',
    expiresAt: '2999-01-01T00:00:00.000Z',
    metadata: { recordCount: 1, computeMs: 1, bytes: shape.bytes },
    longestArray: shape.longestArray,
    widestObject: shape.widestObject,
    depth: shape.depth,
  };
}

describe('long contents in parts', () => {
  it('cuts at PART_CHARS, never inside a surrogate pair, and the parts join to the text', () => {
    const text = `${'a'.repeat(PART_CHARS - 1)}😀${'b'.repeat(PART_CHARS + 5)}`;
    const parts = splitIntoParts(text);
    expect(parts.join('')).toBe(text);
    expect(parts.map((part) => part.length)).toEqual([PART_CHARS - 1, PART_CHARS, 7]);
    expect(splitIntoParts('short')).toEqual(['short']);
  });

  it('reads a multi-part result back whole, shares it between filter sets, and deletes its parts with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agg-parts-'));
    const store = SqliteStore.open(dir);
    const parts = () => {
      const db = new Database(join(dir, LOCAL_DB_FILE), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM aggregation_content_parts').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    try {
      // 3.3 million characters with multi-byte ones across the part boundaries.
      const sessions = Array.from({ length: 30_000 }, (_, i) => ({ id: `s${i}`, recordIds: [`r${i}a`, `r${i}b`], title: `séance ${i} 視聴 😀` }));
      const all = write('u1', sessions);
      const youtube = write('u1', sessions, YOUTUBE);
      expect(all.json.length).toBeGreaterThan(3 * PART_CHARS);
      await store.upsertAggregations([all, youtube]);
      const expectedParts = splitIntoParts(all.json).length - 1;
      expect(parts()).toBe(expectedParts);
      for (const key of [all, youtube]) {
        const stored = await store.readAggregation({ userId: 'u1', aggregationType: key.aggregationType, filterHash: key.filterHash });
        expect(canonicalJson(stored!.data)).toBe(all.json);
      }
      // A forced rewrite leaves one set of parts, not two.
      await store.upsertAggregations([all], { force: true });
      expect(parts()).toBe(expectedParts);
      // The first sharer goes: the content and its parts stay for the other; then they go too.
      await store.deleteAggregations([{ userId: 'u1', aggregationType: all.aggregationType, filterHash: all.filterHash }]);
      expect(parts()).toBe(expectedParts);
      await store.deleteAggregations([{ userId: 'u1', aggregationType: youtube.aggregationType, filterHash: youtube.filterHash }]);
      expect(parts()).toBe(0);
      // Deleting a user takes its parts as well.
      await store.upsertAggregations([write('u2', sessions)]);
      expect(parts()).toBe(expectedParts);
      for (let step = await store.deleteUserStep('u2'); !step.done; step = await store.deleteUserStep('u2'));
      expect(parts()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
