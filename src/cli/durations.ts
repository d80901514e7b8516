import { MAX_DURATION_MS, MAX_TIMER_MS, checkDuration, formatDuration } from '../core/duration.js';
import { UsageError } from './errors.js';
import { quoted } from '../text/numbers.js';

// Every duration option is read here, through core's parseDuration rules, and range-checked at parse
// time: a timer (--timeout) at most 2^31−1 ms, since a longer one would fire at once; anything else
// (--max-runtime, --older-than, cleanup ages) at most 36,500 days.

export interface DurationOption {
  /** The option named in messages, e.g. `--timeout`. */
  readonly option: string;
  /** Example values for the message, e.g. "30s, 2m". */
  readonly examples: string;
  /** True for a duration used as a timer (setTimeout): then at most 2^31−1 ms. */
  readonly timer?: boolean;
  /**
   * Zero is a duration: accepted where it means something (an age of 0: everything up to now), else
   * refused with this reason.
   */
  readonly zero: { readonly allowed: true } | { readonly allowed: false; readonly why: string };
}

/** The longest duration an option takes: "24d20h31m23s647ms" for a timer, else "36500d". */
export function durationCeiling(timer: boolean): string {
  return formatDuration(timer ? MAX_TIMER_MS : MAX_DURATION_MS);
}

/** Milliseconds of a duration option, or a usage error naming the option and the accepted range. */
export function parseDurationOption(text: string, spec: DurationOption): number {
  const check = checkDuration(text, spec.timer ? MAX_TIMER_MS : MAX_DURATION_MS, spec.zero.allowed);
  if ('ms' in check) return check.ms;
  if (check.problem === 'zero' && !spec.zero.allowed) throw new UsageError(`${spec.option} ${quoted(text)} must be more than zero: ${spec.zero.why}`);
  if (check.problem === 'syntax') throw new UsageError(`${spec.option} ${quoted(text)} is not a duration (expected e.g. ${spec.examples})`);
  const why = spec.timer ? '2^31−1 ms, the longest timer; ' : '';
  throw new UsageError(`${spec.option} ${quoted(text)} is not a duration from ${spec.zero.allowed ? '0s' : '1ms'} to ${durationCeiling(spec.timer === true)} (${why}expected e.g. ${spec.examples})`);
}
