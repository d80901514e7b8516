import { z } from 'zod';
import { SKIP_KINDS } from '../../takeout/report.js';
import { count, instant, jsonDocument } from './common.js';

const takeoutFormat = z.enum(['takeout-json', 'takeout-html']);

export const takeoutReport = z.strictObject({
  format: takeoutFormat,
  entries: count,
  watches: count,
  ads: count,
  youtubeMusic: count,
  removedVideos: count,
  withoutChannel: count,
  undated: count,
  undatedReasons: z.record(z.string(), count).describe('why timestamps were left unresolved, with counts'),
  resolvedWithSourceTimeZone: count,
  duplicatesMerged: count,
  skipped: z.strictObject(Object.fromEntries(SKIP_KINDS.map((kind) => [kind, count])) as Record<(typeof SKIP_KINDS)[number], typeof count>),
  skippedTotal: count,
  firstWatchedAt: instant.nullable(),
  lastWatchedAt: instant.nullable(),
  sourceTimeZone: z.string().nullable(),
});

export const parseDocument = jsonDocument('agg.parse/v1', '`agg parse FILE --json`: what a Takeout export holds.', {
  file: z.string(),
  format: takeoutFormat,
  report: takeoutReport,
  output: z.strictObject({ path: z.string(), records: count }).nullable().describe('with --out: the records file written'),
});
