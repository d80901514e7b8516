import { z } from 'zod';
import { lowerBound, upperBound } from '../dataset.js';
import type { NormalizedRecord } from '../normalize.js';
import type { AggregationDefinition } from './definition.js';
import { TRENDS, type Trend } from './shared.js';

export const topicsLeaderboardSchema = z.array(
  z.object({
    topic: z.string(),
    count: z.number().int().positive(),
    trend: z.enum(TRENDS),
    percentage: z.number().min(0).max(100),
  }),
);

export type TopicCount = z.infer<typeof topicsLeaderboardSchema>[number];

function countTopics(counts: Int32Array, records: readonly NormalizedRecord[], from = 0, to = records.length): void {
  for (let i = from; i < to; i++) for (const topic of records[i]!.topicIds) counts[topic]!++;
}

/**
 * Spec §3.5 with the (fix): `prev` counts the records of [now − 2 months, now − 1 month] after the
 * product, topic and channel filters. Trend thresholds in integer form (D7).
 */
export const topicsLeaderboard: AggregationDefinition<TopicCount[]> = {
  type: 'topics_leaderboard',
  version: 1,
  schema: topicsLeaderboardSchema,
  compute(view, dataset) {
    const topicCount = dataset.topics.length;
    const counts = new Int32Array(topicCount);
    countTopics(counts, view.dated);
    countTopics(counts, view.undated);
    const previous = new Int32Array(topicCount);
    const [start, end] = dataset.anchors.previousMonthWindow;
    countTopics(previous, view.basis, lowerBound(view.basis, start), upperBound(view.basis, end));

    let total = 0;
    const present: number[] = [];
    for (let topic = 0; topic < topicCount; topic++) {
      if (counts[topic]! > 0) {
        present.push(topic);
        total += counts[topic]!;
      }
    }
    present.sort((a, b) => counts[b]! - counts[a]! || a - b);
    return present.map((topic) => {
      const count = counts[topic]!;
      const prev = previous[topic]!;
      const trend: Trend = 10 * count > 11 * prev ? 'up' : 10 * count < 9 * prev ? 'down' : 'stable';
      return { count, percentage: (count / total) * 100, topic: dataset.topics[topic]!, trend };
    });
  },
};
