import { describe, expect, it } from 'vitest';
import { AGGREGATION_TYPES, type AggregationType } from '../../src/core/aggregations/definition.js';
import type { DayHourCell } from '../../src/core/aggregations/day-time-heatmap.js';
import type { EnhancedChannelMetrics } from '../../src/core/aggregations/enhanced-channel-metrics.js';
import type { KpiMetrics } from '../../src/core/aggregations/kpi.js';
import type { MonthlyCount } from '../../src/core/aggregations/monthly-trend.js';
import type { SessionAnalysis } from '../../src/core/aggregations/session-analysis.js';
import type { ChannelMetrics } from '../../src/core/aggregations/top-channels.js';
import type { ViewingPatterns } from '../../src/core/aggregations/viewing-patterns.js';
import { type AggregationResult, computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_GRID, type Filters, canonicalFilters, filterHash } from '../../src/core/filters.js';
import { canonicalJson, isPlainJson } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { REGISTRY } from '../../src/core/registry.js';
import { generateUser, generateUsers } from '../../fixtures/generator.js';
import { Random } from '../../fixtures/random.js';
import { DAY, shuffle } from './support/records.js';

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Adelaide'];

/** Small datasets full of ties: few instants (month ends, DST days, identical times), channels and topics. */
function tiedRecords(random: Random, n: number): InputRecord[] {
  const instants = [
    '2024-01-31T23:30:00.000Z', '2024-02-01T00:00:00.000Z', '2024-02-29T12:00:00.000Z', '2024-03-10T07:00:00.000Z',
    '2024-03-31T01:00:00.000Z', '2024-03-31T01:15:00.000Z', '2024-03-31T01:45:00.000Z', '2024-06-30T23:59:59.999Z',
    '2024-10-27T00:30:00.000Z', '2024-10-27T01:30:00.000Z', '2024-11-03T05:30:00.000Z', '2024-11-03T06:30:00.000Z',
    '2024-12-31T23:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-01-01T00:30:00.000Z',
  ];
  const channels = ['A', 'B', 'Zed', 'alpha', 'Ä', 'a|b'];
  const topics = ['Music', 'Gaming', 'News', 'x'];
  return Array.from({ length: n }, (_, i) => {
    const record: InputRecord = { id: `t${random.int(1_000_000)}-${i}`, watchedAt: random.chance(0.1) ? null : random.pick(instants) };
    if (random.chance(0.9)) record.channelTitle = random.pick(channels);
    if (random.chance(0.3)) record.channelUrl = `https://example.com/${random.int(3)}`;
    if (random.chance(0.7)) record.topics = [...new Set([random.pick(topics), random.pick(topics)])];
    else record.videoTitle = random.pick(['python tutorial', 'rock song', 'nothing here', 'game news']);
    if (random.chance(0.3)) record.product = 'YouTube Music';
    if (random.chance(0.05)) record.isAd = true;
    return record;
  });
}

const EXTRA_FILTERS: Filters[] = [
  canonicalFilters({ timeframe: 'Last12M', topics: ['Music', 'Technology'] }),
  canonicalFilters({ product: 'YouTube', channels: ['A', 'Zed'] }),
];

interface Case {
  name: string;
  records: InputRecord[];
  asOf: string;
}

function cases(): Case[] {
  const random = new Random('compute-properties');
  const out: Case[] = [];
  for (const { userId, records } of generateUsers({ users: 3, records: 300, seed: 'properties', end: '2025-01-01T00:00:00.000Z' })) {
    out.push({ name: userId, records, asOf: '2025-01-01T00:00:00.000Z' });
  }
  // More undated records and ads than the population default.
  const records = generateUser({ userId: 'dense', records: 400, seed: 'properties', years: 2, end: '2025-01-01T00:00:00.000Z', undatedShare: 0.03, adShare: 0.05 });
  out.push({ name: 'dense', records, asOf: '2024-12-15T12:00:00.000Z' });
  for (let k = 0; k < 6; k++) {
    out.push({ name: `tied ${k}`, records: tiedRecords(random, 5 + random.int(80)), asOf: random.pick(['2025-01-01T00:00:00.000Z', '2024-11-03T06:00:00.000Z', '2024-03-31T01:15:00.000Z']) });
  }
  out.push({ name: 'empty', records: [], asOf: '2025-01-01T00:00:00.000Z' });
  return out;
}

