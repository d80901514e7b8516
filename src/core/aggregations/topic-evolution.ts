import { z } from 'zod';
import type { AggregationDefinition } from './definition.js';
import { MonthCounts, TRENDS, compareStrings, monthLabel, pctChange } from './shared.js';

export const topicEvolutionSchema = z.array(
  z.object({
    topic: z.string(),
    timeline: z.array(
      z.object({
        period: z.string(),
        count: z.number().int().positive(),
        percentage: z.number().min(0).max(100),
        trending: z.enum(TRENDS),
      }),
    ),
    totalVideos: z.number().int().positive(),
    averagePercentage: z.number().min(0).max(100),
    growthRate: z.number(),
    seasonality: z.object({ peak: z.string(), low: z.string() }),
  }),
);

export type TopicEvolution = z.infer<typeof topicEvolutionSchema>[number];
type Trending = TopicEvolution['timeline'][number]['trending'];

/** Spec §3.10 trending, integer forms of the 1.2 and 0.8 thresholds (D7). */
function trendingAt(counts: readonly number[], i: number): Trending {
  if (i < 2) return 'stable';
  const r = counts[i]! - counts[i - 1]!;
  const q = counts[i - 1]! - counts[i - 2]!;
  return 5 * r > 6 * q ? 'up' : 5 * r < 4 * q ? 'down' : 'stable';
}

function sum(values: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += values[i]!;
  return total;
}

/** Spec §3.10 over F-strict records: per topic, its active local months. */
export const topicEvolution: AggregationDefinition<TopicEvolution[]> = {
  type: 'topic_evolution',
  version: 1,
  schema: topicEvolutionSchema,
  compute(view, dataset) {
    const total = view.dated.length;
    const perTopic: (MonthCounts | undefined)[] = new Array(dataset.topics.length);
    const totals = new Int32Array(dataset.topics.length);
    for (const record of view.dated) {
      for (const topic of record.topicIds) {
        (perTopic[topic] ??= new MonthCounts()).add(record.monthIndex);
        totals[topic]!++;
      }
    }
    const result: TopicEvolution[] = [];
    perTopic.forEach((months, topic) => {
      if (!months) return;
      const { counts } = months;
      const active = months.size;
      const labels = months.months.map(monthLabel);
      let peak = 0;
      let low = 0;
      for (let i = 1; i < active; i++) {
        if (counts[i]! > counts[peak]!) peak = i;
        if (counts[i]! <= counts[low]!) low = i;
      }
      result.push({
        averagePercentage: (totals[topic]! / total) * 100,
        growthRate: active < 6 ? 0 : pctChange(sum(counts, active - 3, active), sum(counts, active - 6, active - 3)),
        seasonality: active < 4 ? { low: 'Unknown', peak: 'Unknown' } : { low: labels[low]!, peak: labels[peak]! },
        timeline: counts.map((count, i) => ({
          count,
          percentage: (count / total) * 100,
          period: labels[i]!,
          trending: trendingAt(counts, i),
        })),
        topic: dataset.topics[topic]!,
        totalVideos: totals[topic]!,
      });
    });
    return result.sort((a, b) => b.totalVideos - a.totalVideos || compareStrings(a.topic, b.topic));
  },
};
