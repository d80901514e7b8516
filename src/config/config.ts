import { join } from 'node:path';
import { z } from 'zod';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { MAX_DURATION_MS, checkDuration, formatDuration } from '../core/duration.js';
import { type EligibilityPolicy, OPEN_POLICY } from '../core/eligibility.js';
import { UsageError } from '../errors.js';
import { parseSmallJson, readSmallTextFile } from '../input/small-json.js';

/** Time-to-live per aggregation type, from the seed plan. */
export const DEFAULT_TTL_MS: Readonly<Record<AggregationType, number>> = {
  kpi: 3_600_000,
  monthly_trend: 7_200_000,
  top_channels: 1_800_000,
  day_time_heatmap: 3_600_000,
  topics_leaderboard: 1_800_000,
  session_analysis: 7_200_000,
  viewing_patterns: 3_600_000,
  enhanced_channel_metrics: 3_600_000,
  channel_relationships: 7_200_000,
  topic_evolution: 7_200_000,
};

/** Refresh when this close to expiry: a sixth of the TTL (kpi 10m, monthly_trend 20m, top_channels 5m). */
export function defaultRefreshThresholdMs(ttlMs: number): number {
  return Math.round(ttlMs / 6);
}

/** A result older than this (since it was computed or last verified) is recomputed: twice the TTL. */
export function defaultMaxAgeMs(ttlMs: number): number {
  return 2 * ttlMs;
}

/** How often the cron tick (`backfill --changed`) runs, as the README's recipe schedules it. */
export const DEFAULT_TICK_INTERVAL_MS = 15 * 60_000;

/** What a config duration may be: up to 36,500 days (MAX_DURATION_MS), never zero. */
const DURATION_RANGE = `from 1ms to ${formatDuration(MAX_DURATION_MS)}`;

const duration = z.string().transform((text, context) => {
  const check = checkDuration(text);
  if (!('ms' in check)) {
    if (check.problem === 'zero') {
      context.addIssue({ code: 'custom', message: `"${text}" must be more than zero (a TTL, age or threshold of nothing means nothing; expected e.g. 30m, 2h, 7d)` });
      return z.NEVER;
    }
    context.addIssue({ code: 'custom', message: `"${text}" is not a duration ${check.problem === 'range' ? `${DURATION_RANGE} ` : ''}(expected e.g. 30m, 2h, 1h30m, 7d)` });
    return z.NEVER;
  }
  return check.ms;
});

const ttlSchema = z
  .object(Object.fromEntries(AGGREGATION_TYPES.map((type) => [type, duration.optional()])) as Record<AggregationType, z.ZodOptional<typeof duration>>)
  .strict();

const backfillSchema = z
  .object({
    /** How often the cron tick runs: results expiring before the next tick (plus the threshold) are renewed now. */
    interval: duration.optional(),
  })
  .strict();

