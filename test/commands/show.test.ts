import { beforeEach, describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_GRID, canonicalFilters, filterHash } from '../../src/core/filters.js';
import type { JsonValue } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { aggregationVersion } from '../../src/core/registry.js';
import { toAggregationWrite } from '../../src/store/aggregation-write.js';
import type { Store } from '../../src/store/store.js';
import { type CliHarness, HARNESSES, jsonOf } from '../support/cli-harness.js';

// agg show USER [TYPE]: one stored result with its metadata and data, or the list of a user's results.

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const MINUTE = 60_000;
const records = (userId: string): InputRecord[] => [
  { id: `${userId}-a`, watchedAt: '2025-06-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial' },
  { id: `${userId}-b`, watchedAt: '2025-06-02T10:00:00.000Z', channelTitle: 'Beta', videoTitle: 'Rock song', product: 'YouTube Music' },
  { id: `${userId}-c`, watchedAt: '2025-01-15T21:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Cooking pasta' },
];
/** A filter set the app recorded for alice, with a long description (it must be cut to fit). */
const COMBINATION = canonicalFilters({ timeframe: 'Last12M', product: 'YouTube Music', topics: ['Music', 'Programming', 'Cooking'] });
/** A filter set agg no longer knows (neither in the grid nor recorded): shown by its hash. */
const FORGOTTEN = canonicalFilters({ channels: ['Gone'] });

const errorLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line !== '' && !line.startsWith('agg: using'));

interface ResultJson {
  userId: string;
  type: string;
  filters: unknown;
  filterHash: string;
  version: number;
  currentVersion: number;
  asOf: string;
  timeZone: string;
  computedAt: string;
  expiresAt: string;
  expired: boolean;
  bytes: number;
  dataHash: string;
  recordCount: number;
  computeMs: number;
  data: JsonValue;
}

interface ListJson {
  userId: string;
  records: number;
  filters: unknown;
  results: Array<Omit<ResultJson, 'userId' | 'data' | 'recordCount' | 'computeMs'>>;
}

