import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_FILTERS, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { sha256Hex } from '../../src/core/hash/sha256.js';
import { type JsonValue, canonicalJson } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import type { ArchiveManifestRow } from '../../src/store/maintenance.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AggregationWrite, Page, PageRequest, RunRecord, StoredAggregation } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { type TestConvex, assertDocumentLimits, makeConvexTestStore, makeTestConvex } from '../support/convex-test-store.js';

// The maintenance facet (cleanup and archive persistence) held to one contract on both adapters.

interface Harness {
  store: Store;
  checkLimits(): Promise<void>;
}

const ADAPTERS: ReadonlyArray<[string, () => Harness]> = [
  ['SqliteStore', () => ({ store: SqliteStore.open(':memory:'), checkLimits: async () => undefined })],
  [
    'ConvexStore (convex-test, transaction limits on)',
    () => {
      const t: TestConvex = makeTestConvex();
      return { store: makeConvexTestStore(t), checkLimits: async () => void (await assertDocumentLimits(t)) };
    },
  ],
];

const AS_OF = '2025-06-30T20:00:00.000Z';
const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const at = (day: number) => new Date(Date.UTC(2025, 0, day)).toISOString();
const stamp = (changeId: string, when = at(1)) => ({ changeId, changeType: 'import' as const, at: when });

async function collect<T>(next: (request: PageRequest) => Promise<Page<T>>, limit?: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: Page<T> = await next({ cursor, ...(limit !== undefined ? { limit } : {}) });
    out.push(...page.items);
    if (page.isDone) return out;
    cursor = page.cursor;
  }
}

function record(id: string, watchedAt: string | null, extra: Partial<InputRecord> = {}): InputRecord {
  return { id, watchedAt, videoTitle: `Video ${id}`, channelTitle: 'Channel A', ...extra };
}

function writesFor(userId: string, records: InputRecord[], filterSets = [DEFAULT_FILTERS], computedAtMs = NOW): AggregationWrite[] {
  const { results } = computeAggregations({ records, context: { asOf: AS_OF, timeZone: 'UTC' }, filterSets });
  return results.map((result) =>
    toAggregationWrite(result, { userId, asOf: AS_OF, timeZone: 'UTC', computedAtMs, ttlMs: 3_600_000, recordCount: records.length, computeMs: 1 }),
  );
}

const RECORDS = Array.from({ length: 12 }, (_, i) => record(`r${String(i).padStart(2, '0')}`, i < 10 ? at(1 + i * 10) : null, { topics: ['Music'] }));

function run(runId: string, finishedAt: string | null, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    command: 'backfill',
    args: ['--all'],
    target: 'all',
    startedAt: at(1),
    finishedAt,
    status: finishedAt === null ? 'running' : 'succeeded',
    counts: { users: 2 },
    checkpoint: { done: ['a', 'b'], nested: { n: 1 } },
    heartbeatAt: at(1),
    ...extra,
  };
}

