import { z } from 'zod';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { MAX_DURATION_MS, checkDuration } from '../core/duration.js';
import { AGE_RANGE, DAY_MS } from './durations.js';

// agg archive

/** A retention: a duration, or "never" (the rows stay hot for good). */
const retention = z.string().transform((text, context): number | 'never' => {
  if (text === 'never') return 'never';
  // A retention of 0 archives everything eligible now.
  const check = checkDuration(text, MAX_DURATION_MS, true);
  if (!('ms' in check)) {
    context.addIssue({ code: 'custom', message: `"${text}" is neither a duration ${check.problem === 'range' ? `${AGE_RANGE} ` : ''}(e.g. 30d, 12w) nor "never"` });
    return z.NEVER;
  }
  return check.ms;
});

const retentionByType = z
  .object(Object.fromEntries(AGGREGATION_TYPES.map((type) => [type, retention.optional()])) as Record<AggregationType, z.ZodOptional<typeof retention>>)
  .strict();

/** One retention for every aggregation type, or one per type. */
const aggregationRetention = z.unknown().transform((value, context): number | 'never' | z.infer<typeof retentionByType> => {
  const parsed = typeof value === 'string' ? retention.safeParse(value) : value !== null && typeof value === 'object' && !Array.isArray(value) ? retentionByType.safeParse(value) : null;
  if (parsed === null) {
    context.addIssue({ code: 'custom', message: 'expected a duration, "never", or an object with one per aggregation type' });
    return z.NEVER;
  }
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      context.addIssue({ code: 'custom', path: issue.path as (string | number)[], message: issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message });
    }
    return z.NEVER;
  }
  return parsed.data;
});

export const archiveSchema = z
  .object({
    out: z.string().min(1).optional(),
    rowsPerChunk: z.number().int().min(1).max(100_000).optional(),
    retention: z
      .object({
        watch_records: retention.optional(),
        precomputed_aggregations: aggregationRetention.optional(),
        data_change_log: retention.optional(),
        agg_runs: retention.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Milliseconds a row stays hot before `agg archive` moves it; null: never archived by age. */
export type RetentionMs = number | null;

export interface ArchiveConfig {
  /** Default destination directory (relative paths are relative to the working directory). */
  readonly out: string;
  readonly rowsPerChunk: number;
  readonly retention: {
    readonly watch_records: RetentionMs;
    /** Measured from expiresAt: a result the backfill keeps refreshing never goes cold. */
    readonly precomputed_aggregations: Readonly<Record<AggregationType, RetentionMs>>;
    readonly data_change_log: RetentionMs;
    readonly agg_runs: RetentionMs;
  };
}

/** Hot periods by type, in the spirit of the seed plan: fast-moving summaries 7 days, slow ones 30. */
export const DEFAULT_AGGREGATION_RETENTION_MS: Readonly<Record<AggregationType, number>> = {
  kpi: 7 * DAY_MS,
  top_channels: 7 * DAY_MS,
  topics_leaderboard: 7 * DAY_MS,
  day_time_heatmap: 14 * DAY_MS,
  viewing_patterns: 14 * DAY_MS,
  enhanced_channel_metrics: 14 * DAY_MS,
  monthly_trend: 30 * DAY_MS,
  session_analysis: 30 * DAY_MS,
  channel_relationships: 30 * DAY_MS,
  topic_evolution: 30 * DAY_MS,
};

export const DEFAULT_ARCHIVE: ArchiveConfig = {
  out: 'archive',
  rowsPerChunk: 5000,
  retention: {
    watch_records: null,
    precomputed_aggregations: DEFAULT_AGGREGATION_RETENTION_MS,
    data_change_log: 90 * DAY_MS,
    agg_runs: 180 * DAY_MS,
  },
};

function retentionMs(value: number | 'never' | undefined, fallback: RetentionMs): RetentionMs {
  if (value === undefined) return fallback;
  return value === 'never' ? null : value;
}

export function archiveConfig(raw: z.infer<typeof archiveSchema>): ArchiveConfig {
  const retention = raw.retention ?? {};
  const aggregations = retention.precomputed_aggregations;
  const byType =
    aggregations === undefined || typeof aggregations === 'number' || aggregations === 'never'
      ? (Object.fromEntries(AGGREGATION_TYPES.map((type) => [type, retentionMs(aggregations, DEFAULT_AGGREGATION_RETENTION_MS[type])])) as Record<AggregationType, RetentionMs>)
      : (Object.fromEntries(AGGREGATION_TYPES.map((type) => [type, retentionMs(aggregations[type], DEFAULT_AGGREGATION_RETENTION_MS[type])])) as Record<AggregationType, RetentionMs>);
  return {
    out: raw.out ?? DEFAULT_ARCHIVE.out,
    rowsPerChunk: raw.rowsPerChunk ?? DEFAULT_ARCHIVE.rowsPerChunk,
    retention: {
      watch_records: retentionMs(retention.watch_records, DEFAULT_ARCHIVE.retention.watch_records),
      precomputed_aggregations: byType,
      data_change_log: retentionMs(retention.data_change_log, DEFAULT_ARCHIVE.retention.data_change_log),
      agg_runs: retentionMs(retention.agg_runs, DEFAULT_ARCHIVE.retention.agg_runs),
    },
  };
}