const CASES = cases();

function run(records: readonly InputRecord[], asOf: string, timeZone: string, filterSets: readonly Filters[] = [...DEFAULT_GRID, ...EXTRA_FILTERS]) {
  return computeAggregations({ records, context: { asOf, timeZone }, filterSets }).results;
}

function byKey(results: readonly AggregationResult[]): Map<string, AggregationResult> {
  return new Map(results.map((r) => [`${r.filterHash}/${r.type}`, r]));
}

/** F-core count of dated records, written from §1.5 for UTC only (calendar starts by Date.UTC). */
function datedCountUtc(records: readonly InputRecord[], asOf: string, filters: Filters): number {
  const now = Date.parse(asOf);
  const d = new Date(now);
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  const timeOfDay = now % DAY;
  const minus = (k: number) => {
    const target = new Date(Date.UTC(y, m - k, 1));
    const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    return Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(day, last)) + timeOfDay;
  };
  const start = { MTD: Date.UTC(y, m, 1), QTD: Date.UTC(y, m - (m % 3), 1), YTD: Date.UTC(y, 0, 1), Last6M: minus(6), Last12M: minus(12), All: -Infinity }[filters.timeframe];
  return records.filter((r) => {
    if (r.isAd === true || r.watchedAt === null) return false;
    const t = Date.parse(r.watchedAt);
    if (filters.timeframe !== 'All' && (t < start || t > now)) return false;
    if (filters.product !== 'All' && (r.product ?? 'YouTube') !== filters.product) return false;
    return true;
  }).length;
}

