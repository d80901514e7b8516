import { z } from 'zod';
import { age } from './durations.js';

// agg status

const ratio = z.number().min(0).max(1);

export const statusSchema = z
  .object({
    /** Results expiring within this count as "expiring" (due for a refresh). */
    refreshThreshold: age.optional(),
    /** Alert when the oldest unprocessed change-log entry is older than this. */
    maxBacklogAge: age.optional(),
    /** Alert when more than this share of stored aggregations is expired. */
    maxExpiredShare: ratio.optional(),
    /** Alert when the latest validate run's share of `match` is below this. */
    minConsistency: ratio.optional(),
    /** Alert when the latest validate run is older than this. */
    maxValidateAge: age.optional(),
  })
  .strict();

export interface StatusThresholds {
  readonly refreshThresholdMs: number;
  /** Null: no alert on this figure. */
  readonly maxBacklogAgeMs: number | null;
  readonly maxExpiredShare: number | null;
  readonly minConsistency: number | null;
  readonly maxValidateAgeMs: number | null;
}

export const DEFAULT_STATUS_THRESHOLDS: StatusThresholds = {
  refreshThresholdMs: 15 * 60_000,
  maxBacklogAgeMs: null,
  maxExpiredShare: 0.01,
  minConsistency: null,
  maxValidateAgeMs: null,
};