/** A retention: a duration, or "never" (the rows stay hot for good). */
const retention = z.string().transform((text, context): number | 'never' => {
  if (text === 'never') return 'never';
  // A retention of 0 archives everything eligible now.
  const check = checkDuration(text, MAX_DURATION_MS, true);
  if (!('ms' in check)) {
    context.addIssue({ code: 'custom', message: `"${text}" is neither a duration ${check.problem === 'range' ? `${DURATION_RANGE} ` : ''}(e.g. 30d, 12w) nor "never"` });
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

const cleanupSchema = z
  .object({
    staleFilters: duration.optional(),
    changeLog: duration.optional(),
    runs: duration.optional(),
    batchSize: z.number().int().min(1).max(1000).optional(),
    chunkGrace: duration.optional(),
  })
  .strict();

const archiveSchema = z
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

const rolloutSchema = z
  .object({
    eligibility: z
      .object({
        minRecords: z.number().int().min(0).max(10_000_000).optional(),
        requireFreshGrid: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const ratio = z.number().min(0).max(1);

const statusSchema = z
  .object({
    /** Results expiring within this count as "expiring" (due for a refresh). */
    refreshThreshold: duration.optional(),
    /** Alert when the oldest unprocessed change-log entry is older than this. */
    maxBacklogAge: duration.optional(),
    /** Alert when more than this share of stored aggregations is expired. */
    maxExpiredShare: ratio.optional(),
    /** Alert when the latest validate run's share of `match` is below this. */
    minConsistency: ratio.optional(),
    /** Alert when the latest validate run is older than this. */
    maxValidateAge: duration.optional(),
  })
  .strict();

/** `agg.config.json`: every key optional, unknown keys refused so a typo never passes silently. */
export const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    ttl: ttlSchema.optional(),
    maxAge: ttlSchema.optional(),
    refreshThreshold: ttlSchema.optional(),
    backfill: backfillSchema.optional(),
    cleanup: cleanupSchema.optional(),
    archive: archiveSchema.optional(),
    rollout: rolloutSchema.optional(),
    status: statusSchema.optional(),
  })
  .strict();

export interface AggConfig {
  /** Where the configuration came from, for messages; null when defaults only. */
  readonly source: string | null;
  readonly ttlMs: Readonly<Record<AggregationType, number>>;
  /** Per type: how long a result lives, its oldest age before a recomputation, and how close to expiry it is renewed. */
  readonly freshness: Freshness;
  readonly cleanup: CleanupConfig;
  readonly archive: ArchiveConfig;
  /** The eligibility policy flags get when they change (the deployment applies it too). */
  readonly eligibility: EligibilityPolicy;
  readonly status: StatusThresholds;
}

export interface TypeFreshness {
  readonly ttlMs: number;
  readonly maxAgeMs: number;
  readonly refreshThresholdMs: number;
}

export interface Freshness {
  readonly byType: Readonly<Record<AggregationType, TypeFreshness>>;
  /** The cron tick's interval (backfill.interval). */
  readonly tickIntervalMs: number;
}

export interface StatusThresholds {
  readonly refreshThresholdMs: number;
  /** Null: no alert on this figure. */
  readonly maxBacklogAgeMs: number | null;
  readonly maxExpiredShare: number | null;
  readonly minConsistency: number | null;
  readonly maxValidateAgeMs: number | null;
}

export const DEFAULT_STATUS_THRESHOLDS: StatusThresholds = {
  refreshThresholdMs: 15 * 60_000,
  maxBacklogAgeMs: null,
  maxExpiredShare: 0.01,
  minConsistency: null,
  maxValidateAgeMs: null,
};

export const CONFIG_FILE_NAME = 'agg.config.json';

export function buildConfig(raw: unknown, source: string | null): AggConfig {
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    const message = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    throw new UsageError(`${source ?? 'config'}: ${path}: ${message}`);
  }
  const ttlMs = { ...DEFAULT_TTL_MS, ...stripUndefined(parsed.data.ttl ?? {}) };
  const byType = {} as Record<AggregationType, TypeFreshness>;
  for (const type of AGGREGATION_TYPES) {
    const ttl = ttlMs[type];
    const maxAgeMs = parsed.data.maxAge?.[type] ?? defaultMaxAgeMs(ttl);
    const refreshThresholdMs = parsed.data.refreshThreshold?.[type] ?? defaultRefreshThresholdMs(ttl);
    if (maxAgeMs < ttl) throw new UsageError(`${source ?? 'config'}: maxAge.${type}: ${formatDuration(maxAgeMs)} is less than its ttl (${formatDuration(ttl)}): a result would be recomputed before it expires`);
    if (refreshThresholdMs >= ttl) throw new UsageError(`${source ?? 'config'}: refreshThreshold.${type}: ${formatDuration(refreshThresholdMs)} is not less than its ttl (${formatDuration(ttl)}): every result would always be due`);
    byType[type] = { ttlMs: ttl, maxAgeMs, refreshThresholdMs };
  }
  return {
    source,
    ttlMs,
    freshness: { byType, tickIntervalMs: parsed.data.backfill?.interval ?? DEFAULT_TICK_INTERVAL_MS },
    cleanup: cleanupConfig(parsed.data.cleanup ?? {}),
    archive: archiveConfig(parsed.data.archive ?? {}),
    eligibility: { ...OPEN_POLICY, ...stripUndefined(parsed.data.rollout?.eligibility ?? {}) },
    status: {
      refreshThresholdMs: parsed.data.status?.refreshThreshold ?? DEFAULT_STATUS_THRESHOLDS.refreshThresholdMs,
      maxBacklogAgeMs: parsed.data.status?.maxBacklogAge ?? null,
      maxExpiredShare: parsed.data.status?.maxExpiredShare ?? 0.01,
      minConsistency: parsed.data.status?.minConsistency ?? null,
      maxValidateAgeMs: parsed.data.status?.maxValidateAge ?? null,
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Reads `agg.config.json` from the given path, or from the working directory when it exists there. */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<AggConfig> {
  const path = explicitPath ?? join(cwd, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await readSmallTextFile(path, path, 'a config file');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && explicitPath === undefined) return buildConfig({}, null);
    if (code === 'ENOENT') throw new UsageError(`${path}: no such config file`);
    throw new UsageError(`${path}: cannot read the config file (${(error as Error).message})`);
  }
  return buildConfig(parseSmallJson(text, path), path);
}

// agg cleanup and agg archive

const DAY_MS = 86_400_000;

export interface CleanupConfig {
  /** Filter combinations unused for this long are removed. */
  readonly staleFiltersMs: number;
  /** Processed change-log entries older than this are removed. */
  readonly changeLogMs: number;
  /** Finished run-ledger entries older than this are removed. */
  readonly runsMs: number;
  /** Rows per deleting call. */
  readonly batchSize: number;
  /** Chunk documents younger than this are never orphans (a write in progress puts chunks in first). */
  readonly chunkGraceMs: number;
}

export const DEFAULT_CLEANUP: CleanupConfig = { staleFiltersMs: 90 * DAY_MS, changeLogMs: 30 * DAY_MS, runsMs: 90 * DAY_MS, batchSize: 200, chunkGraceMs: 3_600_000 };

function cleanupConfig(raw: z.infer<typeof cleanupSchema>): CleanupConfig {
  return {
    staleFiltersMs: raw.staleFilters ?? DEFAULT_CLEANUP.staleFiltersMs,
    changeLogMs: raw.changeLog ?? DEFAULT_CLEANUP.changeLogMs,
    runsMs: raw.runs ?? DEFAULT_CLEANUP.runsMs,
    batchSize: raw.batchSize ?? DEFAULT_CLEANUP.batchSize,
    chunkGraceMs: raw.chunkGrace ?? DEFAULT_CLEANUP.chunkGraceMs,
  };
}

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

function archiveConfig(raw: z.infer<typeof archiveSchema>): ArchiveConfig {
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
