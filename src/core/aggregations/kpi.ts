import { z } from 'zod';
import { countBetween } from '../dataset.js';
import type { AggregationDefinition } from './definition.js';
import { SECONDS_PER_VIDEO, countDistinctChannels, pctChange } from './shared.js';

const count = z.number().int().nonnegative();

export const kpiSchema = z.object({
  totalVideos: count,
  uniqueChannels: count,
  totalWatchTime: count,
  ytdVideos: count,
  qtdVideos: count,
  mtdVideos: count,
  ytdYoyDelta: z.number(),
  qtdYoyDelta: z.number(),
  mtdYoyDelta: z.number(),
});

export type KpiMetrics = z.infer<typeof kpiSchema>;

/** Spec §3.1 with the batch rules: now = asOf, lyEnd = ly, period counts over D′ (filters but not timeframe). */
export const kpi: AggregationDefinition<KpiMetrics> = {
  type: 'kpi',
  version: 1,
  schema: kpiSchema,
  compute(view, dataset) {
    const { anchors } = dataset;
    const { now, timeframeStart, lastYear, lastYearStarts } = anchors;
    const totalVideos = view.dated.length + view.undated.length;
    const ytdVideos = countBetween(view.basis, timeframeStart.YTD, now);
    const qtdVideos = countBetween(view.basis, timeframeStart.QTD, now);
    const mtdVideos = countBetween(view.basis, timeframeStart.MTD, now);
    return {
      mtdVideos,
      mtdYoyDelta: pctChange(mtdVideos, countBetween(view.basis, lastYearStarts.month, lastYear)),
      qtdVideos,
      qtdYoyDelta: pctChange(qtdVideos, countBetween(view.basis, lastYearStarts.quarter, lastYear)),
      totalVideos,
      totalWatchTime: SECONDS_PER_VIDEO * totalVideos,
      uniqueChannels: countDistinctChannels(dataset.channels.length, view.dated, view.undated),
      ytdVideos,
      ytdYoyDelta: pctChange(ytdVideos, countBetween(view.basis, lastYearStarts.year, lastYear)),
    };
  },
};
