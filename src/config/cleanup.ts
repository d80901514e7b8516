import { z } from 'zod';
import { DAY_MS, age, positiveDuration } from './durations.js';

// agg cleanup

export const cleanupSchema = z
  .object({
    // Ages: 0 removes every eligible row now, as --older-than 0d does.
    staleFilters: age.optional(),
    changeLog: age.optional(),
    runs: age.optional(),
    batchSize: z.number().int().min(1).max(1000).optional(),
    chunkGrace: positiveDuration('the chunks of a write in progress would count as orphans and be deleted under it').optional(),
  })
  .strict();

export interface CleanupConfig {
  /** Filter combinations unused for this long are removed. */
  readonly staleFiltersMs: number;
  /** Processed change-log entries older than this are removed. */
  readonly changeLogMs: number;
  /** Finished run-ledger entries older than this are removed. */
  readonly runsMs: number;
  /** Rows per deleting call. */
  readonly batchSize: number;
  /** Chunk documents younger than this are never orphans (a write in progress puts chunks in first). */
  readonly chunkGraceMs: number;
}

export const DEFAULT_CLEANUP: CleanupConfig = { staleFiltersMs: 90 * DAY_MS, changeLogMs: 30 * DAY_MS, runsMs: 90 * DAY_MS, batchSize: 200, chunkGraceMs: 3_600_000 };

export function cleanupConfig(raw: z.infer<typeof cleanupSchema>): CleanupConfig {
  return {
    staleFiltersMs: raw.staleFilters ?? DEFAULT_CLEANUP.staleFiltersMs,
    changeLogMs: raw.changeLog ?? DEFAULT_CLEANUP.changeLogMs,
    runsMs: raw.runs ?? DEFAULT_CLEANUP.runsMs,
    batchSize: raw.batchSize ?? DEFAULT_CLEANUP.batchSize,
    chunkGraceMs: raw.chunkGrace ?? DEFAULT_CLEANUP.chunkGraceMs,
  };
}