describe('properties of computeAggregations', () => {
  it('every result is plain JSON, valid for its schema, canonical as built, and measured right', () => {
    for (const { records, asOf } of CASES) {
      for (const timeZone of ['UTC', 'Asia/Kolkata']) {
        for (const result of run(records, asOf, timeZone)) {
          expect(isPlainJson(result.data)).toBe(true);
          REGISTRY[result.type].schema.parse(result.data);
          const json = JSON.stringify(result.data);
          expect(json).toBe(canonicalJson(result.data));
          expect(result.json).toBe(json);
          expect(result.version).toBe(result.type === 'enhanced_channel_metrics' ? 2 : 1);
          expect(result.filterHash).toBe(filterHash(result.filters));
          // Shape, computed independently.
          let longestArray = 0, widestObject = 0;
          const depth = (v: unknown): number => {
            if (v === null || typeof v !== 'object') return 0;
            const children = Array.isArray(v) ? v : Object.values(v);
            if (Array.isArray(v)) longestArray = Math.max(longestArray, v.length);
            else widestObject = Math.max(widestObject, children.length);
            return 1 + children.reduce((max: number, c) => Math.max(max, depth(c)), 0);
          };
          const d = depth(result.data);
          expect(result.shape).toEqual({ bytes: Buffer.byteLength(json, 'utf8'), longestArray, widestObject, depth: d });
        }
      }
    }
  });

  it('gives byte-identical output under any permutation of the input', () => {
    const random = new Random('permutations');
    for (const { name, records, asOf } of CASES) {
      const timeZone = random.pick(ZONES);
      const reference = run(records, asOf, timeZone).map((r) => `${r.type} ${r.filterHash} ${r.json}`);
      for (let i = 0; i < 3; i++) {
        const shuffled = run(shuffle(records, random), asOf, timeZone).map((r) => `${r.type} ${r.filterHash} ${r.json}`);
        expect(shuffled.length, name).toBe(reference.length);
        for (let k = 0; k < reference.length; k++) if (shuffled[k] !== reference[k]) expect(shuffled[k], `${name} ${timeZone}`).toBe(reference[k]);
      }
    }
  });

  it('computing the whole grid at once equals computing each filter set alone', () => {
    for (const { records, asOf } of CASES.slice(0, 6)) {
      const together = byKey(run(records, asOf, 'America/New_York'));
      for (const filters of [...DEFAULT_GRID, ...EXTRA_FILTERS]) {
        for (const alone of run(records, asOf, 'America/New_York', [filters])) {
          expect(alone.json).toBe(together.get(`${alone.filterHash}/${alone.type}`)!.json);
        }
      }
      // And one type at a time equals all types together.
      for (const type of AGGREGATION_TYPES) {
        const [single] = computeAggregations({ records, context: { asOf, timeZone: 'America/New_York' }, types: [type], filterSets: [DEFAULT_GRID[4]!] }).results;
        expect(single!.json).toBe(together.get(`${filterHash(DEFAULT_GRID[4]!)}/${type}`)!.json);
      }
    }
  });

  it('heatmap cells and monthly videos sum to the dated F-core count, which every type agrees on', () => {
    for (const { name, records, asOf } of CASES) {
      for (const timeZone of ZONES) {
        const results = run(records, asOf, timeZone);
        const groups = new Map<string, Partial<Record<AggregationType, unknown>>>();
        for (const r of results) {
          const group = groups.get(r.filterHash) ?? {};
          group[r.type] = r.data;
          groups.set(r.filterHash, group);
        }
        for (const r of results.filter((x) => x.type === 'kpi')) {
          const g = groups.get(r.filterHash)!;
          const heat = (g.day_time_heatmap as DayHourCell[]).reduce((s, c) => s + c.value, 0);
          const monthly = (g.monthly_trend as MonthlyCount[]).reduce((s, m) => s + m.videos, 0);
          const sessions = (g.session_analysis as SessionAnalysis).sessions.reduce((s, x) => s + x.recordIds.length, 0);
          const hourly = (g.viewing_patterns as ViewingPatterns).hourlyDistribution.reduce((s, h) => s + h.count, 0);
          const channels = (g.enhanced_channel_metrics as EnhancedChannelMetrics[]).reduce((s, c) => s + c.videoCount, 0);
          const context = `${name} ${timeZone} ${canonicalJson(r.filters)}`;
          expect(monthly, context).toBe(heat);
          expect(sessions, context).toBe(heat);
          expect(hourly, context).toBe(heat);
          expect(channels, context).toBe(heat);
          if (r.filters.topics.length === 0 && r.filters.channels.length === 0 && timeZone === 'UTC') {
            expect(heat, context).toBe(datedCountUtc(records, asOf, r.filters));
          }
          const undated = r.filters.timeframe === 'All' ? records.filter((x) => x.watchedAt === null && x.isAd !== true && (r.filters.product === 'All' || (x.product ?? 'YouTube') === r.filters.product)).length : 0;
          if (r.filters.topics.length === 0 && r.filters.channels.length === 0) {
            expect((r.data as KpiMetrics).totalVideos, context).toBe(heat + undated);
          }
        }
      }
    }
  });

  it('top_channels: at most ten, percentages within 0-100 summing to at most 100, counts descending', () => {
    for (const { records, asOf } of CASES) {
      for (const result of run(records, asOf, 'Australia/Adelaide').filter((r) => r.type === 'top_channels')) {
        const rows = result.data as ChannelMetrics[];
        expect(rows.length).toBeLessThanOrEqual(10);
        let sum = 0;
        rows.forEach((row, i) => {
          expect(row.percentage).toBeGreaterThan(0);
          expect(row.percentage).toBeLessThanOrEqual(100);
          expect(row.watchTime).toBe(300 * row.videoCount);
          if (i > 0) {
            const prev = rows[i - 1]!;
            expect(prev.videoCount > row.videoCount || (prev.videoCount === row.videoCount && prev.channel < row.channel)).toBe(true);
          }
          sum += row.percentage;
        });
        expect(sum).toBeLessThanOrEqual(100 + 1e-9);
      }
    }
  });

  it('reports the dataset summary', () => {
    const records: InputRecord[] = [
      { id: 'a', watchedAt: '2024-01-01T00:00:00.000Z', channelTitle: 'X', topics: ['T'] },
      { id: 'b', watchedAt: null, channelTitle: 'Y' },
      { id: 'c', watchedAt: '2024-01-01T00:00:00.000Z', isAd: true, channelTitle: 'Z' },
    ];
    const { summary, results } = computeAggregations({ records, context: { asOf: '2024-01-01T05:30:00+05:30', timeZone: 'Asia/Kolkata' } });
    expect(summary).toEqual({ asOf: '2024-01-01T00:00:00.000Z', timeZone: 'Asia/Kolkata', records: 2, ads: 1, undated: 1, channels: 2, topics: 2 });
    expect(results.map((r) => r.type)).toEqual([...AGGREGATION_TYPES]);
    expect(results.every((r) => canonicalJson(r.filters) === '{"channels":[],"product":"All","timeframe":"All","topics":[]}')).toBe(true);
  });
});
