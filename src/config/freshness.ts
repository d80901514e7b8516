import { z } from 'zod';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { age, positiveDuration } from './durations.js';

// ttl, maxAge, refreshThreshold and backfill.interval: how long a result lives and when it is renewed.

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

/** One duration per aggregation type, each optional. */
function perType<T extends z.ZodTypeAny>(schema: T) {
  return z.object(Object.fromEntries(AGGREGATION_TYPES.map((type) => [type, schema.optional()])) as Record<AggregationType, z.ZodOptional<T>>).strict();
}

export const ttlSchema = perType(positiveDuration('a result that expires as it is written is never served'));
/** maxAge is at least the TTL anyway; zero would mean recomputing every result at every tick. */
export const maxAgeSchema = perType(positiveDuration('a result would be recomputed at every tick, never renewed'));
/** 0: renew only what would expire before the next tick, with no margin. */
export const refreshThresholdSchema = perType(age);

export const backfillSchema = z
  .object({
    /** How often the cron tick runs: results expiring before the next tick (plus the threshold) are renewed now. */
    interval: positiveDuration('it is how often the tick runs, so how far ahead it renews').optional(),
  })
  .strict();

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
