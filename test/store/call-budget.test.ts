import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILTER_USE_LIMITS } from '../../src/component/filterCombinations.js';
import { runCleanup } from '../../src/cleanup/cleanup.js';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { CALL_BYTES_BUDGET } from '../../src/core/convex-limits.js';
import { canonicalFilters, filterHash } from '../../src/core/filters.js';
import { sha256Hex } from '../../src/core/hash/sha256.js';
import { canonicalJson, measureJson, utf8Length } from '../../src/core/json.js';
import { RECORD_LIMITS } from '../../src/core/record.js';
import { jsonBytes } from '../../src/store/batching.js';
import {
  CHUNKS_PER_DELETE,
  CHUNK_DOC_MAX_BYTES,
  FILTER_COMBINATION_DOC_BYTES,
  RECORD_DOC_MAX_BYTES,
  aggregationDocBytes,
} from '../../src/store/convex/call-costs.js';
import type { ConvexStore } from '../../src/store/convex/convex-store.js';
import { toStoredRecord } from '../../src/store/record-codec.js';
import type { AggregationWrite, Page, PageRequest, RunRecord, StoredAggregation } from '../../src/store/types.js';
import { type MeteredCall, installMeter, largestCall, meteredCaller } from '../support/call-meter.js';
import { makeConvexTestStore, makeTestConvex } from '../support/convex-test-store.js';

// Every batched call ConvexStore makes is sized by what its function reads and writes, so none reads
// plus writes more than CALL_BYTES_BUDGET (8 MiB), measured by convex-test as Convex counts it. Before
// byte sizing, refreshing, removing, orphan-deleting or archiving 120 rows of 500 KiB went out as one
// call that failed at Convex's 16 MiB read limit; chunk deletion read 12 MiB per call.

const KiB = 1024;
const MiB = 1024 * KiB;
const AT = '2025-01-01T00:00:00.000Z';
const LATER = '2025-03-01T00:00:00.000Z';

let stopMeter: () => void;
beforeAll(() => {
  stopMeter = installMeter();
});
afterAll(() => stopMeter());

function harness(): { store: ConvexStore; calls: MeteredCall[] } {
  const t = makeTestConvex();
  const caller = meteredCaller(t);
  return { store: makeConvexTestStore(t, caller), calls: caller.calls };
}

/** Aggregation `i` of a user, with about `bytes` of data made of `char`. */
function aggregation(userId: string, i: number, bytes: number, options: { char?: string; version?: number; expiresAt?: string } = {}): AggregationWrite {
  const char = options.char ?? 'x';
  const piece = 1000;
  const rows = Math.ceil(bytes / (piece * utf8Length(char) + 16));
  const data = { rows: Array.from({ length: rows }, (_, j) => `${i}:${j}:${options.version ?? 1}:${char.repeat(piece)}`) };
  const json = canonicalJson(data);
  const shape = measureJson(data, json);
  const filters = canonicalFilters({ topics: [`topic-${Math.floor(i / AGGREGATION_TYPES.length)}`] });
  return {
    userId,
    aggregationType: AGGREGATION_TYPES[i % AGGREGATION_TYPES.length]!,
    filterHash: filterHash(filters),
    version: 1,
    filters,
    json,
    dataHash: sha256Hex(json),
    asOf: AT,
    timeZone: 'UTC',
    computedAt: AT,
    expiresAt: options.expiresAt ?? '2025-01-02T00:00:00.000Z',
    metadata: { recordCount: 1, computeMs: 1, bytes: shape.bytes },
    longestArray: shape.longestArray,
    widestObject: shape.widestObject,
    depth: shape.depth,
  };
}

function run(i: number, checkpointBytes: number): RunRecord {
  // Arrays hold at most 8,192 elements: long ids make up the size.
  const ids = 8000;
  const idLength = Math.ceil(checkpointBytes / ids) - 3;
  return {
    runId: `run-${String(i).padStart(3, '0')}`,
    command: 'backfill',
    args: ['backfill', '--all'],
    target: 'all',
    startedAt: AT,
    finishedAt: '2025-01-01T01:00:00.000Z',
    status: 'succeeded',
    counts: { usersDone: ids },
    // A checkpoint as runs before the bounded format wrote them: every user settled ahead, listed.
    checkpoint: { spec: null, progress: { cursor: null, ahead: Array.from({ length: ids }, (_, j) => `user-${i}-${String(j).padStart(idLength - 8, '0')}`), failed: [] } },
    heartbeatAt: '2025-01-01T01:00:00.000Z',
  };
}