describe.each(HARNESSES)('agg show on the %s', (_name, make) => {
  let harness: CliHarness;
  let clock: number;
  const agg = (args: string[]) => harness.run(['show', ...args], { now: () => clock });
  const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
    const store = harness.open();
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  };

  beforeEach(async () => {
    harness = make();
    clock = NOW;
    await harness.seedUsers([
      { userId: 'alice', records: records('alice') },
      { userId: 'alicia', records: records('alicia') },
      { userId: 'bob', records: records('bob') },
    ]);
    await withStore((store) => store.recordFilterUse('alice', COMBINATION, '2025-06-30T00:00:00.000Z'));
    const backfill = await harness.run(['backfill', '--user', 'alice', '--quiet'], { now: () => NOW - 10 * MINUTE });
    expect(backfill.code, backfill.stderr).toBe(0);
    // One result of a forgotten filter set, and one of an older algorithm version.
    const { results } = computeAggregations({ records: records('alice'), context: { asOf: '2025-06-02T10:00:00.000Z', timeZone: 'UTC' }, filterSets: [FORGOTTEN, DEFAULT_GRID[0]!], types: ['kpi', 'session_analysis'] });
    const context = { userId: 'alice', asOf: '2025-06-02T10:00:00.000Z', timeZone: 'UTC', computedAtMs: NOW - 3 * 60 * MINUTE, ttlMs: 60 * MINUTE, recordCount: 3, computeMs: 1 };
    const forgotten = results.filter((r) => r.filterHash === filterHash(FORGOTTEN) && r.type === 'kpi').map((r) => toAggregationWrite(r, context));
    const outdated = results.filter((r) => r.filterHash === filterHash(DEFAULT_GRID[0]!) && r.type === 'session_analysis').map((r) => ({ ...toAggregationWrite(r, context), version: 0 }));
    await withStore((store) => store.upsertAggregations([...forgotten, ...outdated], { force: true }));
  });

  it('lists every stored result of a user in a table that fits 80 columns', async () => {
    const run = await agg(['alice']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    // 18 grid sets and the recorded combination, ten types each, and the forgotten kpi.
    expect(lines[0]).toMatch(/^alice: 191 stored results, \d+ expired, [\d.]+ KiB; 3 records$/);
    expect(lines[1]).toMatch(/^type\s+filters\s+age\s+expires\s+ver\s+size$/);
    const rows = lines.slice(2).filter((line) => !line.startsWith('*') && !line.startsWith('['));
    expect(rows).toHaveLength(191);
    // Grid order first (MTD/All: kpi … topic_evolution), then the combination, then unknown filter sets.
    expect(rows[0]).toMatch(/^kpi\s+MTD\/All\s+10m\s+in 50m\s+1\s+\d+ B$/);
    expect(rows.slice(0, 10).map((row) => row.split(/\s+/)[0])).toEqual([...AGGREGATION_TYPES]);
    expect(rows.find((row) => row.startsWith('enhanced_channel_metrics') && row.includes('Last12M/YouTube Music'))).toBeDefined();
    // The combination, too long for the column, is a note under the table; the forgotten set is its hash.
    expect(rows[180]).toMatch(/^kpi\s+\[1\]\s+10m\s/);
    expect(rows[190]).toMatch(new RegExp(`^kpi\\s+#${filterHash(FORGOTTEN).slice(0, 12)}\\s+3h\\s+expired\\s+1\\s`));
    expect(lines).toContain('[1] Last12M/YouTube Music topics=Cooking|Music|Programming');
    // The outdated result: its version marked, with a footnote.
    expect(rows.find((row) => row.startsWith('session_analysis') && row.includes('MTD/All'))).toMatch(/\s0\*\s/);
    expect(lines.at(-1)).toBe('* older algorithm version, not served (1): agg backfill rewrites it');
  });

  it('says when results expired, and narrows the list to one filter set', async () => {
    clock = NOW + 40 * MINUTE; // past the 30-minute types (top_channels, topics_leaderboard), within the hour ones
    const run = await agg(['alice', '--timeframe', 'YTD', '--product', 'YouTube']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^alice: 10 stored results for YTD\/YouTube, 2 expired, /);
    expect(lines.filter((line) => /\sexpired\s/.test(line)).map((line) => line.split(/\s+/)[0])).toEqual(['top_channels', 'topics_leaderboard']);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    const none = await agg(['bob']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('bob has no stored results (3 records): agg backfill --user bob computes them\n');
  });

  it('lists as one JSON document', async () => {
    const list = jsonOf<ListJson>(await agg(['alice', '--json']));
    expect(list).toMatchObject({ userId: 'alice', records: 3, filters: null });
    expect(list.results).toHaveLength(191);
    const digests = await withStore((store) => store.listDigests('alice'));
    expect(new Set(list.results.map((r) => `${r.type}/${r.filterHash}`))).toEqual(new Set(digests.map((d) => `${d.aggregationType}/${d.filterHash}`)));
    expect(list.results[0]).toMatchObject({ type: 'kpi', filters: DEFAULT_GRID[0], version: 1, currentVersion: 1, expired: false, timeZone: 'UTC' });
    expect(list.results.find((r) => r.filterHash === filterHash(FORGOTTEN))).toMatchObject({ filters: null, expired: true });
    expect(list.results.find((r) => r.version === 0)).toMatchObject({ type: 'session_analysis', currentVersion: aggregationVersion('session_analysis') });
  });

  it('prints one result: its metadata, then its data as readable JSON within 80 columns', async () => {
    const stored = (await withStore((store) => store.readAggregation({ userId: 'alice', aggregationType: 'day_time_heatmap', filterHash: filterHash(DEFAULT_GRID[5]!) })))!;
    const run = await agg(['alice', 'day_time_heatmap']);
    expect(run.code, run.stderr).toBe(0);
    const [head, rest] = run.stdout.split('\ndata:\n');
    expect(head!.split('\n')).toEqual([
      'alice · day_time_heatmap · All/All',
      'version      1 (current)',
      'as of        2025-06-02T10:00:00.000Z',
      'time zone    UTC',
      'computed at  2025-06-30T23:50:00.000Z (10m00s ago)',
      'expires at   2025-07-01T00:50:00.000Z (in 50m00s)',
      `size         ${stored.metadata.bytes.toLocaleString('en-US')} bytes (${(stored.metadata.bytes / 1024).toFixed(1)} KiB) of canonical JSON`,
      `data hash    ${stored.dataHash}`,
      `filter hash  ${stored.filterHash}`,
      expect.stringMatching(/^records      3 \(computed in [\d.]+ (ms|s)\)$/),
      expect.stringMatching(/^summary      busiest (Sun|Mon) \d\d:00 with 1$/),
    ]);
    expect(JSON.parse(rest!)).toEqual(stored.data);
    for (const line of run.stdout.trimEnd().split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    // The filters name the result; an older version says it is not served.
    const music = await agg(['alice', 'top_channels', '--timeframe', 'Last12M', '--product', 'YouTube Music', '--topic', 'Cooking', '--topic', 'Programming', '--topic', 'Music']);
    expect(music.code, music.stderr).toBe(0);
    expect(music.stdout.split('\n')[0]).toBe('alice · top_channels · Last12M/YouTube Music topics=Cooking|Music|Programming');
    const old = await agg(['alice', 'session_analysis', '--timeframe', 'MTD']);
    expect(old.stdout).toContain('version      0 (outdated: agg computes version 1; the app does not serve it)');
    expect(old.stdout).toContain('(expired 2h00m ago)');
  });

  it('prints one result as one JSON document with its data as stored', async () => {
    const filters = canonicalFilters({ timeframe: 'YTD', product: 'YouTube Music' });
    const run = await agg(['alice', 'top_channels', '--timeframe', 'YTD', '--product', 'YouTube Music', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = jsonOf<ResultJson>(run);
    const stored = (await withStore((store) => store.readAggregation({ userId: 'alice', aggregationType: 'top_channels', filterHash: filterHash(filters) })))!;
    expect(doc).toEqual({
      schema: 'agg.show.result/v1',
      userId: 'alice',
      type: 'top_channels',
      filters,
      filterHash: filterHash(filters),
      version: stored.version,
      currentVersion: aggregationVersion('top_channels'),
      asOf: stored.asOf,
      timeZone: 'UTC',
      computedAt: '2025-06-30T23:50:00.000Z',
      expiresAt: '2025-07-01T00:20:00.000Z',
      expired: false,
      bytes: stored.metadata.bytes,
      dataHash: stored.dataHash,
      recordCount: 3,
      computeMs: stored.metadata.computeMs,
      data: stored.data,
    });
  });

  it('refuses an unknown user or type with did-you-mean (exit 2), and says when the result is not stored (exit 1)', async () => {
    const user = await agg(['alcie']);
    expect(user.code).toBe(2);
    expect(errorLines(user.stderr)).toEqual(['agg: user alcie is not a known user: no records or stored results (did you mean alice or alicia?); agg users lists the known users']);
    const type = await agg(['alice', 'kpis']);
    expect(type.code).toBe(2);
    expect(errorLines(type.stderr)).toEqual([
      'agg: TYPE "kpis" is not an aggregation type; did you mean kpi? (the ten: kpi, monthly_trend, top_channels, day_time_heatmap, topics_leaderboard, session_analysis, viewing_patterns, enhanced_channel_metrics, channel_relationships, topic_evolution)',
    ]);
    expect(errorLines((await agg(['alice', 'heatmap'])).stderr)[0]).toMatch(/did you mean day_time_heatmap\?/);
    const timeframe = await agg(['alice', 'kpi', '--timeframe', 'Weekly']);
    expect(timeframe.code).toBe(2);
    expect(errorLines(timeframe.stderr)).toEqual(['agg: --timeframe "Weekly" is not valid (expected one of: MTD, QTD, YTD, Last6M, Last12M, All)']);
    const missing = await agg(['bob', 'kpi']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(errorLines(missing.stderr)).toEqual(['agg: bob has no stored kpi result for All/All, nor for any other filter set; agg show bob lists its results, agg backfill --user bob computes them']);
    const other = await agg(['alice', 'kpi', '--channel', 'Nobody', '--json']);
    expect(other.code).toBe(1);
    expect(other.stdout).toBe('');
    expect(errorLines(other.stderr)).toEqual(['agg: alice has no stored kpi result for All/All channels=Nobody (it has 20 for other filter sets); agg show alice lists its results, agg backfill --user alice computes them']);
  });

  it('documents itself in --help, with examples', async () => {
    const help = await harness.run(['show', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: agg show [options] <user> [type]');
    expect(help.stdout).toContain('agg show alice top_channels --timeframe YTD');
    expect((await harness.run(['--help'])).stdout).toMatch(/show \[options\] <user> \[type\]/);
  });
});
