import type { z } from 'zod';
import type { Dataset, FilteredView } from '../dataset.js';

export const AGGREGATION_TYPES = [
  'kpi',
  'monthly_trend',
  'top_channels',
  'day_time_heatmap',
  'topics_leaderboard',
  'session_analysis',
  'viewing_patterns',
  'enhanced_channel_metrics',
  'channel_relationships',
  'topic_evolution',
] as const;

export type AggregationType = (typeof AGGREGATION_TYPES)[number];

/** One aggregation type: its algorithm version, the shape of its output and its pure computation. */
export interface AggregationDefinition<T> {
  readonly type: AggregationType;
  /** Bumped whenever the output for the same input can change. */
  readonly version: number;
  readonly schema: z.ZodType<T>;
  compute(view: FilteredView, dataset: Dataset): T;
}