async function collect<T>(next: (request: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: Page<T> = await next({ cursor });
    out.push(...page.items);
    if (page.isDone) return out;
    cursor = page.cursor;
  }
}

/** Every call since `from` succeeded and read plus wrote at most the budget; returns the largest. */
function expectWithinBudget(calls: readonly MeteredCall[], from = 0): MeteredCall {
  const made = calls.slice(from);
  expect(made.length).toBeGreaterThan(0);
  for (const call of made) {
    const total = call.bytesRead + call.bytesWritten;
    expect(call.failed, `${call.name} failed`).toBe(false);
    expect(total, `${call.name} read ${call.bytesRead} and wrote ${call.bytesWritten} bytes`).toBeLessThanOrEqual(CALL_BYTES_BUDGET);
  }
  return largestCall(made)!;
}

const ROWS = 120;
const ROW_BYTES = 500 * KiB;

describe('ConvexStore sizes every batched call by the bytes it reads and writes', () => {
  it('writes, rewrites, refreshes and removes 120 aggregations of 500 KiB, no call over 8 MiB', async () => {
    const { store, calls } = harness();
    const first = Array.from({ length: ROWS }, (_, i) => ({ ...aggregation('big', i, ROW_BYTES), replacedBytes: null }));
    expect(first[0]!.metadata.bytes).toBeGreaterThan(490 * KiB);
    expect(await store.upsertAggregations(first)).toMatchObject({ written: ROWS });
    let mark = calls.length;
    // A rewrite reads each stored row (twice: lookup and replace) as well as writing the new one.
    const second = Array.from({ length: ROWS }, (_, i) => ({ ...aggregation('big', i, ROW_BYTES, { version: 2 }), replacedBytes: first[i]!.metadata.bytes }));
    expect(await store.upsertAggregations(second)).toMatchObject({ written: ROWS });
    const rewrite = expectWithinBudget(calls, mark);
    expect(rewrite.bytesRead).toBeGreaterThan(2 * MiB);

    const digests = await store.listDigests('big');
    mark = calls.length;
    const refreshed = await store.refreshAggregations(digests.map((d) => ({ ...d, expiresAt: LATER, storedBytes: d.metadata.bytes })));
    expect(refreshed).toEqual({ refreshed: ROWS, mismatched: [] });
    const refresh = expectWithinBudget(calls, mark);
    expect(calls.slice(mark).filter((c) => c.name === 'aggregations:refresh').length).toBeGreaterThan(ROWS / 10);
    // The rows hold their data as shared content: a refresh reads and writes only their headers (the
    // calls are still sized for inline rows of that size, which rows of the old layout may be).
    expect(refresh.bytesRead + refresh.bytesWritten).toBeLessThan(1 * MiB);

    // Without sizes, the largest inline row is assumed: more calls, each still within the budget.
    mark = calls.length;
    expect((await store.refreshAggregations(digests.slice(0, 12).map((d) => ({ ...d, expiresAt: '2025-04-01T00:00:00.000Z' })))).refreshed).toBe(12);
    expectWithinBudget(calls, mark);

    mark = calls.length;
    const removed = await store.deleteAggregations(digests.map((d) => ({ userId: d.userId, aggregationType: d.aggregationType, filterHash: d.filterHash, storedBytes: d.metadata.bytes })));
    expect(removed).toMatchObject({ deleted: ROWS, missing: 0 });
    expectWithinBudget(calls, mark);
    expect(await store.listDigests('big')).toEqual([]);
  }, 120_000);

  it('cleans up 120 large expired and orphaned aggregations and finished runs with large old checkpoints', async () => {
    const { store, calls } = harness();
    const expired = Array.from({ length: ROWS / 2 }, (_, i) => aggregation('gone-a', i, ROW_BYTES, { expiresAt: '2024-12-01T00:00:00.000Z' }));
    const orphans = Array.from({ length: ROWS / 2 }, (_, i) => aggregation('gone-b', i, ROW_BYTES, { expiresAt: LATER }));
    await store.upsertAggregations([...expired, ...orphans].map((w) => ({ ...w, replacedBytes: null })));
    const runs = Array.from({ length: 20 }, (_, i) => run(i, 600 * KiB));
    expect(jsonBytes(runs[0])).toBeGreaterThan(550 * KiB);
    for (const r of runs) await store.putRun(r);

    const mark = calls.length;
    const results = await runCleanup({
      store,
      categories: new Set(['expired', 'orphans', 'runs']),
      asOf: AT,
      staleFiltersBefore: AT,
      changeLogBefore: AT,
      runsBefore: '2025-01-02T00:00:00.000Z',
      chunkGraceMs: 0,
      batchSize: 500,
      dryRun: false,
      sampleSize: 3,
    });
    expect(Object.fromEntries(results.map((r) => [r.category, [r.matched, r.deleted]]))).toEqual({
      expired: [ROWS / 2, ROWS / 2],
      orphans: [ROWS / 2, ROWS / 2],
      'orphan-chunks': [0, 0],
      runs: [20, 20],
    });
    expectWithinBudget(calls, mark);
    expect(await collect((page) => store.pageAllDigests(page))).toEqual([]);
    expect(await store.listRuns(50)).toEqual([]);
  }, 120_000);

  it('archives and restores 120 large aggregations, runs with large checkpoints and large records', async () => {
    const { store, calls } = harness();
    await store.upsertAggregations(Array.from({ length: ROWS }, (_, i) => ({ ...aggregation('arc', i, ROW_BYTES), replacedBytes: null })));
    const rows: StoredAggregation[] = await collect((page) => store.pageUserAggregations('arc', { ...page, limit: 10 }));
    expect(rows).toHaveLength(ROWS);
    const runs = Array.from({ length: 20 }, (_, i) => run(i, 600 * KiB));
    for (const r of runs) await store.putRun(r);
    const records = Array.from({ length: 1000 }, (_, i) => ({ id: `rec-${String(i).padStart(4, '0')}`, watchedAt: '2024-01-01T00:00:00.000Z', videoTitle: 't'.repeat(4000), channelTitle: `c${i}` }));
    await store.putRecords({ userId: 'arc', records, change: { changeId: 'import-1', changeType: 'import', at: AT } });
    const archived = records.map((r) => ({ userId: 'arc', ...toStoredRecord(r) }));
    const change = { manifestId: 'm1', at: LATER };

    let mark = calls.length;
    expect(await store.maintenance.deleteArchivedRows('precomputed_aggregations', rows, change)).toMatchObject({ deleted: ROWS, changed: 0 });
    expect(await store.maintenance.deleteArchivedRows('agg_runs', runs, change)).toMatchObject({ deleted: 20, changed: 0 });
    expect(await store.maintenance.deleteArchivedRows('watch_records', archived, change)).toMatchObject({ deleted: 1000, changed: 0 });
    expectWithinBudget(calls, mark);

    mark = calls.length;
    expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change, { dryRun: true })).toEqual({ inserted: ROWS, identical: 0, conflicting: 0 });
    expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change)).toEqual({ inserted: ROWS, identical: 0, conflicting: 0 });
    // Restoring again reads every stored row (unknown sizes, assumed the largest) and inserts nothing.
    expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change, { dryRun: true })).toEqual({ inserted: 0, identical: ROWS, conflicting: 0 });
    expect(await store.maintenance.restoreArchivedRows('agg_runs', runs, change)).toEqual({ inserted: 20, identical: 0, conflicting: 0 });
    expect(await store.maintenance.restoreArchivedRows('watch_records', archived, change)).toEqual({ inserted: 1000, identical: 0, conflicting: 0 });
    expectWithinBudget(calls, mark);
    expect(canonicalJson(await store.readAggregation(rows[77]!))).toBe(canonicalJson(rows[77]));
  }, 120_000);

  it('writes, replaces and deletes chunked aggregations of 6 MiB of 3-byte characters', async () => {
    const { store, calls } = harness();
    const first = [0, 1].map((i) => ({ ...aggregation('huge', i, 6 * MiB, { char: '語' }), replacedBytes: null }));
    expect(first[0]!.metadata.bytes).toBeGreaterThan(5.9 * MiB);
    await store.upsertAggregations(first);
    const second = [0, 1].map((i) => ({ ...aggregation('huge', i, 6 * MiB, { char: '語', version: 2 }), replacedBytes: first[i]!.metadata.bytes }));
    // The replaced contents go as stale contents, a few pieces per call.
    await store.upsertAggregations(second);
    expect(canonicalJson((await store.readAggregation(second[1]!))!.data)).toBe(second[1]!.json);
    await store.deleteAggregations(second.map((w) => ({ userId: w.userId, aggregationType: w.aggregationType, filterHash: w.filterHash, storedBytes: w.metadata.bytes })));
    expect(await store.readAggregation(second[0]!)).toBeNull();
    const largest = expectWithinBudget(calls);
    expect(calls.filter((c) => c.name === 'contents:deleteContents').length).toBeGreaterThanOrEqual(4);
    expect(largest.bytesRead + largest.bytesWritten).toBeGreaterThan(4 * MiB);
    expect(await collect((page) => store.maintenance.pageOrphanChunkSets(0, page))).toEqual([]);
  }, 120_000);

  it('imports, re-imports with edits and deletes 1,000 records of 4 KiB, no call over 8 MiB', async () => {
    const { store, calls } = harness();
    const records = Array.from({ length: 1000 }, (_, i) => ({ id: `rec-${i}`, watchedAt: '2024-01-01T00:00:00.000Z', videoTitle: 'v'.repeat(4000), channelTitle: `c${i}` }));
    expect(await store.putRecords({ userId: 'u', records, change: { changeId: 'c1', changeType: 'import', at: AT } })).toEqual({ inserted: 1000, updated: 0, unchanged: 0 });
    const edited = records.map((r) => ({ ...r, videoTitle: 'w'.repeat(4000) }));
    expect(await store.putRecords({ userId: 'u', records: edited, change: { changeId: 'c2', changeType: 'import', at: AT } })).toEqual({ inserted: 0, updated: 1000, unchanged: 0 });
    expect(await store.deleteRecords('u', records.map((r) => r.id), { changeId: 'c3', changeType: 'delete', at: AT })).toBe(1000);
    expectWithinBudget(calls);
    expect(await store.getUser('u')).toBeNull();
  }, 120_000);
});

