import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { type Filters, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { canonicalJson, utf8Length } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { buildConfig } from '../../src/config/config.js';
import { collectStatus } from '../../src/status/collect.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import { paginate } from '../../src/store/paginate.js';
import { LOCAL_DB_FILE } from '../../src/store/sqlite/sqlite-store.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import type { AggregationKey, AggregationWrite, Page, PageRequest, StoredAggregation } from '../../src/store/types.js';
import { type TestConvex, assertDocumentLimits, makeConvexTestStore, makeTestConvex } from '../support/convex-test-store.js';

// Content-addressed results: identical data under several filter sets of one user is stored once and
// referenced by dataHash; what the readers return does not change.

export interface ContentCount {
  /** Distinct stored contents (one per user and dataHash). */
  readonly contents: number;
  /** Bytes of their data, each content counted once. */
  readonly bytes: number;
}

export interface CasHarness {
  readonly store: Store;
  /** What the store holds as shared content, for one user. */
  contents(userId: string): Promise<ContentCount>;
  /** Overwrites the stored data of one user's dataHash with other text (a damaged store). */
  damage(userId: string, dataHash: string): Promise<void>;
  close(): Promise<void>;
}

const AS_OF = '2025-06-30T20:00:00.000Z';
const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const ALL = canonicalFilters({ timeframe: 'All', product: 'All' });
const YOUTUBE = canonicalFilters({ timeframe: 'All', product: 'YouTube' });
const LAST12M = canonicalFilters({ timeframe: 'Last12M', product: 'All' });

/** A recent history without YouTube Music: All = YouTube = Last12M for every type but ones that look at the timeframe's span. */
function records(count: number, tag = 'v'): InputRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${tag}${String(i).padStart(4, '0')}`,
    watchedAt: new Date(Date.parse('2025-03-01T12:00:00.000Z') + i * 3_600_000 * 7).toISOString(),
    videoTitle: `${tag} video ${i % 37}`,
    channelTitle: `Channel ${i % 11}`,
    topics: i % 3 === 0 ? ['Music'] : ['Gaming'],
  }));
}

export function writesFor(userId: string, input: InputRecord[], filterSets: Filters[]): AggregationWrite[] {
  const { results } = computeAggregations({ records: input, context: { asOf: AS_OF, timeZone: 'UTC' }, filterSets });
  return results.map((result) =>
    toAggregationWrite(result, { userId, asOf: AS_OF, timeZone: 'UTC', computedAtMs: NOW, ttlMs: 3_600_000, recordCount: input.length, computeMs: 1 }),
  );
}

async function collect<T>(next: (request: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of paginate(next)) out.push(item);
  return out;
}

const keyOf = (write: AggregationWrite): AggregationKey => ({ userId: write.userId, aggregationType: write.aggregationType, filterHash: write.filterHash });
const dataOf = (stored: StoredAggregation | null) => (stored === null ? null : canonicalJson(stored.data));

/** Distinct (dataHash → bytes) of the writes, as content-addressed storage would hold them. */
function distinct(writes: readonly AggregationWrite[]): Map<string, number> {
  return new Map(writes.map((write) => [write.dataHash, utf8Length(write.json)]));
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

export function sqliteHarness(): CasHarness {
  const dir = mkdtempSync(join(tmpdir(), 'agg-cas-'));
  const store = SqliteStore.open(dir);
  const reader = new Database(join(dir, LOCAL_DB_FILE), { readonly: true });
  return {
    store,
    contents: async (userId) =>
      reader
        .prepare(
          `SELECT (SELECT count(*) FROM aggregation_contents WHERE user_id = ?) AS contents,
             (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM aggregation_contents WHERE user_id = ?)
               + (SELECT coalesce(sum(length(CAST(data AS BLOB))), 0) FROM aggregation_content_parts WHERE user_id = ?) AS bytes`,
        )
        .get(userId, userId, userId) as ContentCount,
    damage: async (userId, dataHash) => {
      const writer = new Database(join(dir, LOCAL_DB_FILE));
      writer.prepare(`UPDATE aggregation_contents SET data = '[]' WHERE user_id = ? AND data_hash = ?`).run(userId, dataHash);
      writer.close();
    },
    close: async () => {
      reader.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The component: shared content is its heads and pieces; tiny data stays inline in headers (counted
 * here with the content, as each header's own copy, so both adapters hold one figure to the same rule).
 */
export function convexHarness(): CasHarness {
  const t: TestConvex = makeTestConvex();
  const store = makeConvexTestStore(t);
  return {
    store,
    contents: async (userId) => {
      await assertDocumentLimits(t);
      return t.run(async (ctx) => {
        const heads = await ctx.db.query('aggregation_contents').withIndex('by_user_data', (q) => q.eq('userId', userId)).collect();
        expect(heads.every((head) => head.state === 'complete')).toBe(true);
        const chunks = await ctx.db.query('aggregation_content_chunks').withIndex('by_content', (q) => q.eq('userId', userId)).collect();
        expect(chunks.every((chunk) => heads.some((head) => head.dataHash === chunk.dataHash))).toBe(true);
        const inline = await ctx.db.query('precomputed_aggregations').withIndex('by_key', (q) => q.eq('userId', userId)).collect();
        const tiny = new Map(inline.filter((h) => h.shared !== true).map((h) => [h.dataHash, utf8Length(canonicalJson(h.data))]));
        const contentBytes = sum(chunks.map((chunk) => utf8Length(chunk.text)));
        return { contents: heads.length + [...tiny.keys()].filter((hash) => !heads.some((head) => head.dataHash === hash)).length, bytes: contentBytes + sum(tiny.values()) };
      });
    },
    damage: async (userId, dataHash) => {
      await t.run(async (ctx) => {
        const piece = await ctx.db.query('aggregation_content_chunks').withIndex('by_content', (q) => q.eq('userId', userId).eq('dataHash', dataHash)).first();
        await ctx.db.patch(piece!._id, { text: '[]' });
      });
    },
    close: async () => undefined,
  };
}

export const CAS_ADAPTERS: ReadonlyArray<[string, () => CasHarness]> = [
  ['SqliteStore', sqliteHarness],
  ['ConvexStore (convex-test, transaction limits on)', convexHarness],
];

describe.each(CAS_ADAPTERS)('content-addressed results: %s', (_name, make) => {
  let harness: CasHarness;
  let store: Store;
  beforeEach(() => {
    harness = make();
    store = harness.store;
  });
  afterEach(async () => harness.close());

  const input = records(240);
  const writes = () => writesFor('u1', input, [ALL, YOUTUBE, LAST12M]);

  it('stores data shared by filter sets once, and reads it back under every filter set', async () => {
    const all = writes();
    // The premise: a recent history without YouTube Music gives All, YouTube and Last12M the same data.
    const byFilter = (filters: Filters) => new Map(all.filter((w) => w.filterHash === filterHash(filters)).map((w) => [w.aggregationType, w.dataHash]));
    expect(byFilter(YOUTUBE)).toEqual(byFilter(ALL));
    expect(byFilter(LAST12M)).toEqual(byFilter(ALL));
    const shared = distinct(all);
    expect(shared.size).toBe(all.length / 3);

    expect(await store.upsertAggregations(all)).toMatchObject({ written: all.length, unchanged: 0 });
    expect(await harness.contents('u1')).toEqual({ contents: shared.size, bytes: sum(shared.values()) });

    for (const write of all) expect(dataOf(await store.readAggregation(keyOf(write)))).toBe(write.json);
    const paged = await collect((page) => store.pageUserAggregations('u1', page));
    expect(paged).toHaveLength(all.length);
    const expected = new Map(all.map((w) => [`${w.aggregationType}|${w.filterHash}`, w.json]));
    for (const stored of paged) expect(canonicalJson(stored.data)).toBe(expected.get(`${stored.aggregationType}|${stored.filterHash}`));
    // Digests are what they were: each result's own data bytes.
    const digests = await store.listDigests('u1');
    expect(sum(digests.map((d) => d.metadata.bytes))).toBe(sum(all.map((w) => w.metadata.bytes)));
  });

  it('keeps shared content while one header still refers to it, and removes it with the last', async () => {
    const all = writes();
    await store.upsertAggregations(all);
    const kpiAll = all.find((w) => w.aggregationType === 'session_analysis' && w.filters.product === 'All' && w.filters.timeframe === 'All')!;
    const kpiYouTube = all.find((w) => w.aggregationType === 'session_analysis' && w.filters.product === 'YouTube')!;
    const sharers = all.filter((w) => w.dataHash === kpiAll.dataHash);
    expect(sharers.length).toBeGreaterThanOrEqual(2);
    const before = await harness.contents('u1');

    expect(await store.deleteAggregations([keyOf(kpiAll)])).toMatchObject({ deleted: 1, bytesFreed: kpiAll.metadata.bytes });
    expect(await harness.contents('u1')).toEqual(before);
    expect(dataOf(await store.readAggregation(keyOf(kpiYouTube)))).toBe(kpiAll.json);
    expect(await store.readAggregation(keyOf(kpiAll))).toBeNull();

    const rest = sharers.filter((w) => w.filterHash !== kpiAll.filterHash);
    expect(await store.deleteAggregations(rest.map(keyOf))).toMatchObject({ deleted: rest.length });
    expect(await harness.contents('u1')).toEqual({ contents: before.contents - 1, bytes: before.bytes - utf8Length(kpiAll.json) });
  });

  it('a header rewritten with other data releases its old content only when no other header holds it', async () => {
    const all = writes();
    await store.upsertAggregations(all);
    const other = writesFor('u1', records(90, 'w'), [YOUTUBE]);
    const outcome = await store.upsertAggregations(other);
    // channel_relationships is [] for both histories: unchanged.
    expect(outcome.written).toBe(other.filter((w) => w.dataHash !== all.find((a) => a.aggregationType === w.aggregationType)!.dataHash).length);
    expect(outcome.written).toBeGreaterThan(5);
    // YouTube now holds new data; the old data stays, All still refers to it.
    const now = distinct([...all.filter((w) => w.filters.product !== 'YouTube'), ...other]);
    expect(await harness.contents('u1')).toEqual({ contents: now.size, bytes: sum(now.values()) });
    for (const write of other) expect(dataOf(await store.readAggregation(keyOf(write)))).toBe(write.json);
    for (const write of all.filter((w) => w.filters.product !== 'YouTube')) expect(dataOf(await store.readAggregation(keyOf(write)))).toBe(write.json);

    // Rewriting All and Last12M with the new records' data leaves nothing of the first data.
    const again = writesFor('u1', records(90, 'w'), [ALL, LAST12M]);
    await store.upsertAggregations(again);
    const last = distinct([...other, ...again]);
    expect(await harness.contents('u1')).toEqual({ contents: last.size, bytes: sum(last.values()) });
  });

  it('keeps users apart: equal data of two users is stored once per user, and deleting one keeps the other', async () => {
    const mine = writesFor('u1', input, [ALL]);
    const theirs = writesFor('u2', input, [ALL]);
    await store.upsertAggregations([...mine, ...theirs]);
    expect((await harness.contents('u1')).contents).toBe(distinct(mine).size);
    expect((await harness.contents('u2')).contents).toBe(distinct(theirs).size);
    await store.deleteAggregations(mine.map(keyOf));
    expect(await harness.contents('u1')).toEqual({ contents: 0, bytes: 0 });
    for (const write of theirs) expect(dataOf(await store.readAggregation(keyOf(write)))).toBe(write.json);
  });

  it('cleanup of orphan aggregations releases their content, and spares content other headers hold', async () => {
    await store.putRecords({ userId: 'u1', records: input, change: { changeId: 'c1', changeType: 'import', at: AS_OF } });
    const grid = writesFor('u1', input, [ALL]);
    // Two filter sets outside the default grid that the user never recorded: orphans. The first has All's data.
    const sameData = writesFor('u1', input, [canonicalFilters({ timeframe: 'All', product: 'All', topics: ['Gaming', 'Music'] })]);
    const ownData = writesFor('u1', input, [canonicalFilters({ timeframe: 'All', product: 'All', channels: ['Channel 3'] })]);
    expect(sameData.map((w) => w.dataHash)).toEqual(grid.map((w) => w.dataHash));
    await store.upsertAggregations([...grid, ...sameData, ...ownData]);
    const gridOnly = distinct(grid);
    expect((await harness.contents('u1')).contents).toBe(distinct([...grid, ...ownData]).size);
    expect(distinct([...grid, ...ownData]).size).toBeGreaterThan(gridOnly.size);

    expect(await store.maintenance.deleteOrphanAggregations([...sameData, ...ownData, ...grid].map(keyOf))).toMatchObject({ deleted: sameData.length + ownData.length });
    expect(await harness.contents('u1')).toEqual({ contents: gridOnly.size, bytes: sum(gridOnly.values()) });
    for (const write of grid) expect(dataOf(await store.readAggregation(keyOf(write)))).toBe(write.json);
  });

  it('archive deletion and restore round-trip losslessly, content stored once again after the restore', async () => {
    const all = writes();
    await store.upsertAggregations(all);
    const rows = await collect((page) => store.pageUserAggregations('u1', page));
    const before = await harness.contents('u1');
    const change = { manifestId: 'arc-1', at: AS_OF };

    // Half the rows leave: the content the others share stays.
    const leaving = rows.filter((row) => row.filterHash === all.find((w) => w.filters.product === 'YouTube')!.filterHash);
    expect(await store.maintenance.deleteArchivedRows('precomputed_aggregations', leaving, change)).toMatchObject({ deleted: leaving.length, changed: 0 });
    expect(await harness.contents('u1')).toEqual(before);
    expect(await store.maintenance.deleteArchivedRows('precomputed_aggregations', rows.filter((r) => !leaving.includes(r)), change)).toMatchObject({
      deleted: rows.length - leaving.length,
    });
    expect(await harness.contents('u1')).toEqual({ contents: 0, bytes: 0 });

    expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change)).toEqual({ inserted: rows.length, identical: 0, conflicting: 0 });
    expect(await harness.contents('u1')).toEqual(before);
    expect(await store.maintenance.restoreArchivedRows('precomputed_aggregations', rows, change)).toEqual({ inserted: 0, identical: rows.length, conflicting: 0 });
    const back = await collect((page) => store.pageUserAggregations('u1', page));
    expect(back.map((row) => canonicalJson(row))).toEqual(rows.map((row) => canonicalJson(row)));
  });

  it('a damaged content fails its readers (never served wrong), and a forced rewrite repairs it for every header', async () => {
    const all = writes();
    await store.upsertAggregations(all);
    const session = all.filter((w) => w.aggregationType === 'session_analysis');
    await harness.damage('u1', session[0]!.dataHash);
    await expect(store.readAggregation(keyOf(session[1]!))).rejects.toThrow(/dataHash|not valid JSON|do not match/);
    expect(await store.upsertAggregations([session[0]!], { force: true })).toMatchObject({ written: 1 });
    for (const write of session) expect(dataOf(await store.readAggregation(keyOf(write)))).toBe(write.json);
  });

  it('deleting a user removes its content too', async () => {
    await store.putRecords({ userId: 'u1', records: input, change: { changeId: 'c1', changeType: 'import', at: AS_OF } });
    await store.upsertAggregations(writes());
    for (;;) if ((await store.deleteUserStep('u1')).done) break;
    expect(await harness.contents('u1')).toEqual({ contents: 0, bytes: 0 });
  });

  it('status byte counts stay each result’s own data bytes (shared content counted once per result)', async () => {
    const all = writes();
    await store.upsertAggregations(all);
    const report = await collectStatus(store, buildConfig({}, null).status, NOW);
    expect(report.aggregations.total).toBe(all.length);
    expect(report.aggregations.bytes).toBe(sum(all.map((w) => w.metadata.bytes)));
    expect(report.aggregations.bytes).toBeGreaterThan((await harness.contents('u1')).bytes);
  });
});

describe('the embedded store migrates old-layout results (data inline in every row)', () => {
  it('moves each distinct (user, dataHash) to aggregation_contents once and reads back the same values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agg-cas-migration-'));
    try {
      // The layout before content addressing: every migration before the one that made aggregation_contents.
      const previous = MIGRATIONS.findIndex((step) => step.includes('CREATE TABLE aggregation_contents'));
      const db = new Database(join(dir, LOCAL_DB_FILE));
      for (const step of MIGRATIONS.slice(0, previous)) db.exec(step);
      db.pragma(`user_version = ${previous}`);
      const all = [...writesFor('u1', records(120), [ALL, YOUTUBE]), ...writesFor('u2', records(60, 'x'), [ALL])];
      const insert = db.prepare(
        `INSERT INTO precomputed_aggregations (user_id, aggregation_type, filter_hash, version, filters, data, data_hash, as_of, time_zone, computed_at,
           expires_at, record_count, compute_ms, bytes, records_revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const w of all) {
        insert.run(w.userId, w.aggregationType, w.filterHash, w.version, JSON.stringify(w.filters), w.json, w.dataHash, w.asOf, w.timeZone, w.computedAt, w.expiresAt, w.metadata.recordCount, w.metadata.computeMs, w.metadata.bytes, null);
      }
      db.close();

      const store = SqliteStore.open(dir);
      try {
        for (const w of all) expect(dataOf(await store.readAggregation(keyOf(w)))).toBe(w.json);
        const reader = new Database(join(dir, LOCAL_DB_FILE), { readonly: true });
        const counts = reader.prepare(`SELECT user_id, count(*) AS n FROM aggregation_contents GROUP BY user_id ORDER BY user_id`).all();
        const columns = (reader.prepare(`PRAGMA table_info(precomputed_aggregations)`).all() as Array<{ name: string }>).map((c) => c.name);
        reader.close();
        expect(counts).toEqual([
          { user_id: 'u1', n: distinct(all.filter((w) => w.userId === 'u1')).size },
          { user_id: 'u2', n: distinct(all.filter((w) => w.userId === 'u2')).size },
        ]);
        expect(distinct(all.filter((w) => w.userId === 'u1')).size).toBeLessThan(all.filter((w) => w.userId === 'u1').length);
        expect(columns).not.toContain('data');
        // And it goes on working in the new layout: deleting one sharer keeps the other's data.
        const first = all[0]!;
        await store.deleteAggregations([keyOf(first)]);
        const twin = all.find((w) => w.userId === 'u1' && w.dataHash === first.dataHash && w.filterHash !== first.filterHash)!;
        expect(dataOf(await store.readAggregation(keyOf(twin)))).toBe(first.json);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the component: shared content, the old layout, and writers meeting deleters', () => {
  const FLAG = { flag: 'precomputed_aggregations', basisPoints: 10_000, salt: 's', rolledBack: false, updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'test' };
  const input = records(240);
  /** Fresh by the wall clock, as the serving path checks; one instant for the whole batch, so sharers compare equal. */
  const fresh = (writes: AggregationWrite[]) => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    return writes.map((w) => ({ ...w, expiresAt }));
  };
  const heads = (t: TestConvex) => t.run((ctx) => ctx.db.query('aggregation_contents').collect());
  const pieces = (t: TestConvex) => t.run((ctx) => ctx.db.query('aggregation_content_chunks').collect());

  it('serves shared data under every filter set that has it, and still after the others are gone', async () => {
    const t = makeTestConvex();
    const store = makeConvexTestStore(t);
    await t.run((ctx) => ctx.db.insert('rollout_flags', FLAG));
    const all = fresh(writesFor('u1', input, [ALL, YOUTUBE]));
    await store.upsertAggregations(all);
    const session = (filters: Filters) => all.find((w) => w.aggregationType === 'session_analysis' && w.filterHash === filterHash(filters))!;
    expect(session(ALL).dataHash).toBe(session(YOUTUBE).dataHash);
    const serve = (filters: Filters) => t.query('serving:getAggregation', { userId: 'u1', type: 'session_analysis', filters });
    const fromAll = await serve(ALL);
    const fromYouTube = await serve(YOUTUBE);
    expect(canonicalJson(fromAll.data)).toBe(session(ALL).json);
    expect(fromYouTube).toEqual(fromAll);
    // One head and its pieces for the two headers.
    expect((await heads(t)).filter((head) => head.dataHash === session(ALL).dataHash)).toHaveLength(1);
    await store.deleteAggregations([keyOf(session(ALL))]);
    expect(await serve(ALL)).toBeNull();
    expect(canonicalJson((await serve(YOUTUBE)).data)).toBe(session(ALL).json);
  });

  it('reads old-layout rows (inline data, chunks of their own) as before, and a rewrite moves them to shared content', async () => {
    const t = makeTestConvex();
    const store = makeConvexTestStore(t);
    const [small, large] = [writesFor('u1', input, [ALL]).find((w) => w.aggregationType === 'top_channels')!, writesFor('u1', input, [YOUTUBE]).find((w) => w.aggregationType === 'session_analysis')!];
    // As agg wrote them before shared content: top_channels inline, session_analysis in three chunks of its own.
    const header = (w: AggregationWrite) => ({
      userId: w.userId,
      aggregationType: w.aggregationType,
      filterHash: w.filterHash,
      version: w.version,
      filters: { timeframe: w.filters.timeframe, product: w.filters.product, topics: [...w.filters.topics], channels: [...w.filters.channels] },
      dataHash: w.dataHash,
      asOf: w.asOf,
      timeZone: w.timeZone,
      computedAt: w.computedAt,
      expiresAt: w.expiresAt,
      metadata: w.metadata,
    });
    const third = Math.ceil(large.json.length / 3);
    await t.run(async (ctx) => {
      await ctx.db.insert('precomputed_aggregations', { ...header(small), chunkCount: 0, data: JSON.parse(small.json) });
      await ctx.db.insert('precomputed_aggregations', { ...header(large), chunkCount: 3 });
      for (let seq = 0; seq < 3; seq++) {
        await ctx.db.insert('aggregation_chunks', { ...keyOf(large), dataHash: large.dataHash, seq, text: large.json.slice(seq * third, (seq + 1) * third) });
      }
    });
    expect(dataOf(await store.readAggregation(keyOf(small)))).toBe(small.json);
    expect(dataOf(await store.readAggregation(keyOf(large)))).toBe(large.json);
    const paged = await collect((page) => store.pageUserAggregations('u1', page));
    expect(new Map(paged.map((row) => [row.aggregationType, canonicalJson(row.data)]))).toEqual(
      new Map([
        ['top_channels', small.json],
        ['session_analysis', large.json],
      ]),
    );
    // The serving path serves both as it did.
    await t.run(async (ctx) => {
      await ctx.db.insert('rollout_flags', FLAG);
      for (const doc of await ctx.db.query('precomputed_aggregations').collect()) await ctx.db.patch(doc._id, { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    });
    const served = (type: AggregationWrite['aggregationType'], filters: Filters) => t.query('serving:getAggregation', { userId: 'u1', type, filters });
    expect(canonicalJson((await served('top_channels', ALL)).data)).toBe(small.json);
    expect(canonicalJson((await served('session_analysis', YOUTUBE)).data)).toBe(large.json);
    await t.run(async (ctx) => {
      for (const doc of await ctx.db.query('precomputed_aggregations').collect()) await ctx.db.patch(doc._id, { expiresAt: small.expiresAt });
    });
    // Same data again: unchanged, the rows stay as they are.
    expect(await store.upsertAggregations([small, large])).toMatchObject({ written: 0, unchanged: 2 });
    expect(await heads(t)).toEqual([]);
    // A forced rewrite moves both to shared content; the old chunks go.
    expect(await store.upsertAggregations([small, large], { force: true })).toMatchObject({ written: 2 });
    expect((await heads(t)).map((head) => [head.dataHash, head.state]).sort()).toEqual([[large.dataHash, 'complete'], [small.dataHash, 'complete']].sort());
    expect(await t.run((ctx) => ctx.db.query('aggregation_chunks').collect())).toEqual([]);
    expect(dataOf(await store.readAggregation(keyOf(small)))).toBe(small.json);
    expect(dataOf(await store.readAggregation(keyOf(large)))).toBe(large.json);
  });

  /** A session_analysis result under `filters` with data of about `chars` characters (several pieces when over CHUNK_CHARS). */
  function sized(filters: Filters, chars: number): AggregationWrite {
    const base = writesFor('u1', input, [filters]).find((w) => w.aggregationType === 'session_analysis')!;
    if (chars <= base.json.length) return base;
    const json = canonicalJson({ pad: 'p'.repeat(chars), sessions: JSON.parse(base.json) });
    return { ...base, json, dataHash: createHash('sha256').update(json).digest('hex'), metadata: { ...base.metadata, bytes: utf8Length(json) } };
  }

  it.each([
    ['one piece (it comes along with the header)', 0],
    ['several pieces (put after the header asked for them)', 600_000],
  ])('a writer that meets a content being deleted writes it again whole, and the deleter leaves it alone: %s', async (_label, chars) => {
    const t = makeTestConvex();
    const store = makeConvexTestStore(t);
    const large = sized(ALL, chars);
    // A deletion under way: the head is deleting, one of its pieces gone already.
    await store.upsertAggregations([large]);
    const [head] = await heads(t);
    expect(head).toMatchObject({ dataHash: large.dataHash, state: 'complete' });
    await t.run(async (ctx) => {
      const doc = await ctx.db.query('precomputed_aggregations').first();
      await ctx.db.delete(doc!._id);
      await ctx.db.patch(head!._id, { state: 'deleting' });
      const piece = await ctx.db.query('aggregation_content_chunks').first();
      await ctx.db.patch(piece!._id, { text: 'damaged' });
    });
    // The same data under another filter set: the head is revived and every piece put again.
    const twin = { ...sized(YOUTUBE, chars), json: large.json, dataHash: large.dataHash, metadata: large.metadata };
    expect(twin.filterHash).not.toBe(large.filterHash);
    expect(head!.chunkCount).toBe(chars === 0 ? 1 : 3);
    expect(await store.upsertAggregations([twin])).toMatchObject({ written: 1 });
    expect((await heads(t)).map((h) => h.state)).toEqual(['complete']);
    expect(dataOf(await store.readAggregation(keyOf(twin)))).toBe(twin.json);
    // The deleter's next call finds the head no longer deleting and deletes nothing.
    const left = await t.mutation('contents:deleteContents', { keys: [{ userId: 'u1', dataHash: large.dataHash, bytes: large.metadata.bytes, chunkCount: head!.chunkCount }], limit: 100 });
    expect(left).toEqual({ deleted: 0, bytesFreed: 0, pending: [] });
    expect(dataOf(await store.readAggregation(keyOf(twin)))).toBe(twin.json);
  });

  it('cleanup finds contents no header refers to (a dead writer, an unfinished deletion) and deletes them, never one in use', async () => {
    const t = makeTestConvex();
    const store = makeConvexTestStore(t);
    const used = writesFor('u1', input, [ALL]).find((w) => w.aggregationType === 'session_analysis')!;
    await store.upsertAggregations([used]);
    await t.run(async (ctx) => {
      await ctx.db.insert('aggregation_contents', { userId: 'u1', dataHash: 'd'.repeat(64), chunkCount: 2, bytes: 2000, state: 'writing' });
      await ctx.db.insert('aggregation_content_chunks', { userId: 'u1', dataHash: 'd'.repeat(64), seq: 0, text: 'x'.repeat(1000) });
      await ctx.db.insert('aggregation_content_chunks', { userId: 'u1', dataHash: 'd'.repeat(64), seq: 1, text: 'y'.repeat(1000) });
      await ctx.db.insert('aggregation_contents', { userId: 'u2', dataHash: 'e'.repeat(64), chunkCount: 1, bytes: 10, state: 'deleting' });
      await ctx.db.insert('aggregation_content_chunks', { userId: 'u2', dataHash: 'e'.repeat(64), seq: 0, text: 'z'.repeat(10) });
    });
    const found = (grace: number) => collect((page) => store.maintenance.pageOrphanChunkSets(grace, page));
    // Within the grace only the unfinished deletion: the writer may still be at work.
    expect((await found(3_600_000)).map((set) => [set.userId, set.dataHash[0], set.chunks])).toEqual([['u2', 'e', 1]]);
    const sets = await found(0);
    expect(sets.map((set) => [set.userId, set.dataHash[0], set.chunks, set.aggregationType ?? null])).toEqual([
      ['u1', 'd', 2, null],
      ['u2', 'e', 1, null],
    ]);
    expect(await store.maintenance.deleteOrphanChunkSets(sets, 0)).toMatchObject({ deleted: 3, bytesFreed: 2010 });
    expect((await heads(t)).map((head) => head.dataHash)).toEqual([used.dataHash]);
    expect((await pieces(t)).every((piece) => piece.dataHash === used.dataHash)).toBe(true);
    expect(await found(0)).toEqual([]);
    expect(dataOf(await store.readAggregation(keyOf(used)))).toBe(used.json);
  });
});
