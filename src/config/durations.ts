import { z } from 'zod';
import { MAX_DURATION_MS, checkDuration, formatDuration } from '../core/duration.js';

// Durations in agg.config.json, shared by its sections.

export const DAY_MS = 86_400_000;

/** What a config duration may be: up to 36,500 days (MAX_DURATION_MS); zero only where it means something. */
export const DURATION_RANGE = `from 1ms to ${formatDuration(MAX_DURATION_MS)}`;
/** The range of an age, where zero is allowed. */
export const AGE_RANGE = `from 0 to ${formatDuration(MAX_DURATION_MS)}`;

/**
 * A duration of agg.config.json. `zero`: null where zero is a meaning of its own (an age or a
 * threshold: "now", "none"), else why zero is refused for this key.
 */
function durationSchema(zero: string | null) {
  return z.string().transform((text, context) => {
    const check = checkDuration(text, MAX_DURATION_MS, zero === null);
    if (!('ms' in check)) {
      if (check.problem === 'zero') {
        context.addIssue({ code: 'custom', message: `"${text}" must be more than zero: ${zero} (expected e.g. 30m, 2h, 7d)` });
        return z.NEVER;
      }
      context.addIssue({ code: 'custom', message: `"${text}" is not a duration ${check.problem === 'range' ? `${zero === null ? AGE_RANGE : DURATION_RANGE} ` : ''}(expected e.g. 30m, 2h, 1h30m, 7d)` });
      return z.NEVER;
    }
    return check.ms;
  });
}

/** An age or threshold: 0 is "everything older than now" or "no margin", as the CLI's flags take it. */
export const age = durationSchema(null);

/** A duration that must be more than zero, with the reason why. */
export function positiveDuration(why: string) {
  return durationSchema(why);
}
