import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES } from '../../src/core/aggregations/definition.js';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_GRID, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { canonicalJson } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { runAgg } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'agg-compute-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const RECORDS: InputRecord[] = [
  { id: 'a', watchedAt: '2024-03-01T10:00:00.000Z', channelTitle: 'Alpha', videoTitle: 'Python tutorial', product: 'YouTube' },
  { id: 'b', watchedAt: '2024-03-01T10:10:00.000Z', channelTitle: 'Beta', videoTitle: 'Rock song', product: 'YouTube Music' },
  { id: 'c', watchedAt: '2024-03-02T19:30:00+09:00', channelTitle: 'Alpha', topics: ['Custom'] }, // = 10:30Z, the newest
  { id: 'd', watchedAt: null, channelTitle: 'Gamma' },
  { id: 'e', watchedAt: '2024-02-15T08:00:00.000Z', isAd: true, channelTitle: 'Ads' },
];
const jsonl = file('records.jsonl', RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
const jsonArray = file('records.json', JSON.stringify(RECORDS, null, 2));

function parseDocument(stdout: string) {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.trimEnd().includes('\n')).toBe(false); // exactly one line, one document
  return JSON.parse(stdout) as { asOf: string; timeZone: string; results: { type: string; version: number; filters: unknown; filterHash: string; data: unknown }[] };
}

