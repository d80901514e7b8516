import { channelRelationships } from './aggregations/channel-relationships.js';
import { dayTimeHeatmap } from './aggregations/day-time-heatmap.js';
import { AGGREGATION_TYPES, type AggregationDefinition, type AggregationType } from './aggregations/definition.js';
import { enhancedChannelMetrics } from './aggregations/enhanced-channel-metrics.js';
import { kpi } from './aggregations/kpi.js';
import { monthlyTrend } from './aggregations/monthly-trend.js';
import { sessionAnalysis } from './aggregations/session-analysis.js';
import { topChannels } from './aggregations/top-channels.js';
import { topicEvolution } from './aggregations/topic-evolution.js';
import { topicsLeaderboard } from './aggregations/topics-leaderboard.js';
import { viewingPatterns } from './aggregations/viewing-patterns.js';

/** The ten aggregation types of algorithm v1, in their canonical order. */
export const REGISTRY: Readonly<Record<AggregationType, AggregationDefinition<unknown>>> = {
  kpi,
  monthly_trend: monthlyTrend,
  top_channels: topChannels,
  day_time_heatmap: dayTimeHeatmap,
  topics_leaderboard: topicsLeaderboard,
  session_analysis: sessionAnalysis,
  viewing_patterns: viewingPatterns,
  enhanced_channel_metrics: enhancedChannelMetrics,
  channel_relationships: channelRelationships,
  topic_evolution: topicEvolution,
};

export function isAggregationType(value: string): value is AggregationType {
  return (AGGREGATION_TYPES as readonly string[]).includes(value);
}

export function aggregationVersion(type: AggregationType): number {
  return REGISTRY[type].version;
}
