import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_FILTERS, DEFAULT_GRID, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { canonicalJson } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import { fromStoredRecord, toStoredRecord } from '../../src/store/record-codec.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { LOCAL_DB_FILE, SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { AggregationWrite, RunRecord } from '../../src/store/types.js';
import type { Store } from '../../src/store/store.js';
import { generateUser } from '../../fixtures/generator.js';
import { type TestConvex, assertDocumentLimits, makeConvexTestStore, makeTestConvex } from '../support/convex-test-store.js';

interface Harness {
  store: Store;
  /** Checks Convex's per-document limits where they apply. */
  checkLimits(): Promise<void>;
  /**
   * Loads many records fast. convex-test answers each keyed lookup by scanning the table, so 100,000
   * upserts through putRecords would take hours there: it gets raw inserts (plus the user's stats).
   */
  seedRecords(userId: string, records: InputRecord[]): Promise<void>;
}

const ADAPTERS: ReadonlyArray<[string, () => Harness]> = [
  [
    'SqliteStore',
    () => {
      const store = SqliteStore.open(':memory:');
      return {
        store,
        checkLimits: async () => undefined,
        seedRecords: async (userId, records) => void (await store.putRecords({ userId, records, change: stamp('seed') })),
      };
    },
  ],
  [
    'ConvexStore (convex-test, transaction limits on)',
    () => {
      const t: TestConvex = makeTestConvex();
      return {
        store: makeConvexTestStore(t),
        checkLimits: async () => void (await assertDocumentLimits(t, { skip: ['watch_records'] })),
        seedRecords: async (userId, records) => {
          const stored = records.map(toStoredRecord);
          for (let i = 0; i < stored.length; i += 5000) {
            const batch = stored.slice(i, i + 5000);
            await t.run(async (ctx) => {
              for (const record of batch) await ctx.db.insert('watch_records', { userId, ...record });
            });
          }
          const dated = stored.map((r) => r.watchedAt).filter((w): w is string => w !== null).sort();
          await t.run(async (ctx) => {
            await ctx.db.insert('user_stats', { userId, recordCount: stored.length, firstWatchedAt: dated[0] ?? null, lastWatchedAt: dated.at(-1) ?? null, lastChangeAt: null });
          });
        },
      };
    },
  ],
];

const AS_OF = '2025-06-30T20:00:00.000Z';
const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const stamp = (changeId: string, at = '2025-07-01T00:00:00.000Z') => ({ changeId, changeType: 'import' as const, at });

function record(id: string, watchedAt: string | null, extra: Partial<InputRecord> = {}): InputRecord {
  return { id, watchedAt, videoTitle: `Video ${id}`, channelTitle: 'Channel A', ...extra };
}

async function allRecords(store: Store, userId: string, limit?: number): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await store.pageRecords(userId, { cursor, limit });
    out.push(...page.items);
    if (page.isDone) return out;
    cursor = page.cursor;
  }
}

function writesFor(userId: string, records: InputRecord[], computedAtMs = NOW, filterSets = [DEFAULT_FILTERS]): AggregationWrite[] {
  const { results } = computeAggregations({ records, context: { asOf: AS_OF, timeZone: 'UTC' }, filterSets });
  return results.map((result) =>
    toAggregationWrite(result, { userId, asOf: AS_OF, timeZone: 'UTC', computedAtMs, ttlMs: 3_600_000, recordCount: records.length, computeMs: 1 }),
  );
}

