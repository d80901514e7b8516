import type { AggregationType } from '../core/aggregations/definition.js';
import type { ChannelRelationship } from '../core/aggregations/channel-relationships.js';
import type { DayHourCell } from '../core/aggregations/day-time-heatmap.js';
import type { EnhancedChannelMetrics } from '../core/aggregations/enhanced-channel-metrics.js';
import type { KpiMetrics } from '../core/aggregations/kpi.js';
import type { MonthlyCount } from '../core/aggregations/monthly-trend.js';
import type { SessionAnalysis } from '../core/aggregations/session-analysis.js';
import type { ChannelMetrics } from '../core/aggregations/top-channels.js';
import type { TopicEvolution } from '../core/aggregations/topic-evolution.js';
import type { TopicCount } from '../core/aggregations/topics-leaderboard.js';
import type { ViewingPatterns } from '../core/aggregations/viewing-patterns.js';

const pct = (value: number): string => `${value.toFixed(1)}%`;
const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const hour = (h: number): string => `${String(h).padStart(2, '0')}:00`;

/** One human line per result, for `agg compute` and other readable reports. */
const SUMMARIZERS: { [K in AggregationType]: (data: never) => string } = {
  kpi: (d: KpiMetrics) =>
    `${plural(d.totalVideos, 'video')}, ${plural(d.uniqueChannels, 'channel')}; YTD ${d.ytdVideos} (${signed(d.ytdYoyDelta)} YoY), QTD ${d.qtdVideos}, MTD ${d.mtdVideos}`,
  monthly_trend: (d: MonthlyCount[]) => {
    if (d.length === 0) return 'no dated records';
    const peak = d.reduce((best, m) => (m.videos > best.videos ? m : best));
    return `${plural(d.length, 'month')} (${d[0]!.month} – ${d[d.length - 1]!.month}), peak ${peak.month} with ${peak.videos}`;
  },
  top_channels: (d: ChannelMetrics[]) =>
    d.length === 0 ? 'no channels' : `#1 ${d[0]!.channel}: ${d[0]!.videoCount} (${pct(d[0]!.percentage)}); ${plural(d.length, 'channel')} listed`,
  day_time_heatmap: (d: DayHourCell[]) => {
    const busiest = d.reduce((best, cell) => (cell.value > best.value ? cell : best));
    return busiest.value === 0 ? 'no dated records' : `busiest ${busiest.day} ${hour(busiest.hour)} with ${busiest.value}`;
  },
  topics_leaderboard: (d: TopicCount[]) =>
    d.length === 0 ? 'no topics' : `${plural(d.length, 'topic')}; #1 ${d[0]!.topic}: ${d[0]!.count} (${pct(d[0]!.percentage)}, ${d[0]!.trend})`,
  session_analysis: (d: SessionAnalysis) =>
    `${plural(d.totalSessions, 'session')}, avg ${d.avgSessionLength.toFixed(1)} min, ${d.avgVideosPerSession.toFixed(1)} videos per session`,
  viewing_patterns: (d: ViewingPatterns) => {
    if (d.hourlyDistribution.length === 0) return 'no dated records';
    const peakHour = d.hourlyDistribution.reduce((best, h) => (h.count > best.count ? h : best));
    const peakDay = d.dailyDistribution.reduce((best, h) => (h.count > best.count ? h : best));
    return `peak hour ${hour(peakHour.hour)} (${pct(peakHour.percentage)}), peak day ${peakDay.day} (${pct(peakDay.percentage)})`;
  },
  enhanced_channel_metrics: (d: EnhancedChannelMetrics[]) => {
    if (d.length === 0) return 'no dated records';
    const loyal = d.reduce((best, c) => (c.loyaltyScore > best.loyaltyScore ? c : best));
    return `${plural(d.length, 'channel')}; most loyal ${loyal.channelTitle} (${loyal.loyaltyScore})`;
  },
  channel_relationships: (d: ChannelRelationship[]) =>
    d.length === 0 ? 'no related channels' : `${plural(d.length, 'pair')}; top ${d[0]!.channel1} ↔ ${d[0]!.channel2} (${d[0]!.coWatchScore})`,
  topic_evolution: (d: TopicEvolution[]) =>
    d.length === 0
      ? 'no dated records'
      : `${plural(d.length, 'topic')}; ${d[0]!.topic} over ${plural(d[0]!.timeline.length, 'active month')}, growth ${signed(d[0]!.growthRate)}`,
};

export function summarizeResult(type: AggregationType, data: unknown): string {
  return (SUMMARIZERS[type] as (data: unknown) => string)(data);
}
