import { z } from 'zod';
import { aggregationType, anyJson, count, filters, instant, jsonDocument } from './common.js';

/** One result: an element of `results`, and alone one line of `--jsonl` (which has no schema key). */
export const computeResult = z.strictObject({
  type: aggregationType,
  version: count,
  filters,
  filterHash: z.string(),
  data: anyJson.describe('the result (canonical JSON)'),
});

export const computeDocument = jsonDocument('agg.compute/v1', '`agg compute FILE --json`: every result computed, in order.', {
  asOf: instant,
  timeZone: z.string(),
  results: z.array(computeResult),
});
