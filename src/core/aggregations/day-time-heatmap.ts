import { z } from 'zod';
import type { AggregationDefinition } from './definition.js';
import { DAY_NAMES } from './shared.js';

export const dayTimeHeatmapSchema = z
  .array(z.object({ day: z.enum(DAY_NAMES), hour: z.number().int().min(0).max(23), value: z.number().int().nonnegative() }))
  .length(168);

export type DayHourCell = z.infer<typeof dayTimeHeatmapSchema>[number];

/** Spec §3.4: 168 cells, Sun..Sat then hour 0..23, counting dated F-core records by local weekday and hour. */
export const dayTimeHeatmap: AggregationDefinition<DayHourCell[]> = {
  type: 'day_time_heatmap',
  version: 1,
  schema: dayTimeHeatmapSchema,
  compute(view) {
    const cells = new Int32Array(168);
    for (const record of view.dated) cells[record.dayOfWeek * 24 + record.hour]!++;
    const result: DayHourCell[] = [];
    for (let day = 0; day < 7; day++) {
      for (let hour = 0; hour < 24; hour++) result.push({ day: DAY_NAMES[day]!, hour, value: cells[day * 24 + hour]! });
    }
    return result;
  },
};