describe('agg compute --json', () => {
  it('prints one JSON document with the documented envelope, data in canonical form', async () => {
    const { code, stdout, stderr } = await runAgg(['compute', jsonl, '--json']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const document = parseDocument(stdout);
    expect(Object.keys(document)).toEqual(['schema', 'asOf', 'timeZone', 'results']);
    expect(document).toMatchObject({ schema: 'agg.compute/v1' });
    // Default --as-of: the newest watchedAt (c, written with an offset), in canonical form; default zone UTC.
    expect(document.asOf).toBe('2024-03-02T10:30:00.000Z');
    expect(document.timeZone).toBe('UTC');
    expect(document.results.map((r) => r.type)).toEqual([...AGGREGATION_TYPES]);
    const expected = computeAggregations({ records: RECORDS, context: { asOf: '2024-03-02T10:30:00.000Z', timeZone: 'UTC' } }).results;
    document.results.forEach((result, i) => {
      expect(Object.keys(result)).toEqual(['type', 'version', 'filters', 'filterHash', 'data']);
      expect(result.version).toBe(result.type === 'enhanced_channel_metrics' ? 2 : 1);
      expect(result.filters).toEqual({ channels: [], product: 'All', timeframe: 'All', topics: [] });
      expect(result.filterHash).toBe(filterHash(canonicalFilters({})));
      expect(canonicalJson(result.data)).toBe(expected[i]!.json);
    });
    // Both the data and the filters appear in the text in canonical form.
    expect(stdout).toContain(`"filters":{"channels":[],"product":"All","timeframe":"All","topics":[]}`);
    for (const result of expected) expect(stdout).toContain(`"data":${result.json}`);
    const kpi = document.results[0]!.data as { totalVideos: number; uniqueChannels: number };
    expect(kpi).toMatchObject({ totalVideos: 4, uniqueChannels: 3 }); // the ad is left out, the undated record counts
  });

  it('reads a JSON array as well as JSON Lines, with the same result', async () => {
    const a = await runAgg(['compute', jsonl, '--json']);
    const b = await runAgg(['compute', jsonArray, '--json']);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('honours --as-of, --tz, --type (canonical order) and filters', async () => {
    const { code, stdout } = await runAgg([
      'compute', jsonl, '--json', '--as-of', '2024-03-02T00:00:00+09:00', '--tz', 'Asia/Tokyo',
      '--type', 'top_channels', '--type', 'kpi', '--timeframe', 'MTD', '--product', 'YouTube', '--channel', 'Alpha', '--topic', 'Technology',
    ]);
    expect(code).toBe(0);
    const document = parseDocument(stdout);
    expect(document.asOf).toBe('2024-03-01T15:00:00.000Z');
    expect(document.timeZone).toBe('Asia/Tokyo');
    expect(document.results.map((r) => r.type)).toEqual(['kpi', 'top_channels']);
    expect(document.results[0]!.filters).toEqual({ channels: ['Alpha'], product: 'YouTube', timeframe: 'MTD', topics: ['Technology'] });
    // MTD in Tokyo at 2024-03-02 00:00 JST: from 2024-02-29T15:00Z; "a" (Alpha, YouTube, Technology) only.
    expect(document.results[1]!.data).toEqual([{ channel: 'Alpha', percentage: 100, videoCount: 1, watchTime: 300 }]);
  });

  it('computes the default grid with --grid: 18 filter sets × 10 types = 180 results', async () => {
    const { code, stdout } = await runAgg(['compute', jsonl, '--json', '--grid']);
    expect(code).toBe(0);
    const document = parseDocument(stdout);
    expect(document.results).toHaveLength(180);
    const sets = [...new Set(document.results.map((r) => r.filterHash))];
    expect(sets).toEqual(DEFAULT_GRID.map(filterHash));
    expect(document.results.slice(0, 10).map((r) => r.type)).toEqual([...AGGREGATION_TYPES]);
  });

  it('prints a readable summary without --json', async () => {
    const { code, stdout, stderr } = await runAgg(['compute', jsonl]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('4 records (1 undated), 1 ads left out');
    expect(stdout).toContain('as of 2024-03-02T10:30:00.000Z in UTC');
    for (const type of AGGREGATION_TYPES) expect(stdout).toMatch(new RegExp(`^${type} v\\d+\\s+All/All\\s+\\d`, 'm'));
    // 80 columns: a result's summary goes on its own indented line (the file name line aside).
    expect(stdout.split('\n').slice(1).filter((line) => line.length > 80)).toEqual([]);
    expect(stdout).toMatch(/^kpi v\d+ .*\n {2}\S/m);
  });
});

describe('agg compute errors: one line on stderr, no stack trace, exit 2', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['a missing file', () => ['compute', join(dir, 'nope.jsonl')], /no such file/],
    ['a directory', () => { mkdirSync(join(dir, 'adir'), { recursive: true }); return ['compute', join(dir, 'adir')]; }, /directory/],
    ['an empty file', () => ['compute', file('empty.json', '')], /empty/],
    ['invalid JSON', () => ['compute', file('bad.json', '[{"id": "a", ')], /not valid JSON/],
    ['a single JSON value', () => ['compute', file('object.json', '{"id": "a", "watchedAt": null}')], /expected a JSON array/],
    ['an invalid record, with its line', () => ['compute', file('bad-line.jsonl', '{"id":"a","watchedAt":null}\n{"id":"b","watchedAt":"yesterday"}\n')], /:2: invalid record: watchedAt/],
    ['a bad JSON line, with its line', () => ['compute', file('bad-json-line.jsonl', '{"id":"a","watchedAt":null}\n{"id":"b",\n')], /:2: not valid JSON/],
    ['an invalid record in an array', () => ['compute', file('bad-array.json', '[{"id":"a","watchedAt":null},{"id":"","watchedAt":null}]')], /record 2.*id/],
    ['a bad product', () => ['compute', file('bad-product.jsonl', '{"id":"a","watchedAt":null,"product":"YouTube Kids"}\n')], /:1: invalid record: product/],
    ['a duplicate id', () => ['compute', file('dup.jsonl', '{"id":"a","watchedAt":null}\n{"id":"b","watchedAt":null}\n{"id":"a","watchedAt":"2024-01-01T00:00:00Z"}\n')], /:3: duplicate record id "a" \(first at 1\)/],
    ['an unknown --type', () => ['compute', jsonl, '--type', 'kpis'], /--type "kpis" is not an aggregation type/],
    ['a bad --tz', () => ['compute', jsonl, '--tz', 'Mars/Base'], /--tz "Mars\/Base" is not an IANA time zone/],
    ['a bad --as-of', () => ['compute', jsonl, '--as-of', '2024-02-30T00:00:00Z'], /--as-of "2024-02-30T00:00:00Z" is not an ISO-8601 instant/],
    ['an --as-of without offset', () => ['compute', jsonl, '--as-of', '2024-02-01T00:00:00'], /--as-of/],
    ['--grid with --timeframe', () => ['compute', jsonl, '--grid', '--timeframe', 'MTD'], /--grid/],
    ['--grid with --product', () => ['compute', jsonl, '--grid', '--product', 'YouTube'], /--grid/],
    ['a bad --timeframe', () => ['compute', jsonl, '--timeframe', 'LastWeek'], /--timeframe "LastWeek"/],
    ['a bad --product', () => ['compute', jsonl, '--product', 'Kids'], /--product "Kids"/],
    ['no dated record and no --as-of', () => ['compute', file('undated.jsonl', '{"id":"a","watchedAt":null}\n')], /--as-of/],
    ['a missing file argument', () => ['compute'], /missing required argument/],
    ['an unknown option', () => ['compute', jsonl, '--frobnicate'], /unknown option/],
  ];

  it.each(cases)('%s', async (_name, args, message) => {
    const { code, stdout, stderr } = await runAgg(args());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr.startsWith('agg: ')).toBe(true);
  });
});
