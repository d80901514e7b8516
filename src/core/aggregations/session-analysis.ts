import { z } from 'zod';
import { watchedAtText } from '../normalize.js';
import type { AggregationDefinition } from './definition.js';

/** A new session starts when more than 30 whole minutes separate two records (spec §3.6 A). */
export const SESSION_GAP_MINUTES = 30;

export const sessionAnalysisSchema = z.object({
  sessions: z.array(
    z.object({
      id: z.string(),
      startTime: z.string(),
      endTime: z.string(),
      recordIds: z.array(z.string()),
      duration: z.number().int().nonnegative(),
      avgGapMinutes: z.number().nonnegative(),
    }),
  ),
  totalSessions: z.number().int().nonnegative(),
  avgSessionLength: z.number().nonnegative(),
  avgVideosPerSession: z.number().nonnegative(),
});

export type SessionAnalysis = z.infer<typeof sessionAnalysisSchema>;
export type Session = SessionAnalysis['sessions'][number];

const fullMinutes = (from: number, to: number): number => Math.trunc((to - from) / 60_000);

/**
 * Spec §3.6 variant A after F-core, over dated records in (instant, id) order. Sessions list member
 * record ids instead of embedding whole records (spec's recommendation, D3).
 */
export const sessionAnalysis: AggregationDefinition<SessionAnalysis> = {
  type: 'session_analysis',
  version: 1,
  schema: sessionAnalysisSchema,
  compute(view) {
    const records = view.dated;
    const sessions: Session[] = [];
    let durationSum = 0;
    let i = 0;
    while (i < records.length) {
      const first = records[i]!;
      const recordIds = [first.id];
      let gapSum = 0;
      let last = first;
      i++;
      while (i < records.length) {
        const gap = fullMinutes(last.t, records[i]!.t);
        if (gap > SESSION_GAP_MINUTES) break;
        gapSum += gap;
        last = records[i]!;
        recordIds.push(last.id);
        i++;
      }
      const duration = fullMinutes(first.t, last.t);
      durationSum += duration;
      sessions.push({
        avgGapMinutes: recordIds.length > 1 ? gapSum / (recordIds.length - 1) : 0,
        duration,
        endTime: watchedAtText(last),
        id: `session-${sessions.length + 1}`,
        recordIds,
        startTime: watchedAtText(first),
      });
    }
    const totalSessions = sessions.length;
    return {
      avgSessionLength: totalSessions > 0 ? durationSum / totalSessions : 0,
      avgVideosPerSession: totalSessions > 0 ? records.length / totalSessions : 0,
      sessions,
      totalSessions,
    };
  },
};