describe.each(ADAPTERS)('MaintenanceStore contract: %s', (_name, make) => {
  let harness: Harness;
  let store: Store;
  beforeEach(() => {
    harness = make();
    store = harness.store;
  });
  afterEach(async () => {
    await harness.checkLimits();
    await store.close();
  }, 60_000);

  describe('cleanup', () => {
    it('pages stale filter combinations and deletes only those still unused', async () => {
      const ytd = canonicalFilters({ timeframe: 'YTD', topics: ['Music'] });
      const mtd = canonicalFilters({ timeframe: 'MTD', channels: ['C'] });
      await store.recordFilterUse('u1', ytd, at(1));
      await store.recordFilterUse('u2', ytd, at(2));
      await store.recordFilterUse('u1', mtd, at(40));
      const stale = await collect((page) => store.maintenance.pageStaleFilterCombinations(at(30), page), 1);
      expect(stale.map((c) => [c.userId, c.lastUsed])).toEqual([
        ['u1', at(1)],
        ['u2', at(2)],
      ]);
      // u2 uses it again before the deletion: it survives.
      await store.recordFilterUse('u2', ytd, at(50));
      const outcome = await store.maintenance.deleteStaleFilterCombinations(stale, at(30));
      expect(outcome.deleted).toBe(1);
      expect(outcome.bytesFreed).toBeGreaterThan(0);
      expect((await store.listFilterCombinations('u1')).map((c) => c.filterHash)).toEqual([filterHash(mtd)]);
      expect(await store.listFilterCombinations('u2')).toHaveLength(1);
      // A retry of the same call deletes nothing more: the deleted one is missing, the used one neither.
      expect(await store.maintenance.deleteStaleFilterCombinations(stale, at(30))).toEqual({ deleted: 0, missing: 1, bytesFreed: 0 });
    });

    it('deletes orphaned aggregations only while they are still orphans', async () => {
      const custom = canonicalFilters({ topics: ['Music'] });
      const other = canonicalFilters({ channels: ['Channel A'] });
      await store.putRecords({ userId: 'u1', records: RECORDS, change: stamp('c1') });
      await store.recordFilterUse('u1', custom, at(1));
      const kept = writesFor('u1', RECORDS, [DEFAULT_FILTERS, custom]).filter((w) => w.aggregationType === 'kpi');
      const unused = writesFor('u1', RECORDS, [other]).filter((w) => w.aggregationType === 'kpi' || w.aggregationType === 'top_channels');
      const gone = writesFor('ghost', RECORDS).filter((w) => w.aggregationType === 'kpi');
      await store.upsertAggregations([...kept, ...unused, ...gone]);
      // Someone starts using `other` for top_channels' key before the deletion runs: both its rows survive.
      const planned = [...kept, ...unused, ...gone];
      await store.recordFilterUse('u1', other, at(2));
      expect((await store.maintenance.deleteOrphanAggregations(planned)).deleted).toBe(1); // ghost's kpi
      expect(await store.listDigests('ghost')).toEqual([]);
      expect(await store.listDigests('u1')).toHaveLength(4);
      // Without the combination, `other` is an orphan again.
      await store.maintenance.deleteStaleFilterCombinations([{ userId: 'u1', filterHash: filterHash(other) }], at(3));
      const outcome = await store.maintenance.deleteOrphanAggregations(planned);
      expect(outcome).toMatchObject({ deleted: 2, missing: 1 }); // ghost's kpi went in the first call
      expect(outcome.bytesFreed).toBe(unused.reduce((sum, w) => sum + w.metadata.bytes, 0));
      expect((await store.listDigests('u1')).map((d) => d.filterHash).sort()).toEqual(kept.map((w) => w.filterHash).sort());
    });

    it('pages processed change-log entries and deletes only those still processed and old', async () => {
      await store.putRecords({ userId: 'u1', records: [record('a', null)], change: stamp('i1', at(1)) });
      await store.putRecords({ userId: 'u1', records: [record('b', null)], change: stamp('i2', at(2)) });
      await store.putRecords({ userId: 'u2', records: [record('a', null)], change: stamp('i3', at(3)) });
      await store.putRecords({ userId: 'u2', records: [record('b', null)], change: stamp('i4', at(40)) });
      await store.markChangesProcessed('u1', [{ changeId: 'i1', changedAt: at(1) }, { changeId: 'i2', changedAt: at(2) }], at(5));
      await store.markChangesProcessed('u2', [{ changeId: 'i4', changedAt: at(40) }], at(41));
      const old = await collect((page) => store.maintenance.pageProcessedChanges(at(30), page), 1);
      expect(old.map((e) => e.changeId)).toEqual(['i1', 'i2']);
      // i2 is extended by a later batch of its import: unprocessed again, it must stay.
      await store.putRecords({ userId: 'u1', records: [record('c', null)], change: stamp('i2', at(3)) });
      const outcome = await store.maintenance.deleteProcessedChanges(old.map((e) => e.changeId), at(30));
      expect(outcome).toMatchObject({ deleted: 1, missing: 0 });
      expect((await store.listChanges('u1')).map((e) => e.changeId)).toEqual(['i2']);
      expect(await store.maintenance.deleteProcessedChanges(old.map((e) => e.changeId), at(30))).toEqual({ deleted: 0, missing: 1, bytesFreed: 0 });
    });

    it('pages finished runs and deletes only those still finished before the cutoff', async () => {
      await store.putRun(run('r1', at(2)));
      await store.putRun(run('r2', at(3)));
      await store.putRun(run('r3', null));
      await store.putRun(run('r4', at(60)));
      const old = await collect((page) => store.maintenance.pageFinishedRuns(at(30), page), 1);
      expect(old.map((r) => r.runId)).toEqual(['r1', 'r2']);
      expect(old[0]).toEqual(run('r1', at(2)));
      await store.putRun(run('r2', at(70)));
      expect((await store.maintenance.deleteFinishedRuns(['r1', 'r2', 'r3', 'never'].map((runId) => ({ runId })), at(30)))).toMatchObject({ deleted: 1, missing: 1 });
      expect((await store.listRuns(10)).map((r) => r.runId).sort()).toEqual(['r2', 'r3', 'r4']);
    });

    it('finds no orphaned chunks when every chunk set has its header', async () => {
      expect(await collect((page) => store.maintenance.pageOrphanChunkSets(0, page))).toEqual([]);
      expect(await store.maintenance.deleteOrphanChunkSets([], 0)).toEqual({ deleted: 0, missing: 0, bytesFreed: 0 });
    });
  });

  describe('archive rows', () => {
    it('pages dated records watched before the cutoff, and deletes only unchanged ones, keeping stats and the change log exact', async () => {
      await store.putRecords({ userId: 'u1', records: RECORDS, change: stamp('c1') });
      const old = await collect((page) => store.maintenance.pageArchivableRecords('u1', at(50), page), 2);
      expect(old.map((r) => r.recordId)).toEqual(['r00', 'r01', 'r02', 'r03', 'r04']);
      expect(old[0]).toEqual({ userId: 'u1', recordId: 'r00', watchedAt: at(1), videoTitle: 'Video r00', channelTitle: 'Channel A', topics: ['Music'] });
      // r01 is edited after the export: it must survive.
      await store.putRecords({ userId: 'u1', records: [record('r01', at(11), { videoTitle: 'Renamed' })], change: stamp('c2') });
      const change = { manifestId: 'm1', at: at(100) };
      const outcome = await store.maintenance.deleteArchivedRows('watch_records', old, change);
      expect(outcome).toMatchObject({ deleted: 4, changed: 1, changedRows: [1], missing: 0 });
      expect(outcome.bytesFreed).toBeGreaterThan(0);
      // A retried call (the answer was lost) deletes nothing twice and logs nothing twice.
      expect(await store.maintenance.deleteArchivedRows('watch_records', old, change)).toEqual({ deleted: 0, changed: 1, changedRows: [1], missing: 4, bytesFreed: 0 });
      expect(await store.getUser('u1')).toMatchObject({ recordCount: 8, firstWatchedAt: at(11), lastWatchedAt: at(91), lastChangeAt: at(100) });
      const entry = (await store.listChanges('u1')).find((e) => e.changeId === 'archive:m1:u1');
      expect(entry).toMatchObject({ changeType: 'archive', recordCount: 4, processed: false, changedAt: at(100) });
    });

    it('restores records where the key is free, idempotently, and counts in a dry run without writing', async () => {
      await store.putRecords({ userId: 'u1', records: RECORDS, change: stamp('c1') });
      const rows = await collect((page) => store.maintenance.pageArchivableRecords('u1', at(50), page));
      await store.maintenance.deleteArchivedRows('watch_records', rows, { manifestId: 'm1', at: at(100) });
      // r02 comes back through an import with other contents meanwhile.
      await store.putRecords({ userId: 'u1', records: [record('r02', at(21), { videoTitle: 'New' })], change: stamp('c2', at(101)) });
      const change = { manifestId: 'm1', at: at(102) };
      expect(await store.maintenance.restoreArchivedRows('watch_records', rows, change, { dryRun: true })).toEqual({ inserted: 4, identical: 0, conflicting: 1 });
      expect((await store.getUser('u1'))!.recordCount).toBe(8);
      expect(await store.maintenance.restoreArchivedRows('watch_records', rows, change)).toEqual({ inserted: 4, identical: 0, conflicting: 1 });
      expect(await store.maintenance.restoreArchivedRows('watch_records', rows, change)).toEqual({ inserted: 0, identical: 4, conflicting: 1 });
      expect(await store.getUser('u1')).toMatchObject({ recordCount: 12, firstWatchedAt: at(1), lastChangeAt: at(102) });
      const back = await collect((page) => store.maintenance.pageArchivableRecords('u1', at(50), page));
      expect(back.filter((r) => r.recordId !== 'r02')).toEqual(rows.filter((r) => r.recordId !== 'r02'));
      expect((await store.listChanges('u1')).find((e) => e.changeId === 'restore:m1:u1')).toMatchObject({ changeType: 'restore', recordCount: 4, processed: false });
    });

    it('reports which rows were kept, across users interleaved in one call', async () => {
      await store.putRecords({ userId: 'u1', records: RECORDS, change: stamp('c1') });
      await store.putRecords({ userId: 'u2', records: RECORDS, change: stamp('c2') });
      const u1 = await collect((page) => store.maintenance.pageArchivableRecords('u1', at(50), page));
      const u2 = await collect((page) => store.maintenance.pageArchivableRecords('u2', at(50), page));
      const rows = u1.flatMap((row, i) => [row, u2[i]!]);
      await store.putRecords({ userId: 'u2', records: [record('r03', at(31), { videoTitle: 'Edited' })], change: stamp('c3') });
      await store.putRecords({ userId: 'u1', records: [record('r04', at(41), { videoTitle: 'Edited' })], change: stamp('c4') });
      const outcome = await store.maintenance.deleteArchivedRows('watch_records', rows, { manifestId: 'm2', at: at(100) });
      expect(outcome).toMatchObject({ deleted: 8, changed: 2, missing: 0 });
      expect(outcome.changedRows.map((i) => `${rows[i]!.userId}/${rows[i]!.recordId}`)).toEqual(['u2/r03', 'u1/r04']);
      expect((await store.getUser('u1'))!.recordCount).toBe(8);
      expect((await store.getUser('u2'))!.recordCount).toBe(8);
    });

    it('deletes aggregations unchanged since export, and restores them byte for byte', async () => {
      await store.upsertAggregations(writesFor('u1', RECORDS));
      const digests = await store.listDigests('u1');
      const rows = (await Promise.all(digests.map((d) => store.readAggregation(d)))) as StoredAggregation[];
      // One row is refreshed after the export: it is no longer the archived copy.
      const refreshed = rows[0]!;
      await store.refreshAggregations([{ ...refreshed, expiresAt: new Date(NOW + 7_200_000).toISOString() }]);
      const outcome = await store.maintenance.deleteArchivedRows('precomputed_aggregations', rows, { manifestId: 'm1', at: at(100) });
      expect(outcome).toMatchObject({ deleted: 9, changed: 1, changedRows: [0], missing: 0 });
      expect(outcome.bytesFreed).toBe(rows.slice(1).reduce((sum, r) => sum + r.metadata.bytes, 0));
      expect(await store.listDigests('u1')).toHaveLength(1);
      const change = { manifestId: 'm1', at: at(101) };
      expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change, { dryRun: true })).toEqual({ inserted: 9, identical: 0, conflicting: 1 });
      expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change)).toEqual({ inserted: 9, identical: 0, conflicting: 1 });
      expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change)).toEqual({ inserted: 0, identical: 9, conflicting: 1 });
      for (const row of rows.slice(1)) expect(canonicalJson(await store.readAggregation(row))).toBe(canonicalJson(row));
    });

    it('archives and restores an aggregation too large for one document', async () => {
      const data: JsonValue = Array.from({ length: 9000 }, (_, i) => ({ i, text: `row ${i} ${'x'.repeat(100)}` }));
      const json = canonicalJson(data);
      const row: StoredAggregation = {
        userId: 'big',
        aggregationType: 'session_analysis',
        filterHash: filterHash(DEFAULT_FILTERS),
        version: 1,
        dataHash: sha256Hex(json),
        asOf: AS_OF,
        timeZone: 'UTC',
        computedAt: AS_OF,
        expiresAt: AS_OF,
        metadata: { recordCount: 9000, computeMs: 12.5, bytes: Buffer.byteLength(json) },
        recordsRevision: '3.0123456789',
        filters: DEFAULT_FILTERS,
        data,
      };
      const change = { manifestId: 'm1', at: at(100) };
      expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', [row], change)).toEqual({ inserted: 1, identical: 0, conflicting: 0 });
      expect(canonicalJson(await store.readAggregation(row))).toBe(canonicalJson(row));
      expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', [row], change)).toEqual({ inserted: 0, identical: 1, conflicting: 0 });
      expect(await collect((page) => store.maintenance.pageOrphanChunkSets(0, page))).toEqual([]);
      expect(await store.maintenance.deleteArchivedRows('precomputed_aggregations', [row], change)).toMatchObject({ deleted: 1, bytesFreed: row.metadata.bytes });
      expect(await store.readAggregation(row)).toBeNull();
      expect(await collect((page) => store.maintenance.pageOrphanChunkSets(0, page))).toEqual([]);
    });

    it('archives and restores change-log entries and runs exactly', async () => {
      await store.putRecords({ userId: 'u1', records: [record('a', null)], change: stamp('i1', at(1)) });
      await store.markChangesProcessed('u1', [{ changeId: 'i1', changedAt: at(1) }], at(2));
      await store.putRun(run('r1', at(2)));
      const [entry] = await collect((page) => store.maintenance.pageProcessedChanges(at(30), page));
      const [finished] = await collect((page) => store.maintenance.pageFinishedRuns(at(30), page));
      const change = { manifestId: 'm1', at: at(100) };
      expect(await store.maintenance.deleteArchivedRows('data_change_log', [entry!], change)).toMatchObject({ deleted: 1 });
      expect(await store.maintenance.deleteArchivedRows('agg_runs', [finished!], change)).toMatchObject({ deleted: 1 });
      expect(await store.listChanges('u1')).toEqual([]);
      expect(await store.getRun('r1')).toBeNull();
      expect(await store.maintenance.restoreArchivedRows('data_change_log', [entry!], change)).toEqual({ inserted: 1, identical: 0, conflicting: 0 });
      expect(await store.maintenance.restoreArchivedRows('agg_runs', [finished!], change)).toEqual({ inserted: 1, identical: 0, conflicting: 0 });
      expect(await store.listChanges('u1')).toEqual([entry]);
      expect(await store.getRun('r1')).toEqual(finished);
      // A run that changed after the export is not deleted; restoring over it is a conflict.
      await store.putRun({ ...finished!, counts: { users: 3 } });
      expect(await store.maintenance.deleteArchivedRows('agg_runs', [finished!], change)).toMatchObject({ deleted: 0, changed: 1, changedRows: [0] });
      expect(await store.maintenance.restoreArchivedRows('agg_runs', [finished!], change)).toEqual({ inserted: 0, identical: 0, conflicting: 1 });
    });
  });

  describe('archive manifests', () => {
    const row: ArchiveManifestRow = {
      manifestId: 'arc-1',
      createdAt: at(1),
      destination: '/tmp/archive',
      tables: ['watch_records'],
      rowCount: 0,
      bytes: 0,
      status: 'exporting',
      verifiedAt: null,
      manifest: { selection: { asOf: at(1) } },
    };

    it('creates, advances only from the expected status, is idempotent, lists and deletes', async () => {
      expect(await store.maintenance.putArchiveManifest(row, null)).toEqual({ applied: true });
      expect(await store.maintenance.putArchiveManifest(row, null)).toEqual({ applied: true }); // a retry
      const verified = { ...row, status: 'verified' as const, verifiedAt: at(2), rowCount: 5, bytes: 100, manifest: { chunks: [{ file: 'c1', rows: 5 }] } };
      expect(await store.maintenance.putArchiveManifest(verified, 'deleted')).toEqual({ applied: false, current: 'exporting' });
      expect(await store.maintenance.putArchiveManifest(verified, 'exporting')).toEqual({ applied: true });
      expect(await store.maintenance.putArchiveManifest(verified, 'exporting')).toEqual({ applied: true }); // a retry after a lost answer
      expect(await store.maintenance.getArchiveManifest('arc-1')).toEqual(verified);
      expect(await store.maintenance.putArchiveManifest({ ...row, manifestId: 'arc-0' }, null)).toEqual({ applied: true });
      expect((await store.maintenance.listArchiveManifests()).map((m) => m.manifestId)).toEqual(['arc-0', 'arc-1']);
      expect(await store.maintenance.deleteArchiveManifest('arc-1', 'exporting')).toBe(false);
      expect(await store.maintenance.deleteArchiveManifest('arc-0', 'exporting')).toBe(true);
      expect(await store.maintenance.deleteArchiveManifest('arc-0', 'exporting')).toBe(true);
      expect(await store.maintenance.getArchiveManifest('arc-0')).toBeNull();
      expect(await store.maintenance.putArchiveManifest({ ...row, manifestId: 'arc-2' }, 'exporting')).toEqual({ applied: false, current: null });
    });
  });
});