describe('the cost model', () => {
  it('bounds a chunk deletion by the largest chunks, and the documents it assumes by their real limits', () => {
    // deleteOrphanChunks: the owner's header (a whole inline row), limit + 1 chunks read, the deleted ones read again.
    expect(aggregationDocBytes(undefined) + (2 * CHUNKS_PER_DELETE + 1) * CHUNK_DOC_MAX_BYTES).toBeLessThanOrEqual(CALL_BYTES_BUDGET);
    expect(CHUNKS_PER_DELETE).toBeGreaterThanOrEqual(4);
    const longest = (n: number) => '語'.repeat(n);
    const combination = {
      userId: longest(256),
      filters: {
        timeframe: 'All',
        product: 'All',
        topics: Array.from({ length: FILTER_USE_LIMITS.listLength }, () => longest(FILTER_USE_LIMITS.stringLength)),
        channels: Array.from({ length: FILTER_USE_LIMITS.listLength }, () => longest(FILTER_USE_LIMITS.stringLength)),
      },
      filterHash: 'f'.repeat(64),
      lastUsed: AT,
      usageCount: 1e9,
    };
    expect(jsonBytes(combination)).toBeLessThanOrEqual(FILTER_COMBINATION_DOC_BYTES);
    const record = {
      userId: longest(256),
      recordId: longest(RECORD_LIMITS.idLength),
      watchedAt: AT,
      videoId: longest(RECORD_LIMITS.textLength),
      videoTitle: longest(RECORD_LIMITS.textLength),
      videoUrl: longest(RECORD_LIMITS.textLength),
      channelTitle: longest(RECORD_LIMITS.textLength),
      channelUrl: longest(RECORD_LIMITS.textLength),
      product: 'YouTube Music',
      topics: Array.from({ length: RECORD_LIMITS.topics }, () => longest(RECORD_LIMITS.topicLength)),
      isAd: false,
    };
    expect(jsonBytes(record)).toBeLessThanOrEqual(RECORD_DOC_MAX_BYTES);
  });
});
