import { z } from 'zod';
import { type NormalizedRecord, watchedAtText } from '../normalize.js';
import { fullDays, fullMonths } from '../time/zone.js';
import type { AggregationDefinition } from './definition.js';
import { MonthCounts, SECONDS_PER_VIDEO } from './shared.js';

export const enhancedChannelMetricsSchema = z.array(
  z.object({
    channelTitle: z.string(),
    channelUrl: z.string().optional(),
    videoCount: z.number().int().positive(),
    totalWatchTime: z.number().int().positive(),
    averageVideosPerMonth: z.number().nonnegative(),
    firstWatched: z.string(),
    lastWatched: z.string(),
    loyaltyScore: z.number().int().min(0).max(100),
    topicsSpread: z.array(z.string()),
    viewingPattern: z.object({
      peakHour: z.number().int().min(0).max(23),
      peakDay: z.number().int().min(0).max(6),
      consistencyScore: z.number().int().min(0).max(100),
    }),
    discoveryMetrics: z.object({
      isNew: z.boolean(),
      retentionRate: z.number().min(0).max(1),
      sessionFrequency: z.literal(0),
    }),
    relatedChannels: z.array(z.string()).length(0),
  }),
);

export type EnhancedChannelMetrics = z.infer<typeof enhancedChannelMetricsSchema>[number];

interface ChannelState {
  readonly channel: number;
  readonly first: NormalizedRecord;
  last: NormalizedRecord;
  /** The first record of the newest-first walk (the channel's newest): channelUrl comes from it. */
  newest: NormalizedRecord | null;
  count: number;
  recent: number;
  readonly hours: Int32Array;
  readonly weekdays: Int32Array;
  readonly months: MonthCounts;
  readonly topics: Set<number>;
}

/** Index of the largest count; ties go to the smallest index (batch rule). */
function argMax(counts: Int32Array): number {
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[best]!) best = i;
  return best;
}

function consistencyScore(months: MonthCounts, monthsSinceFirst: number): number {
  if (monthsSinceFirst <= 1) return 100;
  const { counts } = months;
  const active = counts.length;
  let total = 0;
  for (const c of counts) total += c;
  const average = total / active;
  let squares = 0;
  for (const c of counts) squares += (c - average) * (c - average);
  const variance = squares / active;
  return Math.min(100, Math.round((active / monthsSinceFirst) * 80 + Math.max(0, 20 - (variance / average) * 10)));
}

function recencyScore(daysSinceLast: number): number {
  if (daysSinceLast <= 7) return 100;
  if (daysSinceLast <= 30) return 80;
  if (daysSinceLast <= 90) return 60;
  if (daysSinceLast <= 180) return 40;
  if (daysSinceLast <= 365) return 20;
  return 10;
}

/**
 * Calls `visit` for each record newest first: instant descending, ties by id ascending (spec §3.8
 * batch rule, version 2). `dated` is sorted by (instant, id) ascending, so each run of equal instants
 * is walked forwards while the runs are taken from the end.
 */
function walkNewestFirst(dated: readonly NormalizedRecord[], visit: (record: NormalizedRecord) => void): void {
  for (let end = dated.length; end > 0; ) {
    const t = dated[end - 1]!.t;
    let start = end - 1;
    while (start > 0 && dated[start - 1]!.t === t) start--;
    for (let i = start; i < end; i++) visit(dated[i]!);
    end = start;
  }
}

/**
 * Spec §3.8 over F-strict records: per channel, loyalty scores and viewing habits. Counts, histograms
 * and first/last come from an (instant, id) walk; channelUrl and topicsSpread follow the origin's input
 * order, newest first (version 2): the URL of the channel's newest record, topics in first-seen order of
 * that walk. Placeholders (sessionFrequency 0, relatedChannels []) are kept for parity (D4); a peak hour
 * of 0 is reported as 0 (D5 fix). M = fullMonths(now, first) is date-fns 4.1 differenceInMonths (§0).
 */
export const enhancedChannelMetrics: AggregationDefinition<EnhancedChannelMetrics[]> = {
  type: 'enhanced_channel_metrics',
  version: 2,
  schema: enhancedChannelMetricsSchema,
  compute(view, dataset) {
    const { now, nowLocal, thirtyDaysAgo } = dataset.anchors;
    const { clock } = dataset.context;
    const states: (ChannelState | undefined)[] = new Array(dataset.channels.length);
    const present: ChannelState[] = [];
    for (const record of view.dated) {
      let state = states[record.channel];
      if (state === undefined) {
        state = {
          channel: record.channel,
          first: record,
          last: record,
          newest: null,
          count: 0,
          recent: 0,
          hours: new Int32Array(24),
          weekdays: new Int32Array(7),
          months: new MonthCounts(),
          topics: new Set(),
        };
        states[record.channel] = state;
        present.push(state);
      }
      state.last = record;
      state.count++;
      if (record.t > thirtyDaysAgo) state.recent++;
      state.hours[record.hour]!++;
      state.weekdays[record.dayOfWeek]!++;
      state.months.add(record.monthIndex);
    }
    walkNewestFirst(view.dated, (record) => {
      const state = states[record.channel]!;
      if (state.newest === null) state.newest = record;
      for (const topic of record.topicIds) state.topics.add(topic);
    });
    present.sort((a, b) => b.count - a.count || a.channel - b.channel);
    return present.map((state): EnhancedChannelMetrics => {
      const { first, last, newest, count } = state;
      const monthsSinceFirst = fullMonths(clock, now, first.t);
      const consistency = consistencyScore(state.months, monthsSinceFirst);
      const averageVideosPerMonth = monthsSinceFirst > 0 ? count / monthsSinceFirst : count;
      const frequency = Math.min(averageVideosPerMonth * 10, 50);
      const recency = recencyScore(fullDays(nowLocal, last));
      return {
        averageVideosPerMonth,
        channelTitle: dataset.channels[state.channel]!,
        ...(newest!.channelUrl ? { channelUrl: newest!.channelUrl } : {}),
        discoveryMetrics: { isNew: first.t > thirtyDaysAgo, retentionRate: state.recent / Math.max(count, 1), sessionFrequency: 0 },
        firstWatched: watchedAtText(first),
        lastWatched: watchedAtText(last),
        loyaltyScore: Math.round((consistency + frequency + recency) / 3),
        relatedChannels: [],
        topicsSpread: [...state.topics].map((topic) => dataset.topics[topic]!),
        totalWatchTime: SECONDS_PER_VIDEO * count,
        videoCount: count,
        viewingPattern: { consistencyScore: consistency, peakDay: argMax(state.weekdays), peakHour: argMax(state.hours) },
      };
    });
  },
};
