import { z } from 'zod';
import type { NormalizedRecord } from '../normalize.js';
import type { AggregationDefinition } from './definition.js';
import { SECONDS_PER_VIDEO, monthLabel } from './shared.js';

export const monthlyTrendSchema = z.array(
  z.object({
    month: z.string(),
    videos: z.number().int().nonnegative(),
    watchTime: z.number().int().nonnegative(),
    uniqueChannels: z.number().int().nonnegative(),
  }),
);

export type MonthlyCount = z.infer<typeof monthlyTrendSchema>[number];

function entry(month: number, videos: number, uniqueChannels: number): MonthlyCount {
  return { month: monthLabel(month), uniqueChannels, videos, watchTime: SECONDS_PER_VIDEO * videos };
}

/** One pass over runs of equal months, possible because records are sorted by instant. */
function byRuns(records: readonly NormalizedRecord[], channelCount: number): MonthlyCount[] {
  const result: MonthlyCount[] = [];
  const lastMonthOfChannel = new Int32Array(channelCount).fill(-1);
  let month = -1;
  let videos = 0;
  let channels = 0;
  for (const record of records) {
    if (record.monthIndex !== month) {
      if (videos > 0) result.push(entry(month, videos, channels));
      month = record.monthIndex;
      videos = 0;
      channels = 0;
    }
    videos++;
    if (lastMonthOfChannel[record.channel] !== month) {
      lastMonthOfChannel[record.channel] = month;
      channels++;
    }
  }
  if (videos > 0) result.push(entry(month, videos, channels));
  return result;
}

/** For the rare zone where a DST fold steps back across a month boundary. */
function byMap(records: readonly NormalizedRecord[]): MonthlyCount[] {
  const months = new Map<number, { videos: number; channels: Set<number> }>();
  for (const record of records) {
    let bucket = months.get(record.monthIndex);
    if (!bucket) months.set(record.monthIndex, (bucket = { videos: 0, channels: new Set() }));
    bucket.videos++;
    bucket.channels.add(record.channel);
  }
  return [...months.entries()]
    .sort(([a], [b]) => a - b)
    .map(([month, bucket]) => entry(month, bucket.videos, bucket.channels.size));
}

/**
 * Spec §3.2: one bucket per local month with data, labelled from the key, in key order. Ids are unique
 * per user (D12), so distinct ids per month is the number of records.
 */
export const monthlyTrend: AggregationDefinition<MonthlyCount[]> = {
  type: 'monthly_trend',
  version: 1,
  schema: monthlyTrendSchema,
  compute(view, dataset) {
    return dataset.monthsAscending ? byRuns(view.dated, dataset.channels.length) : byMap(view.dated);
  },
};
