import { z } from 'zod';
import { MAX_DURATION_MS, checkDuration, formatDuration } from '../core/duration.js';

// Durations in agg.config.json, shared by its sections.

export const DAY_MS = 86_400_000;

/** What a config duration may be: up to 36,500 days (MAX_DURATION_MS), never zero. */
export const DURATION_RANGE = `from 1ms to ${formatDuration(MAX_DURATION_MS)}`;

export const duration = z.string().transform((text, context) => {
  const check = checkDuration(text);
  if (!('ms' in check)) {
    if (check.problem === 'zero') {
      context.addIssue({ code: 'custom', message: `"${text}" must be more than zero (a TTL, age or threshold of nothing means nothing; expected e.g. 30m, 2h, 7d)` });
      return z.NEVER;
    }
    context.addIssue({ code: 'custom', message: `"${text}" is not a duration ${check.problem === 'range' ? `${DURATION_RANGE} ` : ''}(expected e.g. 30m, 2h, 1h30m, 7d)` });
    return z.NEVER;
  }
  return check.ms;
});
