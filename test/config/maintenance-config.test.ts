import { describe, expect, it } from 'vitest';
import { DEFAULT_AGGREGATION_RETENTION_MS, DEFAULT_CLEANUP, buildConfig } from '../../src/config/config.js';

const DAY = 86_400_000;

describe('agg.config.json: cleanup and archive', () => {
  it('has defaults: cleanup ages, and retention of 7–30 days by type, 90 days of change log, 180 of runs, never for records', () => {
    const config = buildConfig({}, null);
    expect(config.cleanup).toEqual(DEFAULT_CLEANUP);
    expect(config.archive.out).toBe('archive');
    expect(config.archive.retention).toEqual({ watch_records: null, precomputed_aggregations: DEFAULT_AGGREGATION_RETENTION_MS, data_change_log: 90 * DAY, agg_runs: 180 * DAY });
    expect(Math.min(...Object.values(DEFAULT_AGGREGATION_RETENTION_MS))).toBe(7 * DAY);
    expect(Math.max(...Object.values(DEFAULT_AGGREGATION_RETENTION_MS))).toBe(30 * DAY);
  });

  it('reads one retention for every aggregation type, one per type, or "never"', () => {
    const all = buildConfig({ archive: { retention: { precomputed_aggregations: '2w', watch_records: '730d', agg_runs: 'never' } } }, 'f');
    expect(new Set(Object.values(all.archive.retention.precomputed_aggregations))).toEqual(new Set([14 * DAY]));
    expect(all.archive.retention.watch_records).toBe(730 * DAY);
    expect(all.archive.retention.agg_runs).toBeNull();
    const some = buildConfig({ archive: { retention: { precomputed_aggregations: { kpi: 'never', topic_evolution: '1d' } } } }, 'f');
    expect(some.archive.retention.precomputed_aggregations).toMatchObject({ kpi: null, topic_evolution: DAY, monthly_trend: 30 * DAY });
    expect(buildConfig({ cleanup: { staleFilters: '1w', batchSize: 1000, chunkGrace: '10m' } }, 'f').cleanup).toMatchObject({ staleFiltersMs: 7 * DAY, batchSize: 1000, chunkGraceMs: 600_000, changeLogMs: 30 * DAY });
  });

  it('refuses bad values with the key and the problem', () => {
    for (const [raw, message] of [
      [{ archive: { retention: { agg_runs: 'forever' } } }, 'agg.config.json: archive.retention.agg_runs: "forever" is neither a duration (e.g. 30d, 12w) nor "never"'],
      [{ archive: { retention: { precomputed_aggregations: { kpi: 'x' } } } }, 'archive.retention.precomputed_aggregations.kpi: "x" is neither a duration'],
      [{ archive: { retention: { precomputed_aggregations: { bogus: '1d' } } } }, 'archive.retention.precomputed_aggregations: unknown key "bogus"'],
      [{ archive: { retention: { precomputed_aggregations: 5 } } }, 'expected a duration, "never", or an object with one per aggregation type'],
      [{ archive: { retention: { users: '1d' } } }, 'archive.retention: unknown key "users"'],
      [{ archive: { rowsPerChunk: 0 } }, 'archive.rowsPerChunk'],
      [{ cleanup: { batchSize: 1001 } }, 'cleanup.batchSize'],
      [{ cleanup: { changeLog: 'soon' } }, 'cleanup.changeLog: "soon" is not a duration'],
    ] as const) {
      expect(() => buildConfig(raw, 'agg.config.json')).toThrow(message);
    }
  });
});

describe('agg.config.json: zero durations', () => {
  it('takes 0 for ages and thresholds, as the CLI flags do', () => {
    const config = buildConfig({ cleanup: { changeLog: '0d', runs: '0d', staleFilters: '0s' }, status: { maxBacklogAge: '0m', refreshThreshold: '0m' }, refreshThreshold: { kpi: '0m' } }, 'f');
    expect(config.cleanup).toMatchObject({ changeLogMs: 0, runsMs: 0, staleFiltersMs: 0 });
    expect(config.status).toMatchObject({ maxBacklogAgeMs: 0, refreshThresholdMs: 0 });
    expect(config.freshness.byType.kpi.refreshThresholdMs).toBe(0);
  });

  it('refuses 0 where it means nothing, saying why', () => {
    for (const [raw, message] of [
      [{ ttl: { kpi: '0m' } }, 'ttl.kpi: "0m" must be more than zero: a result that expires as it is written is never served'],
      [{ maxAge: { kpi: '0h' } }, 'maxAge.kpi: "0h" must be more than zero: a result would be recomputed at every tick'],
      [{ backfill: { interval: '0m' } }, 'backfill.interval: "0m" must be more than zero: it is how often the tick runs'],
      [{ cleanup: { chunkGrace: '0s' } }, 'cleanup.chunkGrace: "0s" must be more than zero: the chunks of a write in progress'],
    ] as const) {
      expect(() => buildConfig(raw, 'agg.config.json')).toThrow(message);
    }
  });
});