describe('MaintenanceStore on Convex: orphaned chunk documents', () => {
  it('finds chunks no header references once they are old enough, and deletes them unless a header claims them first', async () => {
    const t = makeTestConvex();
    const store = makeConvexTestStore(t);
    const owner = { userId: 'u1', aggregationType: 'kpi' as const, filterHash: filterHash(DEFAULT_FILTERS) };
    await t.run(async (ctx) => {
      for (let seq = 0; seq < 20; seq++) await ctx.db.insert('aggregation_chunks', { ...owner, dataHash: 'a'.repeat(64), seq, text: `piece ${seq}` });
      for (let seq = 0; seq < 2; seq++) await ctx.db.insert('aggregation_chunks', { ...owner, dataHash: 'b'.repeat(64), seq, text: `other ${seq}` });
    });
    // Too young: a write in progress puts its chunks in before its header.
    expect(await collect((page) => store.maintenance.pageOrphanChunkSets(3_600_000, page))).toEqual([]);
    const sets = await collect((page) => store.maintenance.pageOrphanChunkSets(0, page));
    expect(sets.map((s) => [s.dataHash[0], s.chunks])).toEqual([
      ['a', 20],
      ['b', 2],
    ]);
    // A header for set b arrives before the deletion: b is referenced and stays.
    await t.run(async (ctx) => {
      await ctx.db.insert('precomputed_aggregations', {
        ...owner,
        version: 1,
        filters: { timeframe: 'All', product: 'All', topics: [], channels: [] },
        dataHash: 'b'.repeat(64),
        asOf: AS_OF,
        timeZone: 'UTC',
        computedAt: AS_OF,
        expiresAt: AS_OF,
        metadata: { recordCount: 0, computeMs: 0, bytes: 10 },
        chunkCount: 2,
      });
    });
    const outcome = await store.maintenance.deleteOrphanChunkSets(sets, 0);
    expect(outcome.deleted).toBe(20);
    expect(outcome.bytesFreed).toBe(Array.from({ length: 20 }, (_, seq) => `piece ${seq}`.length).reduce((a, b) => a + b, 0));
    expect(await collect((page) => store.maintenance.pageOrphanChunkSets(0, page))).toEqual([]);
    expect(await t.run(async (ctx) => (await ctx.db.query('aggregation_chunks').collect()).length)).toBe(2);
  });
});
