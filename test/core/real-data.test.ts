import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DayHourCell } from '../../src/core/aggregations/day-time-heatmap.js';
import type { KpiMetrics } from '../../src/core/aggregations/kpi.js';
import type { MonthlyCount } from '../../src/core/aggregations/monthly-trend.js';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_GRID } from '../../src/core/filters.js';
import { isPlainJson } from '../../src/core/json.js';
import type { InputRecord } from '../../src/core/record.js';
import { REGISTRY } from '../../src/core/registry.js';
import { Random } from '../../fixtures/random.js';
import { shuffle } from './support/records.js';

const REAL = join(process.cwd(), '..', 'shared', 'fixtures', 'real', 'keira-watch-history.json');
const present = existsSync(REAL);
if (!present) console.warn(`skipping real-data core tests: ${REAL} is absent`);

interface TakeoutEntry {
  header?: string;
  title?: string;
  titleUrl?: string;
  subtitles?: { name?: string; url?: string }[];
  time?: string;
  details?: { name?: string }[];
}

/**
 * A deliberately small mapping of spec §2.5 for this test only (the Takeout parser is not under test
 * here): time, channel, product and an ad flag for any entry with details (this export is Japanese).
 */
function toRecords(entries: TakeoutEntry[]): InputRecord[] {
  return entries.map((entry, index) => ({
    id: `keira-${index}`,
    watchedAt: entry.time ?? null,
    videoTitle: entry.title ?? null,
    videoUrl: entry.titleUrl ?? null,
    channelTitle: entry.subtitles?.[0]?.name ?? null,
    channelUrl: entry.subtitles?.[0]?.url ?? null,
    product: entry.header === 'YouTube Music' ? 'YouTube Music' : 'YouTube',
    isAd: (entry.details ?? []).length > 0,
  }));
}

describe.skipIf(!present)('the core on a real export (keira-watch-history.json)', () => {
  const records = present ? toRecords(JSON.parse(readFileSync(REAL, 'utf8')) as TakeoutEntry[]) : [];

  it('computes the whole grid in Asia/Tokyo: plain JSON, valid schemas, consistent counts, order-independent', () => {
    const newest = records.reduce((max, r) => (r.watchedAt !== null && r.watchedAt! > max ? r.watchedAt! : max), '');
    const context = { asOf: newest, timeZone: 'Asia/Tokyo' };
    const { summary, results } = computeAggregations({ records, context, filterSets: DEFAULT_GRID });
    expect(summary.records + summary.ads).toBe(5533);
    expect(summary.ads).toBe(1855);
    expect(results).toHaveLength(180);
    for (const result of results) {
      expect(isPlainJson(result.data)).toBe(true);
      REGISTRY[result.type].schema.parse(result.data);
    }
    for (let i = 0; i < results.length; i += 10) {
      const kpi = results[i]!.data as KpiMetrics;
      const monthly = results[i + 1]!.data as MonthlyCount[];
      const heatmap = results[i + 3]!.data as DayHourCell[];
      const heat = heatmap.reduce((s, c) => s + c.value, 0);
      expect(monthly.reduce((s, m) => s + m.videos, 0)).toBe(heat);
      // This export has no undated records, so every total is the dated count.
      expect(kpi.totalVideos).toBe(heat);
    }
    const again = computeAggregations({ records: shuffle(records, new Random('real')), context, filterSets: DEFAULT_GRID }).results;
    expect(again.map((r) => r.json)).toEqual(results.map((r) => r.json));
  });
});
