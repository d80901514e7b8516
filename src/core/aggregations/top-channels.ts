import { z } from 'zod';
import type { AggregationDefinition } from './definition.js';
import { SECONDS_PER_VIDEO } from './shared.js';

export const TOP_CHANNELS_LIMIT = 10;

export const topChannelsSchema = z.array(
  z.object({
    channel: z.string(),
    videoCount: z.number().int().positive(),
    watchTime: z.number().int().positive(),
    percentage: z.number().min(0).max(100),
  }),
);

export type ChannelMetrics = z.infer<typeof topChannelsSchema>[number];

/** Spec §3.3: F-core records per channel, count descending then channel ascending, first ten. */
export const topChannels: AggregationDefinition<ChannelMetrics[]> = {
  type: 'top_channels',
  version: 1,
  schema: topChannelsSchema,
  compute(view, dataset) {
    const total = view.dated.length + view.undated.length;
    const counts = new Int32Array(dataset.channels.length);
    for (const record of view.dated) counts[record.channel]!++;
    for (const record of view.undated) counts[record.channel]!++;
    const present: number[] = [];
    for (let channel = 0; channel < counts.length; channel++) if (counts[channel]! > 0) present.push(channel);
    // Channel indexes follow string order, so the tie-break is numeric.
    present.sort((a, b) => counts[b]! - counts[a]! || a - b);
    return present.slice(0, TOP_CHANNELS_LIMIT).map((channel) => {
      const videoCount = counts[channel]!;
      return {
        channel: dataset.channels[channel]!,
        percentage: (videoCount / total) * 100,
        videoCount,
        watchTime: SECONDS_PER_VIDEO * videoCount,
      };
    });
  },
};
