import { z } from 'zod';
import type { AggregationDefinition } from './definition.js';
import { DAY_NAMES, MONTH_NAMES } from './shared.js';

const count = z.number().int().nonnegative();
const percentage = z.number().min(0).max(100);

export const viewingPatternsSchema = z.object({
  hourlyDistribution: z.array(z.object({ hour: z.number().int().min(0).max(23), count, percentage })),
  dailyDistribution: z.array(z.object({ day: z.enum(DAY_NAMES), dayNum: z.number().int().min(0).max(6), count, percentage })),
  weeklyDistribution: z.array(z.object({ week: z.number().int().min(1).max(6), count, percentage })),
  monthlyDistribution: z.array(
    z.object({ month: z.enum(MONTH_NAMES), monthNum: z.number().int().min(1).max(12), count, percentage }),
  ),
});

export type ViewingPatterns = z.infer<typeof viewingPatternsSchema>;

/**
 * Spec §3.7 variant A, after F-core: distributions of the dated records by local hour, weekday, week
 * of the month (six buckets, the sixth always 0) and month. Empty arrays when nothing is dated.
 */
export const viewingPatterns: AggregationDefinition<ViewingPatterns> = {
  type: 'viewing_patterns',
  version: 1,
  schema: viewingPatternsSchema,
  compute(view) {
    const n = view.dated.length;
    if (n === 0) return { dailyDistribution: [], hourlyDistribution: [], monthlyDistribution: [], weeklyDistribution: [] };
    const hours = new Int32Array(24);
    const days = new Int32Array(7);
    const weeks = new Int32Array(7);
    const months = new Int32Array(13);
    for (const record of view.dated) {
      hours[record.hour]!++;
      days[record.dayOfWeek]!++;
      weeks[record.week]!++;
      months[record.month]!++;
    }
    const share = (c: number): number => (c / n) * 100;
    return {
      dailyDistribution: Array.from(days, (count, dayNum) => ({ count, day: DAY_NAMES[dayNum]!, dayNum, percentage: share(count) })),
      hourlyDistribution: Array.from(hours, (count, hour) => ({ count, hour, percentage: share(count) })),
      monthlyDistribution: Array.from({ length: 12 }, (_, i) => ({
        count: months[i + 1]!,
        month: MONTH_NAMES[i]!,
        monthNum: i + 1,
        percentage: share(months[i + 1]!),
      })),
      weeklyDistribution: Array.from({ length: 6 }, (_, i) => ({ count: weeks[i + 1]!, percentage: share(weeks[i + 1]!), week: i + 1 })),
    };
  },
};