describe.each(ADAPTERS)('Store contract: %s', (_name, make) => {
  let harness: Harness;
  let store: Store;
  beforeEach(() => {
    harness = make();
    store = harness.store;
  });
  afterEach(async () => {
    await harness.checkLimits();
    await store.close();
  }, 120_000);

  describe('records and users', () => {
    it('inserts, then treats an identical re-import as unchanged, and an edit as an update', async () => {
      const records = [record('a', '2024-01-01T10:00:00.000Z'), record('b', null, { product: 'YouTube Music', topics: ['Music'] }), record('c', '2024-02-01T10:00:00+02:00')];
      expect(await store.putRecords({ userId: 'u1', records, change: stamp('c1') })).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
      expect(await store.putRecords({ userId: 'u1', records, change: stamp('c2') })).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
      const edited = [{ ...records[0]!, videoTitle: 'Renamed' }];
      expect(await store.putRecords({ userId: 'u1', records: edited, change: stamp('c3') })).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
      const changes = await store.listChanges('u1');
      expect(changes.map((c) => [c.changeId, c.recordCount, c.processed])).toEqual([
        ['c1', 3, false],
        ['c3', 1, false],
      ]);
    });

    it('returns records as stored: canonical instants, empty fields omitted, every field kept', async () => {
      await store.putRecords({
        userId: 'u1',
        change: stamp('c1'),
        records: [
          { id: 'x', watchedAt: '2024-02-01T10:00:00+02:00', videoId: 'v1', videoTitle: 'T', videoUrl: 'https://www.youtube.com/watch?v=v1', channelTitle: 'C', channelUrl: 'https://www.youtube.com/channel/UC1', product: 'YouTube', topics: ['Gaming', 'Music'], isAd: false },
          { id: 'y', watchedAt: null, videoTitle: null, channelTitle: undefined },
        ],
      });
      expect(await allRecords(store, 'u1')).toEqual([
        { id: 'x', watchedAt: '2024-02-01T08:00:00.000Z', videoId: 'v1', videoTitle: 'T', videoUrl: 'https://www.youtube.com/watch?v=v1', channelTitle: 'C', channelUrl: 'https://www.youtube.com/channel/UC1', product: 'YouTube', topics: ['Gaming', 'Music'], isAd: false },
        { id: 'y', watchedAt: null },
      ]);
    });

    it('keeps user stats exact through inserts and deletes, and lists users in order', async () => {
      await store.putRecords({ userId: 'u2', records: [record('a', '2024-03-01T00:00:00.000Z'), record('b', '2024-01-01T00:00:00.000Z'), record('c', null)], change: stamp('c1', '2025-01-01T00:00:00.000Z') });
      await store.putRecords({ userId: 'u1', records: [record('a', null)], change: stamp('c2', '2025-01-02T00:00:00.000Z') });
      expect(await store.getUser('u2')).toEqual({ userId: 'u2', recordCount: 3, firstWatchedAt: '2024-01-01T00:00:00.000Z', lastWatchedAt: '2024-03-01T00:00:00.000Z', lastChangeAt: '2025-01-01T00:00:00.000Z', gridFreshUntil: null, recordsRevision: expect.stringMatching(/^\d+\.[0-9a-f]{10}$/) });
      expect(await store.getUser('u1')).toEqual({ userId: 'u1', recordCount: 1, firstWatchedAt: null, lastWatchedAt: null, lastChangeAt: '2025-01-02T00:00:00.000Z', gridFreshUntil: null, recordsRevision: expect.stringMatching(/^\d+\.[0-9a-f]{10}$/) });
      expect(await store.deleteRecords('u2', ['b', 'missing'], { changeId: 'd1', changeType: 'delete', at: '2025-02-01T00:00:00.000Z' })).toBe(1);
      expect(await store.getUser('u2')).toMatchObject({ recordCount: 2, firstWatchedAt: '2024-03-01T00:00:00.000Z', lastChangeAt: '2025-02-01T00:00:00.000Z' });
      const first = await store.listUsers({ cursor: null, limit: 1 });
      expect(first.items.map((u) => u.userId)).toEqual(['u1']);
      expect(first.isDone).toBe(false);
      const second = await store.listUsers({ cursor: first.cursor, limit: 1 });
      expect(second.items.map((u) => u.userId)).toEqual(['u2']);
      const rest = second.isDone ? [] : (await store.listUsers({ cursor: second.cursor, limit: 1 })).items;
      expect(rest).toEqual([]);
      await store.deleteRecords('u1', ['a'], { changeId: 'd2', changeType: 'delete', at: '2025-02-02T00:00:00.000Z' });
      expect(await store.getUser('u1')).toBeNull();
    });

    it('pages a 100,000-record user completely and exactly, within the transaction limits', async () => {
      const records = generateUser({ userId: 'big', records: 100_000, seed: 'contract', years: 5 });
      await harness.seedRecords('big', records);
      const back = await allRecords(store, 'big');
      expect(back).toHaveLength(100_000);
      const byId = new Map(back.map((r) => [r.id, r]));
      expect(byId.size).toBe(100_000);
      for (const original of records.filter((_, i) => i % 997 === 0)) {
        expect(byId.get(original.id)).toEqual(fromStoredRecord(toStoredRecord(original)));
      }
      expect((await store.getUser('big'))!.recordCount).toBe(100_000);
      // A re-import of a slice of it is recognized as unchanged (a small slice: see seedRecords).
      expect(await store.putRecords({ userId: 'big', records: records.slice(0, 20), change: stamp('again') })).toEqual({ inserted: 0, updated: 0, unchanged: 20 });
    }, 240_000);
  });

  describe('change log', () => {
    it('groups pending entries by user and marks only entries unchanged since they were read', async () => {
      await store.putRecords({ userId: 'u2', records: [record('a', null)], change: stamp('i1', '2025-01-01T00:00:00.000Z') });
      await store.putRecords({ userId: 'u1', records: [record('a', null)], change: stamp('i2', '2025-01-02T00:00:00.000Z') });
      await store.putRecords({ userId: 'u1', records: [record('b', null)], change: stamp('i3', '2025-01-03T00:00:00.000Z') });
      const pending = [];
      for await (const user of store.pendingUsers()) pending.push(user);
      expect(pending).toEqual([
        { userId: 'u1', changes: [{ changeId: 'i2', changedAt: '2025-01-02T00:00:00.000Z', revision: expect.any(String) }, { changeId: 'i3', changedAt: '2025-01-03T00:00:00.000Z', revision: expect.any(String) }], oldestChangedAt: '2025-01-02T00:00:00.000Z' },
        { userId: 'u2', changes: [{ changeId: 'i1', changedAt: '2025-01-01T00:00:00.000Z', revision: expect.any(String) }], oldestChangedAt: '2025-01-01T00:00:00.000Z' },
      ]);
      // A later batch of import i3 arrives after the entries were read: i3 must stay unprocessed.
      await store.putRecords({ userId: 'u1', records: [record('c', null)], change: stamp('i3', '2025-01-04T00:00:00.000Z') });
      expect(await store.markChangesProcessed('u1', pending[0]!.changes, '2025-01-05T00:00:00.000Z')).toBe(1);
      const after = [];
      for await (const user of store.pendingUsers()) after.push(user.userId + ':' + user.changes.map((c) => c.changeId).join(','));
      expect(after).toEqual(['u1:i3', 'u2:i1']);
      const entries = await store.listChanges('u1');
      expect(entries.find((e) => e.changeId === 'i2')).toMatchObject({ processed: true, processedAt: '2025-01-05T00:00:00.000Z' });
      expect(entries.find((e) => e.changeId === 'i3')).toMatchObject({ processed: false, recordCount: 2 });
    });
  });

  describe('aggregations', () => {
    const records = generateUser({ userId: 'u1', records: 300, seed: 'agg-contract', years: 2 });

    it('writes, then refreshes only expiresAt when version and data are unchanged, unless forced', async () => {
      const first = writesFor('u1', records, NOW);
      expect(await store.upsertAggregations(first)).toMatchObject({ written: 10, unchanged: 0 });
      const later = writesFor('u1', records, NOW + 60_000);
      expect(await store.upsertAggregations(later)).toMatchObject({ written: 0, unchanged: 10, bytesWritten: 0 });
      const digests = await store.listDigests('u1');
      expect(digests).toHaveLength(10);
      for (const digest of digests) {
        expect(digest.expiresAt).toBe(new Date(NOW + 60_000 + 3_600_000).toISOString());
        expect(digest.computedAt).toBe(new Date(NOW).toISOString());
      }
      expect(await store.upsertAggregations(later, { force: true })).toMatchObject({ written: 10, unchanged: 0 });
      const bumped = later.map((item) => ({ ...item, version: item.version + 1 }));
      expect(await store.upsertAggregations(bumped)).toMatchObject({ written: 10 });
    });

    it('reads back exactly what was computed, for every type and the whole grid', async () => {
      const writes = writesFor('u1', records, NOW, [...DEFAULT_GRID]);
      expect(writes).toHaveLength(180);
      await store.upsertAggregations(writes);
      for (const item of writes.filter((_, i) => i % 7 === 0)) {
        const stored = await store.readAggregation(item);
        expect(stored).not.toBeNull();
        expect(canonicalJson(stored!.data)).toBe(item.json);
        expect(stored!.filters).toEqual(item.filters);
        expect(stored!.dataHash).toBe(item.dataHash);
      }
      expect(await store.readAggregation({ userId: 'u1', aggregationType: 'kpi', filterHash: '0'.repeat(64) })).toBeNull();
    });

    it('stores an aggregation larger than 1 MiB losslessly, and replaces it cleanly', async () => {
      // 20,000 records make session_analysis (every record id, in sessions) exceed one document.
      const big = generateUser({ userId: 'big', records: 20_000, seed: 'big-agg', years: 3 });
      const write = writesFor('big', big).find((w) => w.aggregationType === 'session_analysis')!;
      expect(write.metadata.bytes).toBeGreaterThan(1024 * 1024);
      expect(await store.upsertAggregations([write])).toMatchObject({ written: 1 });
      const stored = await store.readAggregation(write);
      expect(canonicalJson(stored!.data)).toBe(write.json);
      const smaller = writesFor('big', big.slice(0, 19_000)).find((w) => w.aggregationType === 'session_analysis')!;
      expect(await store.upsertAggregations([smaller])).toMatchObject({ written: 1 });
      expect(canonicalJson((await store.readAggregation(write))!.data)).toBe(smaller.json);
      await store.deleteAggregations([write]);
      expect(await store.readAggregation(write)).toBeNull();
    }, 60_000);

    it('deletes by key only when the conditions still hold inside the transaction', async () => {
      const writes = writesFor('u1', records, NOW);
      await store.upsertAggregations(writes);
      const [a, b, c] = writes;
      const expiry = new Date(NOW + 3_600_000).toISOString();
      const outcome = await store.deleteAggregations([
        { ...a!, onlyIfExpiresBefore: expiry }, // expires exactly at `expiry`: not before it, survives
        { ...b!, onlyIfDataHash: '0'.repeat(64) }, // data changed since planned: survives
        { ...c!, onlyIfDataHash: c!.dataHash }, // deleted
      ]);
      expect(outcome).toEqual({ deleted: 1, missing: 0, bytesFreed: c!.metadata.bytes });
      // Retried (as after a lost answer): the deleted row is reported missing, the others neither.
      expect(await store.deleteAggregations([{ ...a!, onlyIfExpiresBefore: expiry }, { ...c!, onlyIfDataHash: c!.dataHash }])).toEqual({ deleted: 0, missing: 1, bytesFreed: 0 });
      expect((await store.listDigests('u1')).map((d) => d.aggregationType).sort()).toEqual(
        writes.filter((w) => w !== c).map((w) => w.aggregationType).sort(),
      );
    });

    it('refreshes only rows still holding the same version and data, and reports the rest', async () => {
      const writes = writesFor('u1', records, NOW);
      await store.upsertAggregations(writes.slice(0, 9));
      const later = new Date(NOW + 7_200_000).toISOString();
      const items = writes.map((w) => ({ userId: w.userId, aggregationType: w.aggregationType, filterHash: w.filterHash, version: w.version, dataHash: w.dataHash, expiresAt: later }));
      items[0] = { ...items[0]!, dataHash: '0'.repeat(64) };
      const outcome = await store.refreshAggregations(items);
      expect(outcome.refreshed).toBe(8);
      expect(outcome.mismatched.map((k) => k.aggregationType).sort()).toEqual([writes[0]!.aggregationType, writes[9]!.aggregationType].sort());
      const digests = await store.listDigests('u1');
      expect(digests.filter((d) => d.expiresAt === later)).toHaveLength(8);
    });

    it('keeps a records revision: new with every change, never reused after the user\'s records are all gone', async () => {
      const revisionOf = async (userId: string) => (await store.getUser(userId))?.recordsRevision ?? null;
      await store.putRecords({ userId: 'r', records: [record('a', null)], change: stamp('r1', '2025-01-01T00:00:00.000Z') });
      const first = await revisionOf('r');
      expect(first).toMatch(/^1\./);
      await store.putRecords({ userId: 'r', records: [record('a', null)], change: stamp('r2', '2025-01-01T00:00:00.000Z') });
      expect(await revisionOf('r')).toBe(first); // nothing changed: same revision
      // Two batches of one import in the same millisecond still make two revisions, and the entry holds the last.
      await store.putRecords({ userId: 'r', records: [record('b', null)], change: stamp('r3', '2025-01-02T00:00:00.000Z') });
      const second = await revisionOf('r');
      await store.putRecords({ userId: 'r', records: [record('c', null)], change: stamp('r3', '2025-01-02T00:00:00.000Z') });
      const third = await revisionOf('r');
      expect(new Set([first, second, third]).size).toBe(3);
      expect((await store.listChanges('r')).find((entry) => entry.changeId === 'r3')!.revision).toBe(third);
      // A reader that saw r3 at `second` cannot mark it processed: the entry grew within the same millisecond.
      expect(await store.markChangesProcessed('r', [{ changeId: 'r3', changedAt: '2025-01-02T00:00:00.000Z', revision: second }], '2025-01-03T00:00:00.000Z')).toBe(0);
      expect(await store.markChangesProcessed('r', [{ changeId: 'r3', changedAt: '2025-01-02T00:00:00.000Z', revision: third }], '2025-01-03T00:00:00.000Z')).toBe(1);
      await store.deleteRecords('r', ['a', 'b', 'c'], stamp('r4', '2025-01-04T00:00:00.000Z'));
      expect(await store.getUser('r')).toBeNull();
      await store.putRecords({ userId: 'r', records: [record('a', null)], change: stamp('r5', '2025-01-05T00:00:00.000Z') });
      expect([first, second, third]).not.toContain(await revisionOf('r'));
    });

    it('stores the revision a result was computed from; renews only while it is current, re-verifies on request', async () => {
      await store.putRecords({ userId: 'u1', records: records.slice(0, 50), change: stamp('v1') });
      const revision = (await store.getUser('u1'))!.recordsRevision!;
      const writes = writesFor('u1', records.slice(0, 50), NOW).map((write) => ({ ...write, recordsRevision: revision }));
      await store.upsertAggregations(writes);
      expect((await store.listDigests('u1')).every((digest) => digest.recordsRevision === revision)).toBe(true);
      const renewTo = new Date(NOW + 7_200_000).toISOString();
      const renewal = writes.map((w) => ({ userId: w.userId, aggregationType: w.aggregationType, filterHash: w.filterHash, version: w.version, dataHash: w.dataHash, expiresAt: renewTo, renewal: true }));
      expect(await store.refreshAggregations(renewal.slice(0, 5))).toEqual({ refreshed: 5, mismatched: [] });
      const renewed = await store.listDigests('u1');
      expect(renewed.filter((digest) => digest.expiresAt === renewTo)).toHaveLength(5);
      expect(renewed.every((digest) => digest.computedAt === new Date(NOW).toISOString())).toBe(true); // a renewal is no recomputation
      // The records change: a renewal no longer applies, whatever the caller believed.
      await store.putRecords({ userId: 'u1', records: [record('new', '2025-06-30T00:00:00.000Z')], change: stamp('v2') });
      const stale = await store.refreshAggregations(renewal.slice(5));
      expect(stale.refreshed).toBe(0);
      expect(stale.mismatched).toHaveLength(5);
      // Recomputed from the new revision and found equal: refresh with the revision and computedAt.
      const current = (await store.getUser('u1'))!.recordsRevision!;
      const verifiedAt = new Date(NOW + 60_000).toISOString();
      const verified = renewal.slice(5).map(({ renewal: _renewal, ...item }) => ({ ...item, recordsRevision: current, computedAt: verifiedAt }));
      expect((await store.refreshAggregations(verified)).refreshed).toBe(5);
      const after = (await store.listDigests('u1')).filter((digest) => digest.recordsRevision === current);
      expect(after).toHaveLength(5);
      expect(after.every((digest) => digest.computedAt === verifiedAt)).toBe(true);
      // An upsert of equal data carrying a revision re-labels the row too.
      const again = writes.slice(0, 5).map((write) => ({ ...write, recordsRevision: current, computedAt: verifiedAt }));
      expect(await store.upsertAggregations(again)).toMatchObject({ written: 0, unchanged: 5 });
      expect((await store.listDigests('u1')).every((digest) => digest.recordsRevision === current)).toBe(true);
    });

    it('raises gridFreshUntil to a floor, never lowers it, never sets an unknown or past one', async () => {
      for (const userId of ['g1', 'g2', 'g3']) await store.putRecords({ userId, records: [record('a', null)], change: stamp(userId) });
      await store.setGridFreshness('g1', '2025-07-01T01:00:00.000Z');
      await store.setGridFreshness('g3', '2025-06-30T23:00:00.000Z'); // already past at `now`
      const now = '2025-07-01T00:00:00.000Z';
      const outcome = await store.raiseGridFreshness(
        [
          { userId: 'g1', atLeast: '2025-07-01T02:00:00.000Z' },
          { userId: 'g2', atLeast: '2025-07-01T02:00:00.000Z' }, // never set (grid incomplete): stays null
          { userId: 'g3', atLeast: '2025-07-01T02:00:00.000Z' },
          { userId: 'nobody', atLeast: '2025-07-01T02:00:00.000Z' },
        ],
        now,
      );
      expect(outcome.raised).toBe(1);
      expect([...outcome.refused].sort()).toEqual(['g2', 'g3', 'nobody']);
      expect((await store.getUser('g1'))!.gridFreshUntil).toBe('2025-07-01T02:00:00.000Z');
      expect((await store.getUser('g2'))!.gridFreshUntil).toBeNull();
      expect((await store.getUser('g3'))!.gridFreshUntil).toBe('2025-06-30T23:00:00.000Z');
      expect(await store.raiseGridFreshness([{ userId: 'g1', atLeast: '2025-07-01T01:30:00.000Z' }], now)).toEqual({ raised: 0, refused: [] });
      expect((await store.getUser('g1'))!.gridFreshUntil).toBe('2025-07-01T02:00:00.000Z');
    });

    it('pages every digest of every user in key order', async () => {
      for (const userId of ['b', 'a', 'c']) await store.upsertAggregations(writesFor(userId, records, NOW).slice(0, 4));
      const seen: string[] = [];
      let cursor: string | null = null;
      for (;;) {
        const page = await store.pageAllDigests({ cursor, limit: 5 });
        seen.push(...page.items.map((d) => `${d.userId}/${d.aggregationType}`));
        if (page.isDone) break;
        cursor = page.cursor;
      }
      expect(seen).toHaveLength(12);
      expect(seen.map((s) => s.split('/')[0])).toEqual(['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'c', 'c', 'c', 'c']);
    });

    it('pages expired aggregations, oldest first, completely', async () => {
      for (let i = 0; i < 5; i++) await store.upsertAggregations(writesFor(`user-${i}`, records, NOW + i * 1000));
      const seen: string[] = [];
      let cursor: string | null = null;
      for (;;) {
        const page = await store.pageExpired(new Date(NOW + 3_600_000 + 2500).toISOString(), { cursor, limit: 7 });
        seen.push(...page.items.map((d) => `${d.userId}/${d.aggregationType}`));
        if (page.isDone) break;
        cursor = page.cursor;
      }
      expect(seen).toHaveLength(30);
      expect(new Set(seen.map((s) => s.split('/')[0]))).toEqual(new Set(['user-0', 'user-1', 'user-2']));
      expect(seen.slice(0, 10).every((s) => s.startsWith('user-0/'))).toBe(true);
    });
  });

  describe('filter combinations', () => {
    it('counts uses per canonical filter set', async () => {
      const filters = canonicalFilters({ timeframe: 'YTD', product: 'YouTube', topics: ['Music', 'Gaming', 'Music'] });
      await store.recordFilterUse('u1', filters, '2025-01-01T00:00:00.000Z');
      await store.recordFilterUse('u1', canonicalFilters({ timeframe: 'YTD', product: 'YouTube', topics: ['Gaming', 'Music'] }), '2025-01-03T00:00:00.000Z');
      await store.recordFilterUse('u1', canonicalFilters({}), '2025-01-02T00:00:00.000Z');
      const combinations = await store.listFilterCombinations('u1');
      expect(combinations).toHaveLength(2);
      const ytd = combinations.find((c) => c.filterHash === filterHash(filters))!;
      expect(ytd).toEqual({ userId: 'u1', filters: { timeframe: 'YTD', product: 'YouTube', topics: ['Gaming', 'Music'], channels: [] }, filterHash: filterHash(filters), lastUsed: '2025-01-03T00:00:00.000Z', usageCount: 2 });
    });
  });

  describe('rollout flags', () => {
    const flag = { flag: 'f', basisPoints: 2500, salt: 's1', rolledBack: false, minRecords: 0, requireFreshGrid: false, updatedAt: '2025-01-01T00:00:00.000Z', updatedBy: 'ci' };
    const event = (eventId: string, at: string) => ({ eventId, flag: 'f', at, actor: 'ci', action: 'set-percent', fromBasisPoints: null, toBasisPoints: 2500, reason: 'test', details: { n: 1 } });

    it('applies a change with its audit event atomically, idempotently, and refuses stale plans', async () => {
      const change = { flag, setOverrides: [{ flag: 'f', userId: 'vip', mode: 'allow' as const }], clearOverrides: [], event: event('e1', flag.updatedAt), expectedUpdatedAt: null };
      expect(await store.applyFlagChange(change)).toEqual({ applied: true });
      expect(await store.applyFlagChange(change)).toEqual({ applied: true });
      expect(await store.listFlagEvents('f', 10)).toHaveLength(1);
      expect(await store.getFlag('f')).toEqual(flag);
      expect(await store.listOverrides('f')).toEqual([{ flag: 'f', userId: 'vip', mode: 'allow' }]);
      const stale = { ...change, flag: { ...flag, basisPoints: 5000, updatedAt: '2025-01-02T00:00:00.000Z' }, event: event('e2', '2025-01-02T00:00:00.000Z'), expectedUpdatedAt: null };
      expect(await store.applyFlagChange(stale)).toEqual({ applied: false, reason: 'conflict' });
      const next = { ...stale, setOverrides: [], clearOverrides: ['vip'], expectedUpdatedAt: flag.updatedAt };
      expect(await store.applyFlagChange(next)).toEqual({ applied: true });
      expect((await store.getFlag('f'))!.basisPoints).toBe(5000);
      expect(await store.listOverrides('f')).toEqual([]);
      expect((await store.listFlagEvents('f', 10)).map((e) => e.eventId)).toEqual(['e2', 'e1']);
      expect((await store.listFlagEvents('f', 10))[1]!.details).toEqual({ n: 1 });
    });
  });

  describe('validation outcomes', () => {
    it('keeps the latest validation per user', async () => {
      await store.putValidations([
        { userId: 'u1', runId: 'r1', validatedAt: '2025-01-01T00:00:00.000Z', clean: false, counts: { match: 170, drift: 10 } },
        { userId: 'u2', runId: 'r1', validatedAt: '2025-01-01T00:00:00.000Z', clean: true, counts: { match: 180 } },
      ]);
      await store.putValidations([{ userId: 'u1', runId: 'r2', validatedAt: '2025-01-02T00:00:00.000Z', clean: true, counts: { match: 180 } }]);
      const rows = await store.getValidations(['u1', 'u2', 'u3']);
      expect(rows.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
        { userId: 'u1', runId: 'r2', validatedAt: '2025-01-02T00:00:00.000Z', clean: true, counts: { match: 180 } },
        { userId: 'u2', runId: 'r1', validatedAt: '2025-01-01T00:00:00.000Z', clean: true, counts: { match: 180 } },
      ]);
    });
  });

  describe('run ledger and leases', () => {
    const run: RunRecord = {
      runId: 'r1',
      command: 'backfill',
      args: ['--all'],
      target: 'all',
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: null,
      status: 'running',
      counts: { users: 0 },
      checkpoint: { done: [] },
      heartbeatAt: '2025-01-01T00:00:00.000Z',
    };

    it('stores runs by id and lists the newest first', async () => {
      await store.putRun(run);
      await store.putRun({ ...run, runId: 'r2', command: 'validate', startedAt: '2025-01-02T00:00:00.000Z' });
      await store.putRun({ ...run, status: 'succeeded', finishedAt: '2025-01-01T01:00:00.000Z', counts: { users: 3 }, checkpoint: { done: ['a'] } });
      expect(await store.getRun('r1')).toEqual({ ...run, status: 'succeeded', finishedAt: '2025-01-01T01:00:00.000Z', counts: { users: 3 }, checkpoint: { done: ['a'] } });
      expect((await store.listRuns(10)).map((r) => r.runId)).toEqual(['r2', 'r1']);
      expect((await store.listRuns(10, 'backfill')).map((r) => r.runId)).toEqual(['r1']);
      expect(await store.getRun('nope')).toBeNull();
    });

    it('grants a lease to one holder at a time until it expires or is forced', async () => {
      const ask = (holder: string, now: string, force = false) => store.acquireLease({ name: 'backfill:all', holder, runId: holder, now, ttlMs: 60_000, force });
      expect((await ask('a', '2025-01-01T00:00:00.000Z')).acquired).toBe(true);
      const denied = await ask('b', '2025-01-01T00:00:30.000Z');
      expect(denied).toMatchObject({ acquired: false, heldBy: { holder: 'a', expiresAt: '2025-01-01T00:01:00.000Z' } });
      // The holder renews: the lease now runs to 00:01:40.
      expect((await ask('a', '2025-01-01T00:00:40.000Z')).acquired).toBe(true);
      expect((await ask('b', '2025-01-01T00:01:30.000Z')).acquired).toBe(false);
      expect((await ask('b', '2025-01-01T00:01:41.000Z')).acquired).toBe(true);
      expect((await ask('c', '2025-01-01T00:01:42.000Z', true)).acquired).toBe(true);
      expect(await store.releaseLease('backfill:all', 'b')).toBe(false);
      expect(await store.releaseLease('backfill:all', 'c')).toBe(true);
      expect((await ask('b', '2025-01-01T00:01:43.000Z')).acquired).toBe(true);
    });

    it('records the holder\'s host, pid and heartbeat, and says whose row an acquisition replaced', async () => {
      const ask = (holder: string, now: string, pid: number) => store.acquireLease({ name: 'validate:all', holder, runId: `run-${holder}`, now, ttlMs: 60_000, host: 'ci-7', pid });
      expect(await ask('a', '2025-01-01T00:00:00.000Z', 100)).toEqual({
        acquired: true,
        lease: { name: 'validate:all', holder: 'a', runId: 'run-a', acquiredAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:01:00.000Z', renewedAt: '2025-01-01T00:00:00.000Z', host: 'ci-7', pid: 100 },
        replaced: null,
      });
      // A renewal moves the heartbeat and the expiry, never acquiredAt, and replaces no one.
      expect(await ask('a', '2025-01-01T00:00:30.000Z', 100)).toMatchObject({ acquired: true, lease: { acquiredAt: '2025-01-01T00:00:00.000Z', renewedAt: '2025-01-01T00:00:30.000Z', expiresAt: '2025-01-01T00:01:30.000Z' }, replaced: null });
      expect(await ask('b', '2025-01-01T00:01:00.000Z', 200)).toMatchObject({ acquired: false, heldBy: { holder: 'a', host: 'ci-7', pid: 100, renewedAt: '2025-01-01T00:00:30.000Z' } });
      // Expired: taken, and the answer names the row it replaced.
      expect(await ask('b', '2025-01-01T00:01:31.000Z', 200)).toMatchObject({ acquired: true, lease: { holder: 'b', pid: 200, acquiredAt: '2025-01-01T00:01:31.000Z' }, replaced: { holder: 'a', pid: 100, runId: 'run-a' } });
      expect(await store.listLeases()).toEqual([
        { name: 'validate:all', holder: 'b', runId: 'run-b', acquiredAt: '2025-01-01T00:01:31.000Z', expiresAt: '2025-01-01T00:02:31.000Z', renewedAt: '2025-01-01T00:01:31.000Z', host: 'ci-7', pid: 200 },
      ]);
    });

    it('takes a lease over from exactly the dead holder it names, never from a live one', async () => {
      const ask = (holder: string, now: string, takeOverFrom?: string) =>
        store.acquireLease({ name: 'backfill:all', holder, runId: `run-${holder}`, now, ttlMs: 120_000, host: 'ci-7', pid: 1000 + holder.charCodeAt(0), ...(takeOverFrom !== undefined ? { takeOverFrom } : {}) });
      expect((await ask('a', '2025-01-01T00:00:00.000Z')).acquired).toBe(true);
      // Naming another holder than the one that holds the lease takes nothing.
      expect(await ask('b', '2025-01-01T00:00:10.000Z', 'someone-else')).toMatchObject({ acquired: false, heldBy: { holder: 'a' } });
      // a was found dead: b takes its row at once, long before it expires.
      expect(await ask('b', '2025-01-01T00:00:20.000Z', 'a')).toMatchObject({ acquired: true, lease: { holder: 'b', runId: 'run-b', acquiredAt: '2025-01-01T00:00:20.000Z' }, replaced: { holder: 'a', runId: 'run-a' } });
      // c saw a dead too, but b (alive) holds the lease now: c's takeover of a replaces nothing.
      expect(await ask('c', '2025-01-01T00:00:21.000Z', 'a')).toMatchObject({ acquired: false, heldBy: { holder: 'b', pid: 1000 + 'b'.charCodeAt(0) } });
      expect((await store.listLeases()).map((lease) => lease.holder)).toEqual(['b']);
      // b renews with the condition still set: it is its own row, kept as it was acquired.
      expect(await ask('b', '2025-01-01T00:00:30.000Z', 'a')).toMatchObject({ acquired: true, lease: { holder: 'b', acquiredAt: '2025-01-01T00:00:20.000Z', renewedAt: '2025-01-01T00:00:30.000Z' }, replaced: null });
      // A takeover of a free lease simply acquires it.
      expect(await store.releaseLease('backfill:all', 'b')).toBe(true);
      expect(await ask('c', '2025-01-01T00:00:40.000Z', 'b')).toMatchObject({ acquired: true, lease: { holder: 'c' }, replaced: null });
    });
  });
});

describe('lease rows written before agg recorded host, pid and heartbeat', () => {
  it('the embedded store migrates its table and reads old rows with them null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agg-lease-migration-'));
    const db = new Database(join(dir, LOCAL_DB_FILE));
    for (const step of MIGRATIONS.slice(0, 3)) db.exec(step);
    db.pragma('user_version = 3');
    db.prepare(`INSERT INTO agg_leases (name, holder, run_id, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)`).run('backfill:all', 'bf-old@1', 'bf-old', '2025-01-01T00:00:00.000Z', '2025-01-01T00:02:00.000Z');
    db.close();
    const store = SqliteStore.open(dir);
    try {
      expect(await store.listLeases()).toEqual([{ name: 'backfill:all', holder: 'bf-old@1', runId: 'bf-old', acquiredAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:02:00.000Z', renewedAt: null, host: null, pid: null }]);
      expect((await store.acquireLease({ name: 'backfill:all', holder: 'new', runId: 'new', now: '2025-01-01T00:01:00.000Z', ttlMs: 120_000, host: 'h', pid: 1 })).acquired).toBe(false);
      expect(await store.acquireLease({ name: 'backfill:all', holder: 'new', runId: 'new', now: '2025-01-01T00:01:00.000Z', ttlMs: 120_000, host: 'h', pid: 1, takeOverFrom: 'bf-old@1' })).toMatchObject({ acquired: true, replaced: { holder: 'bf-old@1', host: null, pid: null } });
    } finally {
      await store.close();
    }
  });

  it('the Convex component reads old rows (without the optional fields) with them null', async () => {
    const t = makeTestConvex();
    await t.run(async (ctx) => {
      await ctx.db.insert('agg_leases', { name: 'backfill:all', holder: 'bf-old@1', runId: 'bf-old', acquiredAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:02:00.000Z' });
    });
    const store = makeConvexTestStore(t);
    expect(await store.listLeases()).toEqual([{ name: 'backfill:all', holder: 'bf-old@1', runId: 'bf-old', acquiredAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-01-01T00:02:00.000Z', renewedAt: null, host: null, pid: null }]);
    expect(await store.acquireLease({ name: 'backfill:all', holder: 'new', runId: 'new', now: '2025-01-01T00:01:00.000Z', ttlMs: 120_000 })).toMatchObject({ acquired: false, heldBy: { holder: 'bf-old@1', renewedAt: null } });
    // A holder that records no host or pid leaves them out of the row.
    expect(await store.acquireLease({ name: 'backfill:all', holder: 'new', runId: 'new', now: '2025-01-01T00:03:00.000Z', ttlMs: 120_000 })).toMatchObject({ acquired: true, lease: { holder: 'new', host: null, pid: null, renewedAt: '2025-01-01T00:03:00.000Z' } });
  });
});
